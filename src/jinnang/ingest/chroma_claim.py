"""Who owns a data dir's embedded Chroma store while `jinnang serve` runs.

Chroma's embedded store belongs to one process. `jinnang serve` claims it for its life in
`<chroma dir>/.served-by` (an exclusive `flock`, dropped by the kernel when the server dies) and
writes there the local Chroma server it runs on the store, if any. Another jinnang process on the
same data dir (`jinnang ingest` in a second shell, a worker started by hand) then talks to that
server instead of opening the files, or, when the server opened the store itself
(`--workers 0`), is refused with what to do: never two writers on one store.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO, Any

from jinnang.core.errors import Conflict
from jinnang.core.settings import Settings

CLAIM_FILE = ".served-by"
_held: dict[Path, IO[str]] = {}  # this process's claims, kept open: closing a file drops its lock


class StoreInUse(Conflict):
    """The embedded store is another process's (HTTP 409; the CLI's exit 2)."""


def _path(settings: Settings) -> Path:
    return settings.chroma_dir.resolve() / CLAIM_FILE


def claim(settings: Settings, server: str | None) -> None:
    """This process serves the store until it ends; `server` ("host:port") is where others reach it."""
    path = _path(settings)
    handle = _held.get(path)
    if handle is None:  # claimed again: only what it records changes
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StoreInUse("data_dir", f"another `jinnang serve` (pid {_owner(path).get('pid', '?')}) already "
                                         f"serves {settings.data_dir}; stop it first, or give this one another "
                                         f"data dir") from None
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "server": server}))
    handle.flush()
    _held[path] = handle


def release(settings: Settings) -> None:
    handle = _held.pop(_path(settings), None)
    if handle is not None:
        handle.close()


def _owner(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8") or "{}"))
    except (OSError, ValueError):
        return {}


def serving(settings: Settings) -> dict[str, Any] | None:
    """What the live `jinnang serve` of another process recorded ({"pid", "server"}), or None when no
    other process serves the store (a file left by a stopped server is no claim)."""
    path = _path(settings)
    if path in _held or not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _owner(path) or {"pid": None, "server": None}
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None
