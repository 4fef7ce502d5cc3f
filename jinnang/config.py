"""Loading the YAML files a sales-operations person edits, with errors that name file, line and field.

Every package validates its own files with its own pydantic models; this module is the
one loader they share. A validator may point inside the value it checks by ending its
message with `[at sub/path]` (e.g. `[at rule]`, `[at all/2]`).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
_AT = re.compile(r"\s*\[at ([^\]]+)\]")


class ConfigFileError(ValueError):
    """`journey.yaml, line 12, field nodes[2].stall.limit: …` — with .file, .line, .field, .message."""

    def __init__(self, file: Path | str, line: int | None, field: str, message: str):
        self.file, self.line, self.field, self.message = str(file), line, field, message
        where = f"{self.file}, line {line}" if line else self.file
        super().__init__(f"{where}, field {field}: {message}")


def _node_lines(node: yaml.Node, path: tuple[Any, ...] = (), out: dict | None = None) -> dict:
    """Every path of the document → the 1-based line where it is written (a field's line is its key's)."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[path + (key.value,)] = key.start_mark.line + 1
            _node_lines(value, path + (key.value,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, path + (i,), out)
    return out


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
        raise error(path, None, "(file)", f"cannot read: {exc.strerror or exc}") from None
    try:
        tree = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(path, mark.line + 1 if mark else None, "(yaml)",
                    "not valid YAML: " + str(exc).splitlines()[0]) from None
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        # drop pydantic's union/validator markers so the path is the one written in the file
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        message = first["msg"].removeprefix("Value error, ")
        if at := _AT.search(message):
            loc += tuple(int(p) if p.isdigit() else p for p in at.group(1).split("/"))
            message = _AT.sub("", message)
        lines = _node_lines(tree) if tree is not None else {}
        known = loc
        while known and known not in lines:
            known = known[:-1]
        raise error(path, lines.get(known), field_path(loc), message) from None
