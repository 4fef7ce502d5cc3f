"""Who owns a data dir's embedded Chroma store.

Chroma's embedded store belongs to one process. `jinnang serve` claims it for its life, and
`jinnang ingest` and `jinnang worker` for theirs, in `<chroma dir>/.owned-by` (an exclusive
`flock`, dropped by the kernel when the process dies), recording the command and, for a server,
the local Chroma server it runs on the store. Another jinnang process on the same data dir then
talks to that server instead of opening the files, or, when the owner has the files open itself
(`jinnang serve --workers 0`, a running `jinnang ingest`), is refused with what to do: never two
writers on one store.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO, Any

from jinnang.core.errors import Conflict
from jinnang.core.settings import Settings

CLAIM_FILE = ".owned-by"
_held: dict[Path, IO[str]] = {}  # this process's claims, kept open: closing a file drops its lock


class StoreInUse(Conflict):
    """The embedded store is another process's (HTTP 409; the CLI's exit 2)."""


def _path(settings: Settings) -> Path:
    return settings.chroma_dir.resolve() / CLAIM_FILE


def claim(settings: Settings, server: str | None, command: str = "jinnang serve") -> None:
    """This process owns the store until it ends or releases it; `server` ("host:port") is where
    others reach it, `command` what the refusal names."""
    path = _path(settings)
    handle = _held.get(path)
    if handle is None:  # claimed again (`jinnang demo` ingests, then serves): only the record changes
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            owner = _owner(path)
            raise StoreInUse("data_dir", f"`{owner.get('command', 'another jinnang process')}` (pid "
                                         f"{owner.get('pid', '?')}) has {settings.data_dir}'s vector store; wait "
                                         f"for it to end or stop it, or give this one another data dir") from None
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "server": server, "command": command}))
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
    """What the live owner in another process recorded ({"pid", "server", "command"}), or None when no
    other process owns the store (a file left by a stopped one is no claim)."""
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
