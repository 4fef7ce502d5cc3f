"""Review of auto-extracted visit insights: list, read, and accept, correct, reject or add one item.

Corrections are stored beside the machine output with who and when; nothing is overwritten, and each
item's correction is carried into the record's account (service.review). A rep sees only their own
records and may confirm or fix one item of them (the quick check after logging a visit); a manager
sees and reviews their team's; the whole-field review stays the managers'.
"""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from jinnang.api.deps import Caller, IsoDay, SettingsDep, refuse, require_role
from jinnang.api.errors import CALLER_REFUSALS, UNPARSED, documented
from jinnang.core.errors import InputError, from_validation_error
from jinnang.core.records import ExtractionRecord
from jinnang.nlp.store import REVIEWABLE_FIELDS, CorrectionRow, mark_reviewed, records_engine, reviewed_record
from jinnang.service import review as reviews
from jinnang.service.review import NotVisible, RecordFilters

router = APIRouter(prefix="/v1/review", tags=["review"], responses=documented(*CALLER_REFUSALS))
MISSING = documented(404)
# ids are SQLite integers: a larger one would overflow the driver (a 500) instead of being refused
RecordId = Annotated[int, Path(ge=1, le=2**63 - 1)]
MISSING_OR_UNPARSED = documented(400, 404, e400=UNPARSED)
Reader = Annotated[Caller, Depends(require_role("rep", "manager"))]
Reviewer = Annotated[Caller, Depends(require_role("manager"))]


class FieldReview(BaseModel):
    action: Literal["accept", "correct"]
    value: Any = None


class ItemReview(BaseModel):
    field: Literal["decision_makers", "objections", "key_dates", "visit", "journey_signals"]
    index: int | None = None
    action: Literal["accept", "correct", "reject", "add"]
    value: dict[str, Any] | None = None


@router.get("/records")
def list_records(caller: Reader, settings: SettingsDep,
                 rep_id: str | None = None, hospital: str | None = None,
                 date_from: IsoDay | None = None, date_to: IsoDay | None = None,
                 document_id: str | None = None,
                 low_confidence: Annotated[float | None, Query(ge=0, le=1, description="records with any field below this confidence")] = None,
                 review_status: Literal["pending", "accepted", "corrected"] | None = None,
                 order: Literal["date", "confidence"] = "date",
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    if rep_id and not caller.may_see_rep(rep_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"{rep_id} is not you or in your team")
    filters = RecordFilters(rep_id=rep_id, hospital=hospital, date_from=date_from, date_to=date_to,
                            document_id=document_id, low_confidence=low_confidence, status=review_status)
    with Session(records_engine(settings)) as session:
        return reviews.public_records(session, reviews.find_records(session, caller, filters, order, limit))


@router.get("/records/{record_id}", responses=MISSING)
def get_record(record_id: RecordId, caller: Reader, settings: SettingsDep) -> dict[str, Any]:
    try:
        return reviews.get_record(settings, caller, record_id)
    except NotVisible as exc:
        refuse(caller, exc.exists, "record")


@router.post("/records/{record_id}/items", responses=MISSING_OR_UNPARSED)
def review_item(record_id: RecordId, review: ItemReview, caller: Reader, settings: SettingsDep) -> dict[str, Any]:
    """Accept, correct, reject or add one person, objection, date, the visit facts or the journey signal;
    `index` names the item in its list (`items` of the record), null for visit and journey_signals and for add.
    A correction is laid over the item (its evidence kept unless the value gives new evidence)."""
    try:
        return reviews.review_item(settings, caller, record_id, review.field, review.index, review.action,
                                   review.value, by=caller.subject)
    except NotVisible as exc:
        refuse(caller, exc.exists, "record")


@router.post("/records/{record_id}/fields/{field}", responses=MISSING_OR_UNPARSED)
def review_field(record_id: RecordId, field: Annotated[str, Path(json_schema_extra={"enum": list(REVIEWABLE_FIELDS)})],
                 review: FieldReview, caller: Reviewer,
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
        try:
            row = reviews.visible_row(session, caller, record_id)
        except NotVisible as exc:
            refuse(caller, exc.exists, "record")
        before = reviewed_record(session, row).get(field)
        session.add(CorrectionRow(record_id=row.id, field=field, action=review.action, value_json=value_json,
                                  reviewer=caller.subject))
        session.flush()
        mark_reviewed(session, row, caller.subject)
        session.commit()
    if review.action == "correct":
        reviews.carry_whole_field(settings, record_id, field, before, by=caller.subject)
    return reviews.get_record(settings, caller, record_id)
