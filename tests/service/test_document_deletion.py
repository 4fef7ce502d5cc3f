"""Deleting a document erases it and everything derived from it, provably: every table row and
vector that refers to it is counted before and after, and another document is left as it was."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jinnang.coaching.forget import playbook_vector_ids, tips_citing
from jinnang.coaching.playbook import build_playbook
from jinnang.coaching.search import search_hits
from jinnang.coaching.store import PlaybookStore
from jinnang.core.errors import NotFound
from jinnang.ingest.audit import audit_entries
from jinnang.ingest.removal import chunk_vector_ids
from jinnang.ingest.store import ChunkRow, DocumentRow, IngestJobRow, OcrLineRow, PageRow, ingest_engine
from jinnang.nlp.store import CorrectionRow, ExtractionRow, records_engine
from jinnang.rules.accounts import load_account
from jinnang.rules.accounts.tables import AccountRow, ObjectionRow
from jinnang.service.documents import delete_document
from jinnang.service.pipeline import ingest_bytes

ACCOUNT = "acc-del-1"
DELETED_NOTE = ("南京鼓楼医院 骨科 第一次拜访\n见到了骨科王主任和设备科李科长。王主任说我们的钢板比进口的还贵，科里预算有限。"
                "带了样品，解答了两个问题。下周三上午再去设备科。")
KEPT_NOTE = ("南京鼓楼医院 骨科 第二次拜访\n又见到了设备科李科长，他说招标流程要走三个月。"
             "我们给了同级医院的中标价对比，他认可了。")


def _ingest(settings, text: str, name: str, day: int, account_id: str | None) -> str:
    registration, job = ingest_bytes(settings, text.encode(), name, kind="visit_note", account_id=account_id,
                                     rep_id="rep-07", hospital="南京鼓楼医院", reference_date=dt.date(2026, 11, day),
                                     meta={"outcome": "won", "department": "骨科"})
    assert job is not None and job.status == "done", job.error if job else None
    return registration.document_id


def footprint(settings, document_id: str) -> dict[str, int]:
    """Every stored trace of `document_id`: table rows, vectors, search-store entries, account facts, the file."""
    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, document_id)
        blob = Path(document.blob_path) if document else None
        page_ids = select(PageRow.id).where(PageRow.document_id == document_id)
        counts = {
            "documents": int(document is not None),
            "pages": session.scalar(select(func.count()).where(PageRow.document_id == document_id)) or 0,
            "ocr_lines": session.scalar(select(func.count()).where(OcrLineRow.page_id.in_(page_ids))) or 0,
            "chunks": session.scalar(select(func.count()).where(ChunkRow.document_id == document_id)) or 0,
            "ingest_jobs": session.scalar(select(func.count()).where(IngestJobRow.document_id == document_id)) or 0,
            "blob": int(blob is not None and blob.is_file()),
        }
    with Session(records_engine(settings)) as session:
        record = session.scalar(select(ExtractionRow).where(ExtractionRow.document_id == document_id))
        counts["extraction_records"] = int(record is not None)
        counts["extraction_corrections"] = session.scalar(
            select(func.count()).where(CorrectionRow.record_id == record.id)) or 0 if record else 0
        counts["objections"] = session.scalar(select(func.count()).where(ObjectionRow.document_id == document_id)) or 0
        account = session.get(AccountRow, ACCOUNT)
        snapshot = json.dumps(account.snapshot if account else {}, ensure_ascii=False)
        counts["account_links"] = int(account is not None and document_id in (account.applied_documents or []))
        counts["account_mentions"] = snapshot.count(f'"{document_id}"')  # evidence spans, documents
    counts["chunk_vectors"] = len(chunk_vector_ids(settings, document_id))
    counts["playbook_vectors"] = len(playbook_vector_ids(settings, document_id))
    counts["playbook_documents"] = int(document_id in PlaybookStore(settings).read_documents())
    counts["playbook_tips"] = len(tips_citing(settings, document_id))
    return counts


@pytest.fixture
def two_notes(settings):
    deleted = _ingest(settings, DELETED_NOTE, "first.txt", 16, ACCOUNT)
    kept = _ingest(settings, KEPT_NOTE, "second.txt", 18, ACCOUNT)
    build_playbook(settings)
    with Session(records_engine(settings)) as session:  # a manager's correction of the deleted note's record
        record = session.scalar(select(ExtractionRow).where(ExtractionRow.document_id == deleted))
        session.add(CorrectionRow(record_id=record.id, field="objections", action="accept", reviewer="mgr-02"))
        session.commit()
    return deleted, kept


def test_delete_removes_every_trace_of_the_document_and_nothing_of_the_other(settings, two_notes):
    deleted, kept = two_notes
    before, kept_before = footprint(settings, deleted), footprint(settings, kept)
    for kind in ("documents", "pages", "chunks", "ingest_jobs", "blob", "extraction_records",
                 "extraction_corrections", "objections", "account_links", "account_mentions", "chunk_vectors",
                 "playbook_vectors", "playbook_documents"):
        assert before[kind] > 0, (kind, before)
    assert any(deleted == hit.doc_id for hit in search_hits(settings, "钢板比进口的还贵", k=10))

    report = delete_document(settings, deleted, by="mgr-02")

    after = footprint(settings, deleted)
    assert after == dict.fromkeys(after, 0), after
    assert footprint(settings, kept) == {**kept_before, "playbook_tips": footprint(settings, kept)["playbook_tips"]}
    for kind in ("documents", "pages", "chunks", "ingest_jobs", "extraction_records", "extraction_corrections",
                 "objections", "chunk_vectors", "playbook_vectors", "playbook_documents"):
        assert report.removed[kind] == before[kind], (kind, report.removed)
    assert report.removed["blobs"] == 1 and report.removed["account_links"] == 1
    assert all(hit.doc_id != deleted for hit in search_hits(settings, "钢板比进口的还贵", k=10))
    account = load_account(records_engine(settings), ACCOUNT)
    assert deleted not in account.model_dump_json()
    assert [c.name for c in account.contacts if c.name.startswith("李")], "the contact the kept note names stays"
    assert [(e.action, e.outcome) for e in audit_entries(settings, deleted)] == [("delete", "done")]


def test_deleting_an_unknown_document_is_not_found_naming_the_id(settings):
    with pytest.raises(NotFound) as raised:
        delete_document(settings, "no-such-doc", by="mgr-02")
    assert raised.value.field == "document_id"


def test_deleting_the_last_document_leaves_only_the_built_in_advice(settings):
    only = _ingest(settings, DELETED_NOTE, "only.txt", 16, None)
    delete_document(settings, only, by="root")
    assert footprint(settings, only) == dict.fromkeys(footprint(settings, only), 0)
    hits = search_hits(settings, "钢板", k=5)
    assert hits and all(hit.meta.get("origin") == "built_in" for hit in hits)
