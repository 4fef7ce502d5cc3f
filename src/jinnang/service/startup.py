"""What a server checks before it accepts work: every configuration file and the embedding model.

A broken journey file or a missing model used to start fine and fail on the first request (a
500, or every ingest job failing); `startup_problems` names each problem with its file, line and
field, and `jinnang serve` exits 2 on any. `warm_up` then loads the models and the playbook index
before the first search (lazily loaded they made it take 3–4.5 s).

What a check loads stays in the process that ran it: checking every file builds the OCR settings, the
spaCy pipeline and the objection scorer (about 440 MB with their libraries, issue 13). A web process that
runs no jobs needs none of them, so `serve` checks in a child (`startup_problems_apart`) and warms up only
what it serves; a worker asks `warm_up(settings, for_jobs=True)` for the extraction and OCR models too.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from jinnang.core.settings import Settings
from jinnang.ingest.embed import EmbeddingConfigError, get_embedder
from jinnang.nlp.calibration import check_calibrator
from jinnang.service.configuration import check_configuration

log = logging.getLogger(__name__)


def startup_problems(settings: Settings) -> list[str]:
    """One line a problem; empty when the service may start."""
    return _problems(settings, [(path, error) for path, error in check_configuration()])


def _problems(settings: Settings, checked: list[tuple[Path, Any]]) -> list[str]:
    problems = [str(error) for _, error in checked if error is not None]
    if (problem := check_calibrator()) is not None:
        problems.append(f"the extraction confidence calibrator (nlp/models/calibration.json): {problem}")
    try:
        get_embedder(settings.embedding_model)
    except EmbeddingConfigError as exc:
        problems.append(f"setting embedding_model (JINNANG_EMBEDDING_MODEL): {exc}")
    return problems


def startup_problems_apart(settings: Settings) -> list[str]:
    """`startup_problems` answered by a fresh Python process, so what the checks load leaves with it (the
    settings go to it on stdin, never on its command line). Its look at each file is kept for
    `config_files_apart`. If it cannot answer, the check runs here: slower to free, never skipped."""
    answer = _ask_child(settings)
    if answer is None:
        return startup_problems(settings)
    _APART.keep(answer["files"])
    return [str(p) for p in answer["problems"]]


class FileCheckedApart:
    """A configuration file as the checking process found it: what the readiness probe's `ConfigWatch`
    needs of a ConfigFile (`path`, `check()`) without importing the modules (and models) behind it."""

    def __init__(self, path: Path, version: tuple[int, int], error: str | None) -> None:
        self.path, self.version, self.error = path, version, error

    def check(self) -> str | None:
        """The file's error now (None: valid); a file changed since is checked again, with the others."""
        if file_version(self.path) != self.version:
            _APART.refresh()
        return self.error


class _Apart:
    def __init__(self) -> None:
        self._files: dict[Path, FileCheckedApart] = {}  # held here: ConfigWatch keeps its files weakly
        self._lock = threading.Lock()

    def keep(self, rows: list[list[Any]]) -> list[FileCheckedApart]:
        with self._lock:
            for path, mtime_ns, size, error in rows:
                known = self._files.setdefault(Path(path), FileCheckedApart(Path(path), (mtime_ns, size), error))
                known.version, known.error = (mtime_ns, size), error
            return list(self._files.values())

    def refresh(self) -> list[FileCheckedApart]:
        answer = _ask_child(None)
        if answer is None:  # checked here instead: correct, only heavier
            from jinnang.service.configuration import config_files

            return self.keep([[str(f.path), *file_version(f.path), _text(f.check())] for f in config_files()])
        return self.keep(answer["files"])

    def files(self) -> list[FileCheckedApart]:
        with self._lock:
            known = list(self._files.values())
        return known or self.refresh()


_APART = _Apart()


def config_files_apart() -> list[FileCheckedApart]:
    """Every configuration file, checked by a fresh process (the start-up check's answer when `serve`
    ran it apart): the readiness probe's list, at no cost in the web process's memory."""
    return _APART.files()


def file_version(path: Path) -> tuple[int, int]:
    """(mtime ns, size) of a file, (-1, -1) when it is gone: what says a configuration file changed."""
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_mtime_ns, stat.st_size)


def _text(error: Any) -> str | None:
    return None if error is None else str(error)


def _ask_child(settings: Settings | None) -> dict[str, Any] | None:
    """{"files": [[path, mtime_ns, size, error], …], "problems": […] (given settings)} from a fresh process."""
    try:
        done = subprocess.run([sys.executable, "-c", _CHECK_IN_CHILD], capture_output=True, text=True,
                              input=settings.model_dump_json() if settings is not None else "", timeout=900,
                              check=False)
        if done.returncode == 0:
            answer = json.loads(done.stdout.strip().splitlines()[-1])
            if isinstance(answer, dict) and isinstance(answer.get("files"), list):
                return answer
        log.error("the configuration check's process ended with %s: %s", done.returncode, done.stderr[-4000:])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        log.exception("the configuration check could not run in its own process")
    return None


# versions are taken before each check, so an edit made during it is seen as a change afterwards
_CHECK_IN_CHILD = """
import json, sys
from jinnang.service.configuration import config_files
from jinnang.service.startup import _problems, _text, file_version
files = [[str(f.path), *file_version(f.path), _text(f.check())] for f in config_files()]
given = sys.stdin.read()
problems = []
if given:
    from jinnang.core.settings import Settings
    problems = _problems(Settings(**json.loads(given)), [(path, error) for path, _m, _s, error in files])
print(json.dumps({"files": files, "problems": problems}))
"""


def release_free_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc keeps what a large decode or a warm-up freed,
    and the RSS never falls). False where there is no glibc."""
    trim = getattr(_libc(), "malloc_trim", None)
    return bool(trim(0)) if trim is not None else False


def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name and "libc" in name else None
    except OSError:
        return None


def warm_up(settings: Settings, for_jobs: bool = False) -> dict[str, float]:
    """Load what the first search needs (LAC, the embedding model, the concept matcher, the name
    gazetteers for anonymised hits, Chroma and the playbook index) and bring the playbook up to date,
    so the first search answers as fast as the hundredth. With `for_jobs` (a worker, or a process that
    runs ingest jobs in its own threads and wants no slow first job) the extraction pipeline and the
    OCR engine too. Seconds per step; a step that fails is logged and skipped (the service still
    starts; that step then loads on first use). Freed memory is handed back at the end."""
    import time

    from jinnang.core.access import Viewer

    timings: dict[str, float] = {}

    def step(name: str, work: Any) -> None:
        started = time.perf_counter()
        try:
            work()
        except Exception:
            log.exception("warm-up step %s failed", name)
        timings[name] = round(time.perf_counter() - started, 3)

    def search_once() -> None:
        from jinnang.coaching.search import search_hits

        # a viewer who sees only their own notes: the anonymising path (gazetteers, LAC names) loads too
        search_hits(settings, "主任说价格太贵怎么办", k=5, viewer=Viewer(role="rep", subject="warm-up"))

    def playbook() -> None:
        from jinnang.coaching import index_documents
        from jinnang.service.playbook_refresh import refresh_if_stale

        index_documents(settings, [])  # a store of the older, non-segmented format is rebuilt in the new one
        refresh_if_stale(settings)

    def models() -> None:
        from jinnang.coaching.search import mask_identifiers
        from jinnang.coaching.vectors import query_embedder

        query_embedder(settings.embedding_model).embed(["预热"])
        mask_identifiers("金华市人民医院王主任说价格太贵")

    def extraction() -> None:
        import datetime as dt

        from jinnang.nlp.extract import extract

        extract("今天拜访金华市人民医院王主任，他说价格太贵，下周三再去设备科。", dt.date(2026, 1, 5))

    def ocr() -> None:
        from jinnang.ingest.ocr.engines import get_ocr_engine

        engine = get_ocr_engine(settings.ocr_engine)
        if callable(load := getattr(engine, "load", None)):
            load()

    step("models", models)
    step("playbook", playbook)
    step("search", search_once)
    if for_jobs:
        step("extraction", extraction)
        step("ocr", ocr)
    release_free_memory()
    return timings
