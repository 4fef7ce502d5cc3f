"""Loading the YAML files a sales-operations person edits, with errors that name file, line and field.

Every package validates its own files with its own pydantic models; this module is the one
loader they share (`load_yaml_model`) and the one way a file is kept loaded (`ConfigFile`).
A validator may point inside the value it checks by ending its message with `[at sub/path]`
(e.g. `[at rule]`, `[at all/2]`).
"""
from __future__ import annotations

import logging
import re
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ValidationError

from jinnang.core.errors import path_text

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
_AT = re.compile(r"\s*\[at ([^\]]+)\]")
log = logging.getLogger(__name__)


def _compiles(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


RegexPattern = Annotated[str, AfterValidator(_compiles)]
"""A regular expression written in a configuration file, checked when the file loads."""


class ConfigError(ValueError):
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


def load_yaml_model(path: Path | str, model: type[M]) -> M:
    """Parse and validate one YAML file: `load_yaml_model("rules/config/journey.yaml", JourneyFile)`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, None, "(file)", f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, None, "(file)", f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        # parsed once; the node tree with line numbers is composed only when the data does not
        # validate, to name the line (both each time was half of every process's config loading).
        # Not libyaml's faster CSafeLoader: it reads some flow lists the pure parser refuses.
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(path, mark.line + 1 if mark else None, "(yaml)",
                    "not valid YAML: " + str(exc).splitlines()[0]) from None
    except RecursionError:
        raise ConfigError(path, None, "(yaml)", "an alias refers to itself (&a … *a inside itself)") from None
    except (ValueError, TypeError, IndexError, OverflowError) as exc:  # PyYAML's constructors: 2026-02-30, `!!int `
        raise ConfigError(path, None, "(yaml)", f"a value YAML cannot read: {exc}") from None
    try:
        return model.model_validate(data if data is not None else {})
    except RecursionError:
        raise ConfigError(path, None, "(file)", "nested too deeply to check") from None
    except ValidationError as exc:
        tree = yaml.compose(text)
        first = exc.errors()[0]
        # drop pydantic's union/validator markers so the path is the one written in the file
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        message = first["msg"].removeprefix("Value error, ")
        if at := _AT.search(message):
            loc += tuple(int(p) if p.isdigit() else p for p in at.group(1).split("/"))
            message = _AT.sub("", message)
        try:
            lines = _node_lines(tree) if tree is not None else {}
        except RecursionError:  # an alias inside itself (&a [*a]): report without a line
            lines = {}
        known = loc
        while known and known not in lines:
            known = known[:-1]
        raise ConfigError(path, lines.get(known), path_text(loc) or "(file)", message) from None


class ConfigFile(Generic[T]):
    """One configuration file, validated by `model` and optionally turned into something by `build`.

    `reload=True`: the file is read again when it changes, so a running service follows sales
    operations' edits; an edit that does not validate is logged once with file, line and field,
    and the last good version stays in use (`last_error` keeps it for the admin page). With no good
    version yet, the ConfigError is raised. `reload=False`: read once, then kept.

    `scores = ConfigFile(CONFIG_DIR / "scores.yaml", ScoresFile)`; `scores()` is then the
    validated file, as it is on disk now or as it last validated.

    The file is stat'ed at most once every `recheck_after` seconds (a search calls dozens of these,
    and under load each stat gave the GIL away), so an edit is followed within that time. A file that
    changed, loaded or was written in the last `HOT_SECONDS` is stat'ed on every call: an editor's
    second save, or a test's, is seen at once. `recheck_after = 0` stats on every call.
    """

    recheck_after: float = 1.0
    HOT_SECONDS = 10.0

    def __init__(self, path: Path | str, model: type[BaseModel], build: Callable[[Any], T] | None = None,
                 *, reload: bool = True, primary: bool = True):
        self.path, self.model, self.build, self.reload = Path(path), model, build, reload
        # False for a second reading of a file under other assumptions (a variant journey's node
        # list): `jinnang config check` validates each file as the shipped service reads it
        self.primary = primary
        self.last_error: ConfigError | None = None
        self._version: tuple[int, int] | None = None
        self._checked_at = -float("inf")  # monotonic time of the last stat
        self._hot_until = -float("inf")  # monotonic time until which every call stats
        self._value: T | None = None
        self._lock = threading.Lock()
        FILES.add(self)

    def __call__(self) -> T:
        if self._value is not None and not self.reload:
            return self._value
        now = clock()
        if self._value is not None and now >= self._hot_until and now - self._checked_at < self.recheck_after:
            return self._value
        try:
            stat = self.path.stat()
            version = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            version = (-1, -1)  # load_yaml_model says what is wrong with the path
        self._checked_at = now
        if version != self._version or wall_clock() - version[0] / 1e9 < self.HOT_SECONDS:
            # just changed or just written (a future mtime too): the next save may follow at once
            self._hot_until = now + self.HOT_SECONDS
        if version != self._version:
            with self._lock:
                if version != self._version:
                    try:
                        loaded = load_yaml_model(self.path, self.model)
                        self._value = self.build(loaded) if self.build else loaded  # type: ignore[assignment]
                        self.last_error = None
                    except ConfigError as exc:
                        if self._value is None:
                            raise
                        self.last_error = exc
                        log.error("%s; the version loaded before stays in use", exc)
                    self._version = version  # a broken edit is reported once, not on every note
        return self._value  # type: ignore[return-value]

    def check(self) -> ConfigError | None:
        """Validate the file as it is on disk now, without replacing what is in use."""
        try:
            loaded = load_yaml_model(self.path, self.model)
            if self.build:
                self.build(loaded)
        except ConfigError as exc:
            return exc
        return None

    def cache_clear(self) -> None:
        self._version, self._value, self.last_error = None, None, None
        self._checked_at, self._hot_until = -float("inf"), -float("inf")


clock: Callable[[], float] = time.monotonic  # tests move these instead of sleeping
wall_clock: Callable[[], float] = time.time

FILES: weakref.WeakSet[ConfigFile[Any]] = weakref.WeakSet()
"""Every ConfigFile in use, for `jinnang config check` and the admin page (weak, so one made for
a moment — a test's temporary copy — drops out when it is no longer used)."""
