"""How many BLAS/ONNX threads one process uses: one by default, `JINNANG_THREADS` to change it.

Several processes (web, workers, the CLI) share the machine's cores; each numeric library
starting one thread per core makes them fight. Issue 12 measured the same ingest at 31 s on one
BLAS thread against 82 s on two, on a busy 2-core machine. So the USE encoder, the OCR sessions
and numpy's BLAS all take their thread count from here.
"""
from __future__ import annotations

import logging
import os
import threading

from jinnang.core.errors import InputError

log = logging.getLogger(__name__)

THREADS_VARIABLE = "JINNANG_THREADS"
DEFAULT_THREADS = 1
_limited: int | None = None
_lock = threading.Lock()


def configured_threads() -> int:
    """`JINNANG_THREADS` (a whole number ≥ 1), or 1 when it is unset or empty."""
    raw = os.environ.get(THREADS_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_THREADS
    if not raw.isdigit() or int(raw) < 1:
        raise InputError(THREADS_VARIABLE, f"{THREADS_VARIABLE} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def limit_process_threads() -> int:
    """Cap the BLAS and OpenMP pools of this process at `configured_threads()`, once; returns the cap."""
    global _limited
    with _lock:
        if _limited is None:
            threads = configured_threads()
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=threads)  # not a context: it holds for the rest of the process
            _limited = threads
            log.debug("BLAS/OpenMP threads limited to %d", threads)
        return _limited
