"""Deleting a document and everything derived from it, and opening its original file.

Each layer removes its own part through its own function; this module only composes them, from
the top down (coaching, rules, nlp, then ingest), so that the document row — and with it the
means to run the deletion again — goes last:

    delete_document(settings, "doc-17", by="mgr-02")
    # → DeletionReport(document_id='doc-17', removed={'documents': 1, 'pages': 1, 'chunks': 2, …})
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.orm import Session

from jinnang.core.access import Viewer
from jinnang.core.errors import NotFound
from jinnang.core.settings import Settings
from jinnang.ingest.audit import write_audit
from jinnang.ingest.removal import forget_ingested
from jinnang.ingest.store import DocumentRow, ingest_engine
from jinnang.service.pipeline import ensure_all_tables

log = logging.getLogger(__name__)


class DeletionReport(BaseModel):
    document_id: str
    account_id: str | None = None
    by: str
    removed: dict[str, int]  # what was removed, by kind: table rows, vectors, the blob

    @property
    def total(self) -> int:
        return sum(self.removed.values())


def delete_document(settings: Settings, document_id: str, by: str, role: str = "cli") -> DeletionReport:
    """Erase `document_id` from every layer; NotFound for an unknown id. The deletion is audited."""
    from jinnang.coaching.forget import forget_in_coaching
    from jinnang.nlp.store import forget_records, machine_record_of, records_engine
    from jinnang.rules.accounts import forget_document

    ensure_all_tables(settings)
    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, document_id)
        if document is None:
            raise NotFound("document_id", f"no document {document_id!r}")
        account_id = document.account_id
    removed = forget_in_coaching(settings, document_id)
    with Session(records_engine(settings)) as session:
        record = machine_record_of(session, document_id)
        if account_id:
            removed.update(forget_document(session, account_id, document_id, record))
        removed.update(forget_records(session, document_id))
        session.commit()
    removed.update(forget_ingested(settings, document_id))
    write_audit(settings, actor=by, role=role, action="delete", document_id=document_id, outcome="done")
    log.info("document %s deleted by %s: %s", document_id, by, removed)
    return DeletionReport(document_id=document_id, account_id=account_id, by=by, removed=removed)


@dataclass(frozen=True)
class Original:
    data: bytes
    media_type: str
    filename: str


def document_owner(settings: Settings, document_id: str) -> tuple[bool, str | None]:
    """(whether the document exists, its rep) — what the access checks need, nothing of its content."""
    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, document_id)
        return (document is not None, document.rep_id if document else None)


def open_original(settings: Settings, document_id: str, viewer: Viewer, actor: str) -> Original | None:
    """The uploaded bytes when `viewer` may open them, else None; every attempt is audited."""
    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, document_id)
        allowed = document is not None and viewer.may_open_original(document.rep_id)
        outcome = "missing" if document is None else "allowed" if allowed else "refused"
        write_audit(settings, actor=actor, role=viewer.role, action="open_original", document_id=document_id,
                    outcome=outcome)
        if document is None or not allowed:
            return None
        blob = Path(document.blob_path)
        if not blob.is_file():
            raise NotFound("document_id", f"the original file of document {document_id!r} is gone")
        return Original(blob.read_bytes(), document.media_type, document.filename)
