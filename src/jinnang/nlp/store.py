"""Extraction records in SQLite, linked to their source document, and managers' corrections.

The machine output is never overwritten: a correction is a separate row with who and
when, and the reviewed record is the machine record with the accepted corrections
laid over it.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Engine, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from jinnang.core.db import Base, ensure_tables, open_engine
from jinnang.core.records import ExtractionRecord
from jinnang.core.settings import Settings


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class ExtractionRow(Base):
    __tablename__ = "extraction_records"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    reference_date: Mapped[dt.date] = mapped_column()
    rep_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    hospital: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    record_json: Mapped[str] = mapped_column(Text)
    min_confidence: Mapped[float] = mapped_column(Float, default=1.0)
    review_status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | accepted | corrected
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def record(self) -> ExtractionRecord:
        return ExtractionRecord.model_validate_json(self.record_json)


class CorrectionRow(Base):
    __tablename__ = "extraction_corrections"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("extraction_records.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(32))  # a top-level field of ExtractionRecord
    action: Mapped[str] = mapped_column(String(16))  # accept | correct
    value_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewer: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    seq: Mapped[int] = mapped_column(Integer, default=0)


TABLES = [ExtractionRow.__table__, CorrectionRow.__table__]
REVIEWABLE_FIELDS = ("decision_makers", "objections", "key_dates", "visit", "journey_node")


def records_engine(settings: Settings) -> Engine:
    engine = open_engine(settings.sqlite_path)
    ensure_tables(engine, TABLES)  # type: ignore[arg-type]
    return engine


def record_confidence(record: ExtractionRecord) -> float:
    scores = [dm.confidence for dm in record.decision_makers] + [o.confidence for o in record.objections] + \
             [d.confidence for d in record.key_dates]
    return min(scores) if scores else 1.0


def save_record(session: Session, *, document_id: str, kind: str, reference_date: dt.date, text: str,
                record: ExtractionRecord, rep_id: str | None = None, account_id: str | None = None,
                hospital: str | None = None) -> ExtractionRow:
    """Insert or replace the machine record of a document (re-extraction keeps corrections)."""
    row = session.scalar(select(ExtractionRow).where(ExtractionRow.document_id == document_id))
    if row is None:
        row = ExtractionRow(document_id=document_id)
        session.add(row)
    row.kind, row.reference_date, row.text = kind, reference_date, text
    row.rep_id, row.account_id, row.hospital = rep_id, account_id, hospital
    row.record_json = record.model_dump_json()
    row.min_confidence = record_confidence(record)
    session.flush()
    return row


def corrections_of(session: Session, record_id: int) -> list[CorrectionRow]:
    return list(session.scalars(select(CorrectionRow).where(CorrectionRow.record_id == record_id)
                                .order_by(CorrectionRow.created_at, CorrectionRow.id)))


def reviewed_record(session: Session, row: ExtractionRow) -> dict[str, Any]:
    """The machine record with the latest correction of each field laid over it (gold-format shape)."""
    merged = row.record.model_dump(mode="json")
    for correction in corrections_of(session, row.id):
        if correction.action == "correct":
            merged[correction.field] = json.loads(correction.value_json or "null")
    return merged


GOLD_DECISION_MAKER_FIELDS = ("name", "title", "department", "organization", "role")


def gold_shape(record: dict[str, Any]) -> dict[str, Any]:
    """A record (machine or reviewed) reduced to the fields of shared/spec/gold-format.md §1."""
    visit = record.get("visit")
    return {
        "decision_makers": [{k: dm.get(k) for k in GOLD_DECISION_MAKER_FIELDS} for dm in record.get("decision_makers", [])],
        "objections": [{"category": o["category"], "evidence": o.get("evidence", "")} for o in record.get("objections", [])],
        "key_dates": [{"type": d["type"], "date": str(d["date"])} for d in record.get("key_dates", [])],
        "visit": None if visit is None else {"sample_brought": bool(visit.get("sample_brought")),
                                             "questions_resolved": int(visit.get("questions_resolved", 0)),
                                             "cross_dept_needs": list(visit.get("cross_dept_needs", []))},
        "journey_node": record.get("journey_node"),
    }


def machine_record_of(session: Session, document_id: str) -> ExtractionRecord | None:
    row = session.scalar(select(ExtractionRow).where(ExtractionRow.document_id == document_id))
    return row.record if row is not None else None


def forget_records(session: Session, document_id: str) -> dict[str, int]:
    """Delete a document's extraction record and every correction of it (the caller commits)."""
    row = session.scalar(select(ExtractionRow).where(ExtractionRow.document_id == document_id))
    if row is None:
        return {"extraction_records": 0, "extraction_corrections": 0}
    corrections = corrections_of(session, row.id)
    for correction in corrections:
        session.delete(correction)
    session.delete(row)
    session.flush()
    return {"extraction_records": 1, "extraction_corrections": len(corrections)}
