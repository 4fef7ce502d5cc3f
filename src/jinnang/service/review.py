"""Reviewing extraction records: the queue, one record with its evidence, and item corrections that
flow into the account the note was applied to.

    review_item(settings, viewer, 12, "decision_makers", 0, "correct", {"department": "关节外科"}, by="mgr-02")
    # → the record as JSON: machine output, items with their status, reviewed record, corrections, account change

nlp.store keeps the corrections beside the machine output; rules.accounts.corrections carries each one
into the account (contacts, objections, key dates, visits, journey) with who and when.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.core.access import Viewer
from jinnang.core.db import ensure_schema
from jinnang.core.settings import Settings
from jinnang.nlp.store import (
    ITEM_FIELDS,
    CorrectionRow,
    ExtractionRow,
    ReviewedItem,
    add_item_review,
    corrections_of,
    mark_reviewed,
    record_of_state,
    records_engine,
    review_state,
)
from jinnang.rules.accounts.corrections import apply_correction

log = logging.getLogger(__name__)

STATUSES = ("unreviewed", "reviewed")


class NotVisible(Exception):
    """The record is not the viewer's to see (or does not exist: `exists` says which)."""

    def __init__(self, exists: bool):
        self.exists = exists


@dataclass
class RecordFilters:
    rep_id: str | None = None
    hospital: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    field: str | None = None  # records with at least one item of this field
    status: str | None = None  # unreviewed | reviewed
    document_id: str | None = None
    low_confidence: float | None = None


def review_engine(settings: Settings):
    """The records' engine with the accounts' and corrections' tables made before any write opens."""
    engine = records_engine(settings)
    ensure_schema(engine)
    return engine


def _has_field(row: ExtractionRow, field: str) -> bool:
    record = json.loads(row.record_json)
    if field == "journey_signals" or field == "journey":
        return bool(record.get("journey_node"))
    return bool(record.get(field))


def find_records(session: Session, viewer: Viewer, filters: RecordFilters, order: str = "confidence",
                 limit: int = 200) -> list[ExtractionRow]:
    """The visible records passing the filters; `order` confidence (lowest first) or date (newest first)."""
    query = select(ExtractionRow)
    if filters.rep_id:
        query = query.where(ExtractionRow.rep_id == filters.rep_id)
    if filters.hospital:
        query = query.where(ExtractionRow.hospital.contains(filters.hospital))
    if filters.date_from:
        query = query.where(ExtractionRow.reference_date >= filters.date_from)
    if filters.date_to:
        query = query.where(ExtractionRow.reference_date <= filters.date_to)
    if filters.document_id:
        query = query.where(ExtractionRow.document_id == filters.document_id)
    if filters.low_confidence is not None:
        query = query.where(ExtractionRow.min_confidence < filters.low_confidence)
    if filters.status == "unreviewed":
        query = query.where(ExtractionRow.review_status == "pending")
    elif filters.status == "reviewed":
        query = query.where(ExtractionRow.review_status != "pending")
    elif filters.status:  # the API's own vocabulary: pending | accepted | corrected
        query = query.where(ExtractionRow.review_status == filters.status)
    if order == "confidence":
        query = query.order_by(ExtractionRow.min_confidence, ExtractionRow.reference_date.desc(), ExtractionRow.id)
    else:
        query = query.order_by(ExtractionRow.reference_date.desc(), ExtractionRow.id.desc())
    rows: list[ExtractionRow] = []
    # streamed and stopped at `limit`: a page of 20 does not load every record of the company
    result = session.scalars(query.execution_options(yield_per=max(limit, 50)))
    try:
        for row in result:
            if viewer.may_see_rep(row.rep_id) and (not filters.field or _has_field(row, filters.field)):
                rows.append(row)
                if len(rows) >= limit:
                    break
    finally:
        result.close()
    return rows


def _item_json(item: ReviewedItem) -> dict[str, Any]:
    # not dataclasses.asdict: its deep copy of every value was half of a review list's time
    return {"index": item.index, "machine": item.machine, "value": item.value, "status": item.status,
            "by": item.by, "at": item.at.isoformat() if item.at else None}


def corrections_by_record(session: Session, record_ids: Sequence[int]) -> dict[int, list[CorrectionRow]]:
    """Each record's corrections in the order `corrections_of` gives them, in one query for all."""
    found: dict[int, list[CorrectionRow]] = {record_id: [] for record_id in record_ids}
    if found:
        query = (select(CorrectionRow).where(CorrectionRow.record_id.in_(list(found)))
                 .order_by(CorrectionRow.created_at, CorrectionRow.id))
        for correction in session.scalars(query):
            found[correction.record_id].append(correction)
    return found


def public_records(session: Session, rows: Sequence[ExtractionRow]) -> list[dict[str, Any]]:
    """`public_record` of each row, their corrections read in one query (a list page, not one per row)."""
    corrections = corrections_by_record(session, [row.id for row in rows])
    return [public_record(session, row, corrections[row.id]) for row in rows]


def public_record(session: Session, row: ExtractionRow,
                  corrections: list[CorrectionRow] | None = None) -> dict[str, Any]:
    """A record as the API gives it: machine output, items with their review, the reviewed record."""
    if corrections is None:
        corrections = corrections_of(session, row.id)
    state = review_state(row, corrections)
    machine = row.record.model_dump(mode="json")
    return {"id": row.id, "document_id": row.document_id, "kind": row.kind, "reference_date": row.reference_date,
            "rep_id": row.rep_id, "account_id": row.account_id, "hospital": row.hospital,
            "min_confidence": row.min_confidence, "review_status": row.review_status,
            "reviewed_by": row.reviewed_by, "reviewed_at": row.reviewed_at,
            "machine": machine, "reviewed": record_of_state(machine, state),
            "items": {field: [_item_json(i) for i in items] for field, items in state.items()},
            "corrections": [_correction_json(c) for c in corrections], "text": row.text}


def _correction_json(c: CorrectionRow) -> dict[str, Any]:
    return {"field": c.field, "index": c.item_index, "action": c.action, "value": json.loads(c.value_json or "null"),
            "reviewer": c.reviewer, "at": c.created_at}


def visible_row(session: Session, viewer: Viewer, record_id: int) -> ExtractionRow:
    row = session.get(ExtractionRow, record_id)
    if row is None or not viewer.may_see_rep(row.rep_id):
        raise NotVisible(row is not None)
    return row


def get_record(settings: Settings, viewer: Viewer, record_id: int) -> dict[str, Any]:
    with Session(records_engine(settings)) as session:
        return public_record(session, visible_row(session, viewer, record_id))


def _carry_into_account(session: Session, row: ExtractionRow, field: str, action: str, before: Any, after: Any,
                        by: str) -> dict[str, Any] | None:
    if not row.account_id:
        return None
    applied = apply_correction(session, row.account_id, row.document_id, field, action,  # type: ignore[arg-type]
                               before, after, by=by, at=dt.datetime.now(), visit_date=row.reference_date)
    return applied.model_dump() if applied else None


def review_item(settings: Settings, viewer: Viewer, record_id: int, field: str, index: int | None, action: str,
                value: Any, by: str) -> dict[str, Any]:
    """Accept, correct, reject or add one item; the change reaches the record's account. InputError for
    bad input (the field named), NotVisible when the record is not the viewer's."""
    with Session(review_engine(settings)) as session:
        row = visible_row(session, viewer, record_id)
        before, after, _ = add_item_review(session, row, field, index, action, value, by)
        account = _carry_into_account(session, row, field, action, before, after, by)
        session.commit()
        answer = public_record(session, row)
        answer["account_change"] = account
        return answer


def carry_whole_field(settings: Settings, record_id: int, field: str, before: list | dict | str | None,
                      by: str) -> None:
    """After the older whole-field correction: carry the field's new items into the account item by item."""
    if field == "journey_node":
        field, before = "journey_signals", ({"journey_node": before} if isinstance(before, str) else None)
    if field not in ITEM_FIELDS:
        return
    with Session(review_engine(settings)) as session:
        row = session.get(ExtractionRow, record_id)
        if row is None:
            return
        items = review_state(row, corrections_of(session, row.id))[field]
        if isinstance(before, list):
            for old in before:
                _carry_into_account(session, row, field, "reject", old, None, by)
            for item in items:
                if item.value is not None:
                    _carry_into_account(session, row, field, "add", None, item.value, by)
        else:
            _carry_into_account(session, row, field, "correct", before, items[0].value, by)
        session.commit()


def bulk_accept(settings: Settings, viewer: Viewer, record_ids: list[int], by: str) -> int:
    """Accept every item of the visible records among `record_ids` still pending; how many were accepted."""
    accepted = 0
    with Session(records_engine(settings)) as session:
        for record_id in dict.fromkeys(record_ids):
            row = session.get(ExtractionRow, record_id)
            if row is None or not viewer.may_see_rep(row.rep_id) or row.review_status != "pending":
                continue
            for field in ITEM_FIELDS:
                session.add(CorrectionRow(record_id=row.id, field="journey_node" if field == "journey_signals"
                                          else field, action="accept", reviewer=by))
            session.flush()
            mark_reviewed(session, row, by)
            accepted += 1
        session.commit()
    return accepted


# ------------------------------------------------------------------ what the review pages show


def _spans(field: str, value: dict[str, Any], text: str) -> list[tuple[int, int]]:
    """Where an item was read in the note: its evidence offsets, else its evidence text found in the note."""
    found: list[tuple[int, int]] = []
    evidence = value.get("evidence")
    for span in evidence if isinstance(evidence, list) else [value]:
        if isinstance(span, dict) and isinstance(span.get("start"), int) and isinstance(span.get("end"), int):
            found.append((span["start"], span["end"]))
    quote = value.get("journey_evidence") if field == "journey_signals" else evidence
    if not found and isinstance(quote, str) and quote and quote in text:
        start = text.index(quote)
        found.append((start, start + len(quote)))
    return [(s, e) for s, e in found if 0 <= s < e <= len(text)]


def highlighted(text: str, items: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The note as segments, each {text, field, index} (field None for unmarked text); where two items'
    evidence overlaps, the earlier-starting one is marked."""
    marks = sorted((s, e, field, item["index"]) for field, field_items in items.items() for item in field_items
                   if item["value"] is not None for s, e in _spans(field, item["value"], text))
    segments: list[dict[str, Any]] = []
    at = 0
    for start, end, field, index in marks:
        if start < at:
            continue
        if start > at:
            segments.append({"text": text[at:start], "field": None, "index": None})
        segments.append({"text": text[start:end], "field": field, "index": index})
        at = end
    if at < len(text):
        segments.append({"text": text[at:], "field": None, "index": None})
    return segments


def summary(row: ExtractionRow) -> dict[str, Any]:
    """What a queue line says of a record: people, objection categories, key dates, journey node."""
    record = json.loads(row.record_json)
    return {"people": [(dm.get("name") or "") + (dm.get("title") or "") for dm in record.get("decision_makers", [])],
            "objections": [o["category"] for o in record.get("objections", [])],
            "dates": [(d["type"], d["date"]) for d in record.get("key_dates", [])],
            "journey_node": record.get("journey_node")}


def queue(settings: Settings, viewer: Viewer, filters: RecordFilters, limit: int = 200) -> list[dict[str, Any]]:
    """The review queue, lowest confidence first."""
    with Session(records_engine(settings)) as session:
        return [{"id": r.id, "document_id": r.document_id, "hospital": r.hospital, "rep_id": r.rep_id,
                 "date": r.reference_date, "confidence": round(r.min_confidence, 2), "status": r.review_status,
                 **summary(r)} for r in find_records(session, viewer, filters, limit=limit)]


def record_page(settings: Settings, viewer: Viewer, record_id: int) -> dict[str, Any]:
    """One record for its review page: the record, its note as highlighted segments, and its neighbours in
    the queue of unreviewed records (lowest confidence first)."""
    with Session(records_engine(settings)) as session:
        row = visible_row(session, viewer, record_id)
        record = public_record(session, row)
        pending = [r.id for r in find_records(session, viewer, RecordFilters(status="unreviewed"), limit=10_000)]
    others = [i for i in pending if i != record_id]
    position = pending.index(record_id) if record_id in pending else None
    following = pending[position + 1:] if position is not None else others
    earlier = pending[:position] if position is not None else []
    return {"record": record, "segments": highlighted(row.text, record["items"]),
            "next_id": following[0] if following else (others[0] if others else None),
            "previous_id": earlier[-1] if earlier else None,
            "may_open_original": viewer.may_open_original(row.rep_id)}
