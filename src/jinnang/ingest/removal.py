"""Erasing what ingest keeps of one document: its rows (document, pages, OCR lines, chunks,
jobs), its chunk vectors in Chroma and its uploaded file.

`forget_ingested(settings, document_id)` → counts of what was removed, by kind. Layers above
remove what they derived first (service/documents.py composes them); this runs last, so a
deletion cut short can be run again while the document row still names the file.
"""
from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Delete, delete, func, select
from sqlalchemy.orm import Session

from jinnang.core.errors import Conflict, NotFound
from jinnang.core.settings import Settings
from jinnang.ingest.pipeline import CHUNKS_COLLECTION, worker_alive
from jinnang.ingest.store import ChunkRow, DocumentRow, IngestJobRow, OcrLineRow, PageRow, ingest_engine
from jinnang.ingest.vectors import open_collection

log = logging.getLogger(__name__)


def chunk_vector_ids(settings: Settings, document_id: str) -> list[str]:
    """Ids of the document's vectors in the ingest chunks collection."""
    return list(open_collection(settings, CHUNKS_COLLECTION).get(where={"document_id": document_id},
                                                                  include=[])["ids"])


def forget_ingested(settings: Settings, document_id: str) -> dict[str, int]:
    """Delete the document's rows, chunk vectors and blob; Conflict while a live job still works on it."""
    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, document_id)
        if document is None:
            raise NotFound("document_id", f"no document {document_id!r}")
        running = session.scalars(select(IngestJobRow).where(IngestJobRow.document_id == document_id,
                                                             IngestJobRow.status == "running")).all()
        if any(worker_alive(job.worker) for job in running):
            raise Conflict("document_id", f"document {document_id!r} is being ingested; delete it when its job ends")
        blob = Path(document.blob_path)
        # blobs are keyed by content hash and documents unique by hash, so no other row should
        # share the file; checked all the same, since deleting a shared file would lose data
        shared = session.scalar(select(func.count()).select_from(DocumentRow)
                                .where(DocumentRow.blob_path == document.blob_path, DocumentRow.id != document_id))
        page_ids = select(PageRow.id).where(PageRow.document_id == document_id)
        removed = {
            "ocr_lines": _delete(session, delete(OcrLineRow).where(OcrLineRow.page_id.in_(page_ids))),
            "pages": _delete(session, delete(PageRow).where(PageRow.document_id == document_id)),
            "chunks": _delete(session, delete(ChunkRow).where(ChunkRow.document_id == document_id)),
            "ingest_jobs": _delete(session, delete(IngestJobRow).where(IngestJobRow.document_id == document_id)),
            "documents": _delete(session, delete(DocumentRow).where(DocumentRow.id == document_id)),
        }
        vector_ids = chunk_vector_ids(settings, document_id)
        if vector_ids:  # before the commit: a Chroma failure leaves the rows, and the deletion can be re-run
            open_collection(settings, CHUNKS_COLLECTION).delete(ids=vector_ids)
        removed["chunk_vectors"] = len(vector_ids)
        session.commit()
    removed["blobs"] = 0
    if shared:
        log.warning("blob %s of document %s is shared by %d other documents; kept", blob, document_id, shared)
    elif blob.is_file():
        blob.unlink()
        removed["blobs"] = 1
    return removed


def _delete(session: Session, statement: Delete) -> int:
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
