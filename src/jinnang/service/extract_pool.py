"""Extraction (text → ExtractionRecord) in worker processes, for the batch ingest only.

`jinnang ingest FOLDER` reads, chunks, embeds and writes in its own process while the notes'
extraction, pure computation, runs in a small pool beside it: the second core does the spaCy
and objection models' work the parent would otherwise do between its embedding batches. The
parent still stores every record itself, in order (service/pipeline.py), so nothing stored
changes. The web process and the queue workers never use it.

Workers are started by forkserver (spawn where there is none): a process that has loaded ONNX
sessions is never forked. Each loads its models once, at start, while the parent works.
A task that raises fails its own document; a worker that dies takes the pool down, so the
pool is started again and each unfinished note is sent once more; a note whose second attempt
also breaks the pool fails alone.
"""
from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from jinnang.core.records import DocumentKind, ExtractionRecord

log = logging.getLogger(__name__)

# at most this many processes (the parent and its extraction workers): beyond it the parent's own
# embedding and writing, not extraction, is what the run waits for
MAX_PROCESSES = 4
# fewer notes than this are extracted in the parent: a worker's start-up (about 3 s of model
# loading on another core) is not worth a handful of notes
MIN_NOTES = 12

Key = tuple[str, dt.date, DocumentKind]
Task = Callable[[str, dt.date, DocumentKind], ExtractionRecord]


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_processes() -> int:
    """The parent and its workers together: the usable cores, at most MAX_PROCESSES."""
    return max(1, min(usable_cores(), MAX_PROCESSES))


def extract_note(text: str, reference_date: dt.date, kind: DocumentKind) -> ExtractionRecord:
    from jinnang.nlp.extract import extract

    return extract(text, reference_date, kind)


def _parent_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rpartition(")")[2].split()[0] in ("Z", "X")  # dead, not yet reaped
    except FileNotFoundError:
        return True
    except OSError:  # no /proc here: ask the kernel instead
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
        return False


def _watch_parent(pid: int) -> None:
    # a worker blocks on its task queue, whose pipe it holds both ends of: it would outlive a killed
    # parent (and keep the fork server alive) with its models in memory
    while not _parent_gone(pid):
        time.sleep(1.0)
    os._exit(0)


def _start_worker(data_dir: str, task: Task, parent: int) -> None:
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()
    # learned models live under the data dir, which a worker must read as its parent does
    os.environ["JINNANG_DATA_DIR"] = data_dir
    from jinnang.ingest.threads import limit_process_threads

    limit_process_threads()
    try:  # load every model now, while the parent reads and embeds
        task("预热：设备科王主任说价格偏高，下周三再谈。", dt.date(2026, 1, 5), "visit_note")
    except Exception:  # the first real note meets the failure again and records it
        log.exception("warming up an extraction worker failed")


def _ready() -> int:
    return os.getpid()


def _context() -> Any:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # the server imports only this module, not the command that started it (`__main__`, by default)
    context.set_forkserver_preload([__name__])
    return context


class ExtractPool:
    """`extract(text, date, kind)` served by `workers` processes; `submit` first to start a note early."""

    def __init__(self, workers: int, data_dir: os.PathLike | str, task: Task = extract_note):
        self.workers, self.task, self.data_dir = max(1, workers), task, str(data_dir)
        self._lock = threading.Lock()
        # key → [future, the pool's start it went to, submissions not yet taken, attempts]
        self._pending: dict[Key, list[Any]] = {}
        self.restarts = 0  # how often the pool was started again after a worker died
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_start_worker,
                                       initargs=(self.data_dir, self.task, os.getpid()))
        for _ in range(self.workers):  # workers start on demand: ask for all of them now
            executor.submit(_ready)
        return executor

    def submit(self, text: str, reference_date: dt.date, kind: DocumentKind) -> None:
        """Start extracting a note; the same note twice is extracted once."""
        key: Key = (text, reference_date, kind)
        with self._lock:
            entry = self._pending.get(key)
            if entry is not None:
                entry[2] += 1
                return
            self._pending[key] = [*self._submit(key), 1, 1]

    def _submit(self, key: Key) -> tuple[Future, int]:
        try:
            return self._executor.submit(self.task, *key), self.restarts
        except BrokenProcessPool:
            self._restart(self.restarts)
            return self._executor.submit(self.task, *key), self.restarts

    def _restart(self, broken: int) -> None:
        if broken != self.restarts:
            return  # started again already, for another note
        log.warning("an extraction worker died; starting the pool again")
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.restarts += 1
        self._executor = self._start()

    def extract(self, text: str, reference_date: dt.date, kind: DocumentKind) -> ExtractionRecord:
        """The note's record: the one submitted earlier, or extracted now in a worker."""
        key: Key = (text, reference_date, kind)
        with self._lock:
            entry = self._pending.get(key)
            if entry is None:
                entry = self._pending[key] = [*self._submit(key), 1, 1]
        while True:
            try:
                record = entry[0].result()
                break
            except BrokenProcessPool:
                with self._lock:
                    if entry[3] >= 2:
                        self._pending.pop(key, None)
                        raise RuntimeError("the extraction worker died twice on this note") from None
                    self._restart(entry[1])
                    entry[0], entry[1] = self._submit(key)
                    entry[3] += 1
            except BaseException:
                self._take(key, entry)
                raise
        self._take(key, entry)
        return record

    def _take(self, key: Key, entry: list[Any]) -> None:
        with self._lock:
            entry[2] -= 1
            if entry[2] <= 0:
                self._pending.pop(key, None)

    def close(self) -> None:
        with self._lock:
            self._pending.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ExtractPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
