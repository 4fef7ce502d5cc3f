"""`/healthz` (the process answers) and `/readyz` (it can do its work), both without a key.

A load balancer sends traffic to a process only while `/readyz` is 200, and restarts it when
`/healthz` stops answering. `/readyz` checks, in order, and names the first that fails in the error
shape (503, field = the check):
- `database`: the SQLite file answers a query;
- `vectors`: the Chroma store opens and answers (embedded, or the server at JINNANG_CHROMA_HOST);
- `models`: the embedding model is loaded (the warm start loads it before the port opens);
- `configuration`: every configuration file on disk validates (as `jinnang config check`).
Each check is cheap: no model is loaded, nothing is written, and a configuration file is validated
again only when it changed (in a thread; see `ConfigWatch`).
"""
from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from jinnang.api.errors import documented
from jinnang.core.db import open_engine
from jinnang.core.settings import Settings
from jinnang.service.startup import file_version

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])



def _every_config_file() -> list[Any]:
    # checked by a fresh process: importing every configured module here would keep the OCR, spaCy and
    # scorer libraries in the web process for good (about 300 MB, issue 13)
    from jinnang.service.startup import config_files_apart

    return list(config_files_apart())


class ConfigWatch:
    """The configuration files' validity, re-checked only for a file whose size or mtime changed.

    Checking all of them takes 2–5 s (objections.yaml builds its model), far too slow for a probe
    every few seconds; a stat of each is 0.2 ms. The checks run in a thread: until the first pass is
    done the answer is "being checked", and while a changed file is re-checked its last result stands.
    """

    def __init__(self, list_files: Callable[[], list[Any]] | None = None) -> None:
        self._list_files = list_files or _every_config_file
        self._lock = threading.Lock()
        # weak, like core.config.FILES: a test's temporary file must still drop out when unused
        self._files: weakref.WeakSet[Any] | None = None
        self._results: dict[Path, tuple[tuple[int, int], str | None]] = {}
        self._thread: threading.Thread | None = None

    def _check(self, files: list[Any] | None) -> None:
        try:
            if files is None:
                files = self._list_files()
                with self._lock:
                    self._files = weakref.WeakSet(files)
            for file in files:
                version = file_version(file.path)
                if self._results.get(file.path, ((None,),))[0] != version:
                    error = file.check()
                    with self._lock:
                        self._results[file.path] = (version, str(error) if error is not None else None)
        except Exception:
            log.exception("readiness: checking the configuration files failed")
        finally:
            with self._lock:
                self._thread = None

    def problem(self) -> str | None:
        with self._lock:
            files = list(self._files) if self._files is not None else None
            stale = files is None or any(self._results.get(f.path, ((None,),))[0] != file_version(f.path)
                                         for f in files)
            if stale and self._thread is None:
                self._thread = threading.Thread(target=self._check, args=(files,), name="jinnang-readyz-config",
                                                daemon=True)
                self._thread.start()
            if files is None or any(f.path not in self._results for f in files):
                return "the configuration files are being checked"
            errors = {self._results[f.path][1] for f in files} - {None}
        return "; ".join(sorted(str(e) for e in errors)) or None

    def start(self) -> None:
        """Begin the first check at start-up (beside the warm start) rather than at the first probe."""
        self.problem()


_config_watch = ConfigWatch()
router.on_startup.append(_config_watch.start)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _database(settings: Settings) -> str | None:
    with open_engine(settings.db_url).connect() as conn:  # reads the catalogue: a damaged SQLite file fails
        catalogue = "sqlite_master" if conn.dialect.name == "sqlite" else "information_schema.tables"
        conn.execute(text(f"SELECT count(*) FROM {catalogue}"))
    return None


def _vectors(settings: Settings) -> str | None:
    from jinnang.ingest.vectors import open_chroma

    open_chroma(settings).heartbeat()
    return None


def _configuration(_: Settings) -> str | None:
    return _config_watch.problem()


def _models(settings: Settings) -> str | None:
    from jinnang.ingest.embed import get_embedder

    embedder = get_embedder(settings.embedding_model)  # the object only: its model loads on first use
    if not getattr(embedder, "loaded", False):
        return f"the embedding model {settings.embedding_model!r} is not loaded yet (the warm start loads it)"
    return None


CHECKS: tuple[tuple[str, Callable[[Settings], str | None]], ...] = (
    ("database", _database), ("vectors", _vectors), ("models", _models), ("configuration", _configuration))


_last_state: list[str | None] = [None]  # the failing check of the last probe: logged when it changes


def readiness(settings: Settings) -> tuple[str, str] | None:
    """(check, what is wrong) for the first check that fails, or None when the process is ready."""
    failed = None
    for name, check in CHECKS:
        try:
            problem = check(settings)
        except Exception as exc:  # whatever a check raises is its failure, never a 500
            problem = f"{type(exc).__name__}: {exc}"
        if problem is not None:
            failed = (name, problem)
            break
    state = failed[0] if failed else None
    if state != _last_state[0]:  # a probe every few seconds must not repeat the same line
        if failed:
            log.warning("not ready: %s: %s", *failed)
        else:
            log.info("ready")
        _last_state[0] = state
    return failed


@router.get("/readyz", responses=documented(503))
def readyz(request: Request) -> Any:
    failed = readiness(request.app.state.settings)
    if failed is None:
        return {"status": "ready", "checks": [name for name, _ in CHECKS]}
    name, problem = failed
    return JSONResponse(status_code=503, content={"status": 503, "field": name, "path": name,
                                                  "message": f"{name}: {problem}"})
