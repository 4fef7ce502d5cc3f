"""LangChain faces of playbook search: the project's embedder as `Embeddings`, the Chroma store
through `langchain-chroma`, and hybrid search as a `BaseRetriever`.
"""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from jinnang.core.settings import Settings
from jinnang.ingest.embed import get_embedder
from jinnang.ingest.vectors import collection_name, open_chroma, open_collection


class JinnangEmbeddings(Embeddings):
    """`settings.embedding_model` (USE by default, or a local sentence-transformers dir) for LangChain."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._embedder = get_embedder(model)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return _query_embedder(self.model).embed([text])[0].tolist()


_query_embedders: dict[str, Any] = {}


def _query_embedder(model: str) -> Any:
    """The same model for one-text queries, but USE on a single BLAS thread: a batch of one gains
    nothing from threads, and on a busy 2-core machine two spinning threads put p99 at ~300 ms
    instead of ~10 ms."""
    from jinnang.ingest.embed import USE_MULTILINGUAL, UseEmbedder

    if model != USE_MULTILINGUAL:
        return get_embedder(model)
    if model not in _query_embedders:
        _query_embedders[model] = UseEmbedder(threads=1)
    return _query_embedders[model]


def playbook_vectorstore(settings: Settings, model: str | None = None) -> Any:
    """The playbook collection as a langchain-chroma store (created first with the project's embedding
    function, so Chroma never falls back to its default)."""
    from langchain_chroma import Chroma

    model = model or settings.embedding_model
    from jinnang.coaching.store import COLLECTION

    open_collection(settings, COLLECTION, model)
    return Chroma(client=open_chroma(settings), collection_name=collection_name(COLLECTION, model),
                  embedding_function=JinnangEmbeddings(model), collection_metadata={"hnsw:space": "cosine"})


class PlaybookRetriever(BaseRetriever):
    """Hybrid playbook search (words + character n-grams + concepts + dense) as a LangChain retriever.

    `PlaybookRetriever(settings=s, k=5).invoke("医生嫌操作麻烦")` → Documents with metadata
    doc_id, score, kind and the document's meta.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings
    k: int = 10
    filters: dict[str, str] = {}
    channels: tuple[str, ...] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        from jinnang.coaching.search import search

        hits = search(self.settings, query, k=self.k, filters=self.filters, channels=self.channels)
        return [Document(page_content=h["text"], id=h["doc_id"],
                         metadata={"doc_id": h["doc_id"], "score": h["score"], "kind": h["kind"], **h["meta"]})
                for h in hits]
