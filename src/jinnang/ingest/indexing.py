"""A document's chunks into Chroma and the chunks table; several documents in one Chroma write.

An embedded Chroma pays ~50 ms a write whatever its size (its own commit), against ~1 ms a chunk
inside one write: 200 notes written one by one took 9.4 of a 43 s ingest (issue 12). So callers
that hold several documents hand them over together.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from jinnang.core.settings import Settings
from jinnang.ingest.chunking import document_chunks
from jinnang.ingest.embed import get_embedder
from jinnang.ingest.store import ChunkRow, DocumentRow
from jinnang.ingest.vectors import open_collection

CHUNKS_COLLECTION = "chunks"
WRITE_BATCH = 256  # chunks a Chroma write (well under its maximum batch size)


def chunk_ids(document: DocumentRow, texts: Sequence[str]) -> list[str]:
    return [f"{document.id}:{seq:04d}" for seq in range(len(texts))]


def index_chunks(settings: Settings, session: Session, documents: Sequence[DocumentRow]) -> None:
    """Chunk, embed and store `documents` (status "text" → "indexed"); the caller commits the session.

    Chroma is written first (it embeds, slowly): a SQLite write begun earlier would lock out every
    other writer meanwhile. Ids are "<document id>:<seq>" written with upsert, so a rerun replaces."""
    if not documents:
        return
    texts = {d.id: document_chunks(d.text or "") for d in documents}
    ids = {d.id: chunk_ids(d, texts[d.id]) for d in documents}
    collection = open_collection(settings, CHUNKS_COLLECTION)
    where: dict[str, Any] = ({"document_id": documents[0].id} if len(documents) == 1
                             else {"document_id": {"$in": [d.id for d in documents]}})
    keep = {cid for d in documents for cid in ids[d.id]}
    stale = [cid for cid in collection.get(where=where, include=[])["ids"] if cid not in keep]
    if stale:
        collection.delete(ids=stale)
    rows: list[tuple[str, str, dict[str, Any]]] = []
    for document in documents:
        meta = {"document_id": document.id, "kind": document.kind, "account_id": document.account_id or "",
                "rep_id": document.rep_id or "", "hospital": document.hospital or ""}
        rows += [(cid, text, {**meta, "seq": seq}) for seq, (cid, text) in enumerate(zip(ids[document.id],
                                                                                         texts[document.id]))]
    embed = get_embedder(settings.embedding_model).embed
    for start in range(0, len(rows), WRITE_BATCH):
        part = rows[start:start + WRITE_BATCH]
        # vectors and metadata only: the text is the chunk row's (SQL), and Chroma indexing it for full-text
        # search nobody runs was a third of a Chroma server's CPU per document (docs/production.md)
        collection.upsert(ids=[r[0] for r in part], metadatas=[r[2] for r in part],
                          embeddings=[v.tolist() for v in embed([r[1] for r in part])])
    session.execute(delete(ChunkRow).where(ChunkRow.document_id.in_([d.id for d in documents])))
    for document in documents:
        session.add_all(ChunkRow(id=cid, document_id=document.id, seq=seq, text=t)
                        for seq, (cid, t) in enumerate(zip(ids[document.id], texts[document.id])))
        document.status = "indexed"
