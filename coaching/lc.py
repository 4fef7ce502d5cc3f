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

from ingest.embed import get_embedder
from ingest.vectors import collection_name, open_chroma, open_collection
from jinnang.settings import Settings


class JinnangEmbeddings(Embeddings):
    """`settings.embedding_model` (USE by default, or a local sentence-transformers dir) for LangChain."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._embedder = get_embedder(model)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()


def playbook_vectorstore(settings: Settings, model: str | None = None) -> Any:
    """The playbook collection as a langchain-chroma store (created first with the project's embedding
    function, so Chroma never falls back to its default)."""
    from langchain_chroma import Chroma

    model = model or settings.embedding_model
    from coaching.store import COLLECTION

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
        from coaching.search import search

        hits = search(self.settings, query, k=self.k, filters=self.filters, channels=self.channels)
        return [Document(page_content=h["text"], id=h["doc_id"],
                         metadata={"doc_id": h["doc_id"], "score": h["score"], "kind": h["kind"], **h["meta"]})
                for h in hits]
