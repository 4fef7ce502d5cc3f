"""LangChain faces of playbook search: the project's embedder as `Embeddings`, the Chroma store
through `langchain-chroma`, and hybrid search as a `BaseRetriever`.

A leaf: it uses the store and search, and nothing in jinnang imports it.
"""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from jinnang.coaching.search import search_hits
from jinnang.coaching.vectors import COLLECTION, PlaybookVectors, query_embedder
from jinnang.core.settings import Settings
from jinnang.ingest.embed import get_embedder
from jinnang.ingest.vectors import collection_name, open_chroma


class JinnangEmbeddings(Embeddings):
    """`settings.embedding_model` (USE by default, or a local sentence-transformers dir) for LangChain."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._embedder = get_embedder(model)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return query_embedder(self.model).embed([text])[0].tolist()


def playbook_vectorstore(settings: Settings, model: str | None = None) -> Any:
    """The playbook collection as a langchain-chroma store (created first with the project's embedding
    function, so Chroma never falls back to its default)."""
    from langchain_chroma import Chroma

    vectors = PlaybookVectors(settings, model)
    vectors.count()  # opens (creates) the collection the project's way
    return Chroma(client=open_chroma(settings), collection_name=collection_name(COLLECTION, vectors.model),
                  embedding_function=JinnangEmbeddings(vectors.model), collection_metadata={"hnsw:space": "cosine"})


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
        hits = search_hits(self.settings, query, k=self.k, filters=self.filters, channels=self.channels)
        return [Document(page_content=h.text, id=h.doc_id,
                         metadata={"doc_id": h.doc_id, "score": h.score, "kind": h.kind, **h.meta})
                for h in hits]
