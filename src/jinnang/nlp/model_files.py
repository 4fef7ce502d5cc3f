"""A fitted model on disk: a joblib file of plain scikit-learn objects beside a JSON card naming its
data and the scikit-learn version (the objection scorer, the learned journey node, the visit models),
and where a data dir keeps its own refits of them (`jinnang learn`)."""
from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def save_joblib(fields: dict[str, Any], path: Path, card: dict[str, Any]) -> None:
    """Write `fields` to `path` and the card to `path` with .json. Plain scikit-learn objects only, so
    the file does not depend on where a module lives; written beside and moved into place, so a
    reader (extraction in a data dir that is learning) never sees half a file."""
    import joblib
    import sklearn

    path.parent.mkdir(parents=True, exist_ok=True)
    card = {**card, "sklearn": sklearn.__version__}
    path.with_suffix(".json").write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp = path.with_suffix(".tmp")
    joblib.dump(fields, tmp, compress=3)
    os.replace(tmp, path)


def load_joblib(path: Path, make: Callable[..., T], what: str) -> T | None:
    """`make(**fields)` of the joblib file at `path`; None when it is missing or unreadable (logged,
    naming `what`), so that a damaged or foreign file leaves the rules to answer alone."""
    if not path.exists():
        return None
    import joblib

    try:
        return make(**joblib.load(path))
    except Exception as e:  # never let a bad file empty an extraction field
        log.warning("%s %s not read (%s); the rules answer alone", what, path, e)
        return None


def packaged_path(models: Path, model: str) -> Path:
    """`model` as given when absolute, else the packaged file of that name under `models`."""
    return Path(model) if Path(model).is_absolute() else models / model


def learned_dir(data_dir: Path | None = None) -> Path:
    """Where a data dir keeps its own refitted models."""
    if data_dir is None:
        from jinnang.core.settings import get_settings

        data_dir = get_settings().data_dir
    return Path(data_dir) / "learning" / "models"


class ChangedFileCache(Generic[T]):
    """What `read(path)` made of a file, read again when the file changes; None when it is absent.
    A data dir's refits are replaced while extraction runs, so each use asks the file's time."""

    def __init__(self) -> None:
        self._items: dict[Path, tuple[int, T]] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, read: Callable[[Path], T]) -> T | None:
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with self._lock:
            cached = self._items.get(path)
            if cached is None or cached[0] != stamp:
                cached = self._items[path] = (stamp, read(path))
            return cached[1]


class DataDirModel(Generic[T]):
    """A packaged model a data dir may refit: the refit under `learned_dir()` when there is one, else
    the packaged file; re-read when the file changes; one log line when it is missing."""

    def __init__(self, models: Path, name: str, read: Callable[[Path], T], missing: str):
        self.models, self.name, self.read, self.missing = models, name, read, missing
        self._cache: ChangedFileCache[T] = ChangedFileCache()
        self._warned: set[Path] = set()

    def current_path(self, data_dir: Path | None = None) -> Path:
        own = learned_dir(data_dir) / self.name
        return own if own.is_file() else self.models / self.name

    def load(self, model: str | None = None) -> T | None:
        """`model` (a path, or a packaged file's name), else `current_path()`; None when missing."""
        path = packaged_path(self.models, model) if model else self.current_path()
        found = self._cache.get(path, self.read)
        if found is None and path not in self._warned:
            self._warned.add(path)
            log.warning(self.missing, path)
        return found
