"""The playbook's vectors in Chroma: one per chunk, in the collection of the embedding model.

`PlaybookVectors(settings)` is the only way coaching reaches Chroma (through
`jinnang.ingest.vectors`): it embeds with `settings.embedding_model`, keeps the vectors in step
with the chunks of the store, and answers nearest-neighbour queries.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from jinnang.core.settings import Settings
from jinnang.ingest.embed import USE_MULTILINGUAL, Embedder, UseEmbedder, get_embedder
from jinnang.ingest.vectors import open_collection

COLLECTION = "playbook"
BATCH = 5000  # ids per Chroma call: its SQLite refuses very long parameter lists
EMBED_BATCH = 256

_query_embedders: dict[str, Embedder] = {}


def query_embedder(model: str) -> Embedder:
    """The same model for one-text queries, but USE on a single BLAS thread: a batch of one gains
    nothing from threads, and on a busy 2-core machine two spinning threads put p99 at ~300 ms
    instead of ~10 ms."""
    if model != USE_MULTILINGUAL:
        embedder = get_embedder(model)
        # e5 embeds a query differently from a passage ("query: " prefix): its query side
        queries: Embedder | None = getattr(embedder, "queries", None)
        return queries if queries is not None else embedder
    if model not in _query_embedders:
        _query_embedders[model] = UseEmbedder(threads=1)
    return _query_embedders[model]


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class PlaybookVectors:
    """The playbook collection of one store and embedding model (opened on first use)."""

    def __init__(self, settings: Settings, model: str | None = None) -> None:
        self.settings = settings
        self.model = model or settings.embedding_model
        self._collection: Any = None

    @property
    def collection(self) -> Any:
        if self._collection is None:
            self._collection = open_collection(self.settings, COLLECTION, self.model)
        return self._collection

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return get_embedder(self.model).embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return query_embedder(self.model).embed([text])[0].tolist()

    def count(self) -> int:
        return int(self.collection.count())

    def _pages(self, include: list[str]) -> Iterator[dict[str, Any]]:
        for offset in range(0, self.count(), BATCH):
            yield self.collection.get(include=include, limit=BATCH, offset=offset)

    def stored_hashes(self) -> dict[str, str]:
        """Chunk id → hash of the text its vector was made from."""
        return {cid: (md or {}).get("hash", "")
                for page in self._pages(["metadatas"]) for cid, md in zip(page["ids"], page["metadatas"])}

    def unit_vectors(self) -> Iterator[tuple[str, np.ndarray]]:
        """(chunk id, L2-normalised vector) of every stored chunk."""
        for page in self._pages(["embeddings"]):
            for cid, vec in zip(page["ids"], page["embeddings"]):
                v = np.asarray(vec, dtype=np.float32)
                yield cid, v / (np.linalg.norm(v) or 1.0)

    def sync(self, chunks: list[tuple[str, str, str]], given: Mapping[str, np.ndarray] | None = None,
             say: Callable[[str], None] = lambda _m: None) -> None:
        """Make the collection hold exactly `chunks` (chunk id, document id, text): vectors of removed
        chunks go, new or changed ones are embedded (or taken from `given`, by chunk id)."""
        existing = self.stored_hashes()
        wanted = {cid: text_hash(text) for cid, _, text in chunks}
        stale = [cid for cid in existing if cid not in wanted]
        for i in range(0, len(stale), BATCH):
            self.collection.delete(ids=stale[i:i + BATCH])
        todo = [chunk for chunk in chunks if existing.get(chunk[0]) != wanted[chunk[0]]]
        if todo:
            say(f"{'storing given vectors of' if given is not None else 'embedding'} {len(todo)} chunks")
            self._write(todo, given)

    def add(self, chunks: list[tuple[str, str, str]],
            given: Mapping[str, np.ndarray] | None = None, stored: bool = True) -> dict[str, np.ndarray]:
        """Store the vectors of `chunks` (new ones of an add) and return each chunk's unit vector;
        reads and writes only these chunks, one batched call each. `stored=False`: the chunks are
        new to the index, so there is nothing to reuse and no read (a rerun after a crash writes
        the same ids again)."""
        if not chunks:
            return {}
        kept: dict[str, np.ndarray] = {}
        if stored:
            hashes = {cid: text_hash(text) for cid, _, text in chunks}
            got = self.collection.get(ids=list(hashes), include=["metadatas", "embeddings"])
            embeddings = got["embeddings"] if got["embeddings"] is not None else []
            kept = {cid: np.asarray(vec, dtype=np.float32)
                    for cid, md, vec in zip(got["ids"], got["metadatas"], embeddings)
                    if (md or {}).get("hash") == hashes.get(cid)}
        todo = [chunk for chunk in chunks if chunk[0] not in kept]
        out = {**kept, **self._write(todo, given)}
        return {cid: v / (np.linalg.norm(v) or 1.0) for cid, v in out.items()}

    def _write(self, todo: list[tuple[str, str, str]],
               given: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        """Upsert `todo`, embedding only the chunks `given` has no vector for; returns the vectors."""
        written: dict[str, np.ndarray] = {}
        step = EMBED_BATCH if given is None else BATCH
        for start in range(0, len(todo), step):
            part = todo[start:start + step]
            missing = [text for cid, _, text in part if given is None or cid not in given]
            embedded = iter(self.embed_documents(missing) if missing else [])
            vectors = [np.asarray(given[cid] if given is not None and cid in given else next(embedded),
                                  dtype=np.float32) for cid, _, _ in part]
            # no document text: the playbook keeps its chunks' text itself, and Chroma would index it for
            # a full-text search nobody runs (a third of a Chroma server's CPU per document)
            self.collection.upsert(ids=[cid for cid, _, _ in part],
                                   metadatas=[{"doc_id": doc_id, "hash": text_hash(text)} for _, doc_id, text in part],
                                   embeddings=[v.tolist() for v in vectors])
            written.update({cid: v for (cid, _, _), v in zip(part, vectors)})
        return written

    def nearest(self, vector: list[float], n: int) -> tuple[list[str], list[float]]:
        """Ids and cosine distances of the `n` chunks nearest to `vector`, nearest first."""
        got = self.collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        return got["ids"][0], got["distances"][0]
