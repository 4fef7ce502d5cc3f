"""Managers review auto-extracted visit insights: list, read, accept or correct field by field.

Corrections are stored beside the machine output with who and when; nothing is
overwritten. A rep sees only their own records; a manager sees their team's.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.api.deps import Caller, SettingsDep, require_role, require_visible
from jinnang.core.errors import InputError, from_validation_error
from jinnang.core.records import ExtractionRecord
from jinnang.nlp.store import (
    REVIEWABLE_FIELDS,
    CorrectionRow,
    ExtractionRow,
    corrections_of,
    records_engine,
    reviewed_record,
)

router = APIRouter(prefix="/v1/review", tags=["review"])
Reader = Annotated[Caller, Depends(require_role("rep", "manager"))]
Reviewer = Annotated[Caller, Depends(require_role("manager"))]


class FieldReview(BaseModel):
    action: Literal["accept", "correct"]
    value: Any = None


def _public(session: Session, row: ExtractionRow) -> dict[str, Any]:
    return {"id": row.id, "document_id": row.document_id, "kind": row.kind, "reference_date": row.reference_date,
            "rep_id": row.rep_id, "account_id": row.account_id, "hospital": row.hospital,
            "min_confidence": row.min_confidence, "review_status": row.review_status,
            "machine": row.record.model_dump(mode="json"), "reviewed": reviewed_record(session, row),
            "corrections": [{"field": c.field, "action": c.action, "value": json.loads(c.value_json or "null"),
                             "reviewer": c.reviewer, "at": c.created_at} for c in corrections_of(session, row.id)],
            "text": row.text}


def _visible(session: Session, caller: Caller, record_id: int) -> ExtractionRow:
    return require_visible(caller, session.get(ExtractionRow, record_id), "record")


@router.get("/records")
def list_records(caller: Reader, settings: SettingsDep,
                 rep_id: str | None = None, hospital: str | None = None,
                 date_from: dt.date | None = None, date_to: dt.date | None = None,
                 low_confidence: Annotated[float | None, Query(ge=0, le=1, description="records with any field below this confidence")] = None,
                 review_status: Literal["pending", "accepted", "corrected"] | None = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    if rep_id and not caller.may_see_rep(rep_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"{rep_id} is not you or in your team")
    query = select(ExtractionRow).order_by(ExtractionRow.reference_date.desc(), ExtractionRow.id.desc())
    if rep_id:
        query = query.where(ExtractionRow.rep_id == rep_id)
    if hospital:
        query = query.where(ExtractionRow.hospital.contains(hospital))
    if date_from:
        query = query.where(ExtractionRow.reference_date >= date_from)
    if date_to:
        query = query.where(ExtractionRow.reference_date <= date_to)
    if low_confidence is not None:
        query = query.where(ExtractionRow.min_confidence < low_confidence)
    if review_status:
        query = query.where(ExtractionRow.review_status == review_status)
    with Session(records_engine(settings)) as session:
        rows = [r for r in session.scalars(query) if caller.may_see_rep(r.rep_id)][:limit]
        return [_public(session, r) for r in rows]


@router.get("/records/{record_id}")
def get_record(record_id: int, caller: Reader, settings: SettingsDep) -> dict[str, Any]:
    with Session(records_engine(settings)) as session:
        return _public(session, _visible(session, caller, record_id))


@router.post("/records/{record_id}/fields/{field}")
def review_field(record_id: int, field: str, review: FieldReview, caller: Reviewer,
                 settings: SettingsDep) -> dict[str, Any]:
    """Accept the machine value of one field, or correct it with a value of that field's type."""
    if field not in REVIEWABLE_FIELDS:
        raise InputError("field", f"field must be one of {', '.join(REVIEWABLE_FIELDS)}")
    value_json = None
    if review.action == "correct":
        adapter: TypeAdapter[Any] = TypeAdapter(ExtractionRecord.model_fields[field].annotation or Any)
        try:
            value = adapter.validate_python(review.value)
        except ValidationError as exc:
            raise from_validation_error(exc, prefix=("value",)) from None
        value_json = json.dumps(adapter.dump_python(value, mode="json"), ensure_ascii=False)
    with Session(records_engine(settings)) as session:
        row = _visible(session, caller, record_id)
        session.add(CorrectionRow(record_id=row.id, field=field, action=review.action, value_json=value_json,
                                  reviewer=caller.subject))
        session.flush()
        actions = {c.action for c in corrections_of(session, row.id)}
        row.review_status = "corrected" if "correct" in actions else "accepted"
        session.commit()
        return _public(session, row)
