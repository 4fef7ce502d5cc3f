"""Loading the YAML files a sales-operations person edits, with errors that name file, line and field.

Every package validates its own files with its own pydantic models; this module is the
one loader they share.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigFileError(ValueError):
    """`journey.yaml, line 12, field nodes[2].stall.limit: …` — with .file, .line, .field, .message."""

    def __init__(self, file: Path | str, line: int | None, field: str, message: str):
        self.file, self.line, self.field, self.message = str(file), line, field, message
        where = f"{self.file}, line {line}" if line else self.file
        super().__init__(f"{where}, field {field}: {message}")


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at a pydantic error location, or of its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            match = node.value[part]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def field_path(loc: tuple[Any, ...]) -> str:
    """('nodes', 2, 'stall') → 'nodes[2].stall'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(file)"


def load_yaml_model(path: Path | str, model: type[M], error: type[ConfigFileError] = ConfigFileError) -> M:
    """Parse and validate one YAML file: `load_yaml_model("rules/config/journey.yaml", JourneyFile)`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(path, None, "(file)", f"cannot read: {exc.strerror}") from None
    try:
        tree = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(path, mark.line + 1 if mark else None, "(yaml)", str(exc).splitlines()[0]) from None
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        # drop pydantic's union/validator markers so the path is the one written in the file
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        message = first["msg"].removeprefix("Value error, ")
        raise error(path, _line_of(tree, loc), field_path(loc), message) from None
