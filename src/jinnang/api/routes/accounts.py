"""Accounts jinnang keeps itself: moves between journey nodes, evidence, stalls, scores.

| route | roles |
|---|---|
| `PUT /v1/accounts/{id}` store the CRM snapshot (its profile fields win over uploads') | crm |
| `GET /v1/accounts/{id}` account, health, stall | crm, manager (team), rep (own) |
| `GET /v1/accounts/{id}/transitions` history (who, when, which evidence) | crm, manager (team), rep (own) |
| `POST /v1/accounts/{id}/transitions` `{"to_node", "event_id"?, "at"?}` | crm, manager (team), rep (own) |
| `POST /v1/accounts/{id}/documents` `{"type", "uploaded_at", "stamped_by_both"?, "id"?}` | crm, manager (team), rep (own) |
| `POST /v1/accounts/{id}/signing-date` `{"date"}` (±N days of the locked date) | manager (team), rep (own) |
| `GET /v1/accounts/{id}/next-actions` | crm, manager (team), rep (own) |
| `GET /v1/accounts:stalls?now=` stall alerts of the caller's accounts (a read) | crm, manager |
| `POST /v1/accounts:stalls?now=` the nightly check: the same alerts, each stall episode stored once for the PHI | crm, manager |
| `GET /v1/accounts:process-health?month=YYYY-MM` the manager's team PHI | manager |

A refused move is 409 with what is missing; it is still recorded in the history.
Writing to an account takes the same right as reading it (`core.access`), so nobody writes into
an account they may not see.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from jinnang.api.deps import (
    Caller,
    IsoDay,
    NowText,
    SettingsDep,
    body_schema,
    changeable_account,
    require_may_replace,
    require_role,
    visible_account,
)
from jinnang.api.errors import CALLER_REFUSALS, UNPARSED, documented
from jinnang.core.db import open_engine
from jinnang.core.errors import InputError, from_validation_error
from jinnang.rules import accounts as store
from jinnang.rules.config import default_ruleset
from jinnang.rules.models import AccountSnapshot, Document, Timestamp
from jinnang.rules.next_action import parse_now, parse_snapshot, suggest

router = APIRouter(tags=["accounts"], responses=documented(*CALLER_REFUSALS))
MISSING = documented(404)
MISSING_OR_UNPARSED = documented(400, 404, e400=UNPARSED)
REFUSED_MOVE = ("The move is refused: `missing` lists what the node needs (the answer also carries the move's "
                "other fields); it is still recorded in the history.")
Reader = Annotated[Caller, Depends(require_role("crm", "manager", "rep"))]


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_node: str
    event_id: str | None = None
    at: Timestamp | None = None      # offset-aware → China wall-clock, like the snapshot's times


class SigningDateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: IsoDay


def _parse(model: type[BaseModel], payload: Any) -> Any:
    try:
        return model.model_validate(payload if payload is not None else {})
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def _engine(settings):
    return open_engine(settings.db_url)


@router.get("/v1/accounts:stalls")
def stalls(caller: Annotated[Caller, Depends(require_role("crm", "manager"))], settings: SettingsDep,
           now: NowText | None = None) -> dict[str, Any]:
    return {"alerts": store.scan_stalls(_engine(settings), parse_now(now) or dt.datetime.now(),
                                        default_ruleset(), caller.visible_reps(), record=False)}


@router.post("/v1/accounts:stalls")
def record_stalls(caller: Annotated[Caller, Depends(require_role("crm", "manager"))], settings: SettingsDep,
                  now: NowText | None = None) -> dict[str, Any]:
    return {"alerts": store.scan_stalls(_engine(settings), parse_now(now) or dt.datetime.now(),
                                        default_ruleset(), caller.visible_reps(), record=True)}


@router.get("/v1/accounts:process-health")
def process_health(caller: Annotated[Caller, Depends(require_role("manager"))], settings: SettingsDep,
                   month: Annotated[str, Query(json_schema_extra={"pattern": r"^(19|2\d)\d\d-(0[1-9]|1[0-2])$"},
                                               description="YYYY-MM")]) -> dict[str, Any]:
    team = caller.visible_reps()  # None: everyone's (admin, crm)
    return store.process_health_index(_engine(settings), caller.subject, team, month).model_dump(mode="json")


@router.put("/v1/accounts/{account_id}", openapi_extra=body_schema(AccountSnapshot),
            responses=documented(400, e400=UNPARSED))
def put_account(account_id: str, caller: Annotated[Caller, Depends(require_role("crm"))], settings: SettingsDep,
                payload: Annotated[Any, Body()] = None) -> dict[str, Any]:
    """Store the CRM's snapshot. Its hospital, province, city, hospital_type (公立 → is_public), tier,
    product line, department and manager_id win over what uploads said; one it leaves out or sends as null
    keeps the stored value. Without a manager_id a new account (or a new rep) gets the rep's manager."""
    account = parse_snapshot(payload)
    if account.account_id != account_id:
        raise InputError("account_id", f"body account_id {account.account_id!r} differs from the path {account_id!r}")
    rules = default_ruleset()
    if account.journey_node not in rules.node_by_id:  # stored, it would make every later read a 422
        raise InputError("journey_node", f"unknown journey node {account.journey_node!r}; rule set "
                                         f"{rules.name!r} has {', '.join(rules.node_by_id)}")
    require_may_replace(caller, settings, account)
    return store.upsert_account(_engine(settings), account).model_dump(mode="json")


@router.get("/v1/accounts/{account_id}", responses=MISSING)
def get_account(account_id: str, caller: Reader, settings: SettingsDep, now: NowText | None = None) -> dict[str, Any]:
    account = visible_account(caller, settings, account_id)
    response = suggest(account, parse_now(now), default_ruleset())
    return {"account": account.model_dump(mode="json"), "scores": response.scores,
            "alerts": [a.model_dump() for a in response.alerts],
            "work_orders": store.work_orders(_engine(settings), account_id)}


@router.get("/v1/accounts/{account_id}/transitions", responses=MISSING)
def get_transitions(account_id: str, caller: Reader, settings: SettingsDep) -> dict[str, Any]:
    account = visible_account(caller, settings, account_id)
    return {"account_id": account_id, "journey_node": account.journey_node,
            "transitions": store.transitions(_engine(settings), account_id)}


@router.post("/v1/accounts/{account_id}/transitions", openapi_extra=body_schema(TransitionRequest),
             responses=documented(400, 404, 409, e400=UNPARSED, e409=REFUSED_MOVE))
def post_transition(account_id: str, caller: Reader, settings: SettingsDep,
                    payload: Annotated[Any, Body()] = None) -> JSONResponse:
    changeable_account(caller, settings, account_id)
    req = _parse(TransitionRequest, payload)
    at = req.at or dt.datetime.now()
    outcome = store.move_account(_engine(settings), account_id, req.to_node, caller.subject, at,
                                 default_ruleset(), event_id=req.event_id)
    body = {"accepted": outcome.accepted, "message": outcome.message, "journey_node": outcome.account.journey_node,
            "record": outcome.record.model_dump(mode="json"), "missing": outcome.missing,
            "work_orders": [w.model_dump(mode="json") for w in outcome.work_orders],
            "rep_messages": outcome.rep_messages,
            "signing_date": outcome.signing_date.model_dump(mode="json") if outcome.signing_date else None}
    if not outcome.accepted:
        body |= {"status": 409, "field": "to_node", "path": "to_node"}
    return JSONResponse(status_code=200 if outcome.accepted else 409, content=body)


@router.post("/v1/accounts/{account_id}/documents", openapi_extra=body_schema(Document),
             responses=MISSING_OR_UNPARSED)
def post_document(account_id: str, caller: Reader, settings: SettingsDep,
                  payload: Annotated[Any, Body()] = None) -> dict[str, Any]:
    changeable_account(caller, settings, account_id)
    document = _parse(Document, payload)
    account = store.add_document(_engine(settings), account_id, document, default_ruleset())
    return {"account_id": account_id, "documents": len(account.documents),
            "signing_date": account.signing_date.model_dump(mode="json") if account.signing_date else None}


@router.post("/v1/accounts/{account_id}/signing-date", openapi_extra=body_schema(SigningDateRequest),
             responses=documented(400, 404, 409, e400=UNPARSED, e409="The account has no locked signing date yet."))
def post_signing_date(account_id: str, caller: Annotated[Caller, Depends(require_role("manager", "rep"))],
                      settings: SettingsDep, payload: Annotated[Any, Body()] = None) -> dict[str, Any]:
    changeable_account(caller, settings, account_id)
    req = _parse(SigningDateRequest, payload)
    account = store.set_signing_date(_engine(settings), account_id, req.date, caller.subject, default_ruleset())
    signing = account.signing_date
    return {"account_id": account_id, "signing_date": signing.model_dump(mode="json") if signing else None}


@router.get("/v1/accounts/{account_id}/next-actions", responses=MISSING)
def account_next_actions(account_id: str, caller: Reader, settings: SettingsDep, request: Request,
                         now: NowText | None = None) -> dict[str, Any]:
    account = visible_account(caller, settings, account_id)
    return suggest(account, parse_now(now), default_ruleset(),
                   getattr(request.app.state, "talk_tracks", None)).model_dump(mode="json")
