"""Extraction records in SQLite, linked to their source document, and managers' corrections.

The machine output is never overwritten: a correction is a separate row with who and
when, and the reviewed record is the machine record with the accepted corrections
laid over it.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from jinnang.core.db import Base, ensure_schema, open_engine
from jinnang.core.errors import InputError, from_validation_error
from jinnang.core.records import DecisionMaker, ExtractionRecord, KeyDate, Objection, VisitFacts
from jinnang.core.settings import Settings
from jinnang.nlp.calibration import record_confidence as calibrated_record_confidence


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class ExtractionRow(Base):
    __tablename__ = "extraction_records"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(String, unique=True, index=True)
    kind: Mapped[str] = mapped_column(String)
    reference_date: Mapped[dt.date] = mapped_column()
    rep_id: Mapped[str | None] = mapped_column(String, index=True, nullable=True)
    account_id: Mapped[str | None] = mapped_column(String, index=True, nullable=True)
    hospital: Mapped[str | None] = mapped_column(String, index=True, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    record_json: Mapped[str] = mapped_column(Text)
    min_confidence: Mapped[float] = mapped_column(Float, default=1.0)
    review_status: Mapped[str] = mapped_column(String, default="pending")  # pending | accepted | corrected
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String, nullable=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    @property
    def record(self) -> ExtractionRecord:
        return ExtractionRecord.model_validate_json(self.record_json)


class CorrectionRow(Base):
    __tablename__ = "extraction_corrections"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("extraction_records.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String)  # a top-level field of ExtractionRecord, or an ITEM_FIELDS one
    action: Mapped[str] = mapped_column(String)  # accept | correct (+ reject | add for one item)
    value_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewer: Mapped[str] = mapped_column(String)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    scope: Mapped[str | None] = mapped_column(String, nullable=True)  # "item": one item; None: the whole field
    item_index: Mapped[int | None] = mapped_column(Integer, nullable=True)


TABLES = [ExtractionRow.__table__, CorrectionRow.__table__]
REVIEWABLE_FIELDS = ("decision_makers", "objections", "key_dates", "visit", "journey_node")


def records_engine(settings: Settings) -> Engine:
    engine = open_engine(settings.db_url)
    ensure_schema(engine)
    return engine


def record_confidence(record: ExtractionRecord) -> float:
    """The calibrated confidence of the record's least sure item, visit facts and journey node included."""
    return calibrated_record_confidence(record)


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
    """The machine record with every correction laid over it, rejected items left out (gold-format shape)."""
    return record_of_state(row.record.model_dump(mode="json"), review_state(row, corrections_of(session, row.id)))


# ------------------------------------------------------------------ one item at a time
# A record's items: each person, objection and date, the visit facts and the journey signal. An item keeps
# its index (machine items first, added ones after): a rejected item stays as a tombstone, so the page's
# indexes hold while a reviewer works down the list.

ITEM_FIELDS = ("decision_makers", "objections", "key_dates", "visit", "journey_signals")
LIST_FIELDS = ("decision_makers", "objections", "key_dates")
ITEM_ACTIONS = ("accept", "correct", "reject", "add")
_ITEM_MODELS: dict[str, type[BaseModel]] = {"decision_makers": DecisionMaker, "objections": Objection,
                                            "key_dates": KeyDate, "visit": VisitFacts}
# where a span-located item says where it was read; a new evidence text makes the old place wrong
_PLACE_KEYS = ("start", "end", "page")


@dataclass
class ReviewedItem:
    index: int | None  # None for the single items (visit, journey signal)
    machine: dict[str, Any] | None  # as extracted (None for an added item)
    value: dict[str, Any] | None  # as it stands now (None when rejected or absent)
    status: str = "machine"  # machine | accepted | corrected | rejected | added
    by: str | None = None
    at: dt.datetime | None = None


def _journey_item(record: dict[str, Any]) -> dict[str, Any] | None:
    if not record.get("journey_node"):
        return None
    return {"journey_node": record["journey_node"], "journey_evidence": record.get("journey_evidence")}


def _machine_items(record: dict[str, Any]) -> dict[str, list[ReviewedItem]]:
    state = {f: [ReviewedItem(i, item, item) for i, item in enumerate(record.get(f) or [])] for f in LIST_FIELDS}
    visit, journey = record.get("visit"), _journey_item(record)
    state["visit"] = [ReviewedItem(None, visit, visit)]
    state["journey_signals"] = [ReviewedItem(None, journey, journey)]
    return state


def _whole_field(state: dict[str, list[ReviewedItem]], c: CorrectionRow) -> None:
    """The older whole-field review: accept every item, or replace the field's value."""
    field = "journey_signals" if c.field == "journey_node" else c.field
    if field not in state:
        return
    if c.action == "accept":
        for item in state[field]:
            if item.value is not None:
                item.status, item.by, item.at = "accepted", c.reviewer, c.created_at
        return
    value = json.loads(c.value_json or "null")
    if field in LIST_FIELDS:
        for item in state[field]:
            if item.value is not None:
                item.value, item.status, item.by, item.at = None, "rejected", c.reviewer, c.created_at
        start = len(state[field])
        state[field] += [ReviewedItem(start + i, None, v, "corrected", c.reviewer, c.created_at)
                         for i, v in enumerate(value or [])]
        return
    item = state[field][0]
    if field == "journey_signals":
        value = None if value is None else {"journey_node": value,
                                            "journey_evidence": (item.value or {}).get("journey_evidence")}
    item.value, item.status, item.by, item.at = value, "corrected", c.reviewer, c.created_at


def review_state(row: ExtractionRow, corrections: list[CorrectionRow]) -> dict[str, list[ReviewedItem]]:
    """Each field's items as the corrections (replayed in order) left them."""
    state = _machine_items(row.record.model_dump(mode="json"))
    for c in corrections:
        if c.scope != "item":
            _whole_field(state, c)
            continue
        items = state.get(c.field)
        if items is None:
            continue
        value = json.loads(c.value_json or "null")
        if c.action == "add" and c.field in LIST_FIELDS:
            items.append(ReviewedItem(len(items), None, value, "added", c.reviewer, c.created_at))
            continue
        position = c.item_index if c.field in LIST_FIELDS else 0
        if position is None or not 0 <= position < len(items):
            continue
        item = items[position]
        status = {"accept": "accepted", "correct": "corrected", "reject": "rejected", "add": "added"}[c.action]
        item.value = None if c.action == "reject" else value if c.action in ("correct", "add") else item.value
        item.status, item.by, item.at = status, c.reviewer, c.created_at
    return state


def record_of_state(machine: dict[str, Any], state: dict[str, list[ReviewedItem]]) -> dict[str, Any]:
    merged = dict(machine)
    for field in LIST_FIELDS:
        merged[field] = [i.value for i in state[field] if i.value is not None]
    merged["visit"] = state["visit"][0].value
    journey = state["journey_signals"][0].value or {}
    merged["journey_node"], merged["journey_evidence"] = journey.get("journey_node"), journey.get("journey_evidence")
    return merged


def resolve_item(field: str, current: dict[str, Any] | None, action: str, value: Any) -> dict[str, Any] | None:
    """The item after `action`: a correction is laid over the current item (evidence kept unless the value
    gives its own; a new evidence text drops the old offsets), validated with the item's model; InputError
    names the bad field."""
    if field not in ITEM_FIELDS:
        raise InputError("field", f"field must be one of {', '.join(ITEM_FIELDS)}")
    if action == "reject":
        return None
    if action == "accept":
        if current is None:
            raise InputError("index", "there is no item to accept here")
        return current
    if not isinstance(value, dict):
        raise InputError("value", "value must be an object with the item's fields")
    base = dict(current or {}) if action == "correct" else {}
    if "evidence" in value and isinstance(value.get("evidence"), str) and value["evidence"] != base.get("evidence"):
        base = {k: v for k, v in base.items() if k not in _PLACE_KEYS}
    merged = {**base, **value, "confidence": 1.0}
    if field == "journey_signals":
        return _journey_value(merged)
    merged = {k: v for k, v in merged.items() if k != "confidence"} if field == "visit" else merged
    try:
        return _ITEM_MODELS[field].model_validate(merged).model_dump(mode="json")
    except ValidationError as exc:
        raise from_validation_error(exc, prefix=("value",)) from None


def _journey_value(merged: dict[str, Any]) -> dict[str, Any]:
    node = merged.get("journey_node", merged.get("node"))
    if not isinstance(node, str) or not node.strip():
        raise InputError("journey_node", "journey_node must name a journey node")
    evidence = merged.get("journey_evidence")
    if evidence is not None and not isinstance(evidence, str):
        raise InputError("journey_evidence", "journey_evidence must be text")
    return {"journey_node": node.strip(), "journey_evidence": evidence}


def add_item_review(session: Session, row: ExtractionRow, field: str, index: int | None, action: str,
                    value: Any, reviewer: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None, int | None]:
    """Record one item's review; (the item before, the item after, its index). The caller commits."""
    if action not in ITEM_ACTIONS:
        raise InputError("action", f"action must be one of {', '.join(ITEM_ACTIONS)}")
    state = review_state(row, corrections_of(session, row.id))
    items = state.get(field)
    if items is None:
        raise InputError("field", f"field must be one of {', '.join(ITEM_FIELDS)}")
    before: dict[str, Any] | None = None
    if field in LIST_FIELDS and action == "add":
        index = len(items)
    elif field in LIST_FIELDS:
        if index is None or not 0 <= index < len(items):
            raise InputError("index", f"index must be 0 to {len(items) - 1} for {field}" if items
                             else f"{field} has no items; use action add")
        before = items[index].value if items[index].value is not None else items[index].machine
        if items[index].value is None and action != "correct":
            raise InputError("index", f"item {index} of {field} was rejected; correct it to bring it back")
    else:
        index, before = None, items[0].value
    after = resolve_item(field, before, "correct" if action == "add" and field not in LIST_FIELDS else action, value)
    now = utcnow()
    session.add(CorrectionRow(record_id=row.id, field=field, action=action, scope="item", item_index=index,
                              value_json=None if after is None else json.dumps(after, ensure_ascii=False),
                              reviewer=reviewer, created_at=now))
    session.flush()
    mark_reviewed(session, row, reviewer, now)
    return before, after, index


def mark_reviewed(session: Session, row: ExtractionRow, reviewer: str, at: dt.datetime | None = None) -> None:
    """The record's status from its corrections (any change: corrected; else accepted), and who and when."""
    actions = {c.action for c in corrections_of(session, row.id)}
    row.review_status = "corrected" if actions & {"correct", "reject", "add"} else "accepted"
    row.reviewed_by, row.reviewed_at = reviewer, at or utcnow()


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
