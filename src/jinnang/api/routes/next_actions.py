"""Next-action suggestions for CRM snapshots (shared/spec/next-action.md).

- `POST /v1/next-actions` — one snapshot in the body; roles crm, manager (own team), rep (own
  accounts). `?now=` evaluates as of another time (replays, tests).
- `POST /v1/next-actions:batch` — the nightly run: `{"items": [{"id", "now", "account"}, …]}`
  → `{"results": [{"id", …suggestions} | {"id", "error"}]}`; role crm only.

A malformed snapshot is a 422 naming the bare field and its path. The playbook's talk tracks
come from `app.state.talk_tracks` (objection category → evidence dicts) when the app wires one.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from jinnang.api.deps import Caller, NowText, body_schema, require_role
from jinnang.api.errors import CALLER_REFUSALS, UNPARSED, documented
from jinnang.core.errors import InputError, TooLarge
from jinnang.rules.config import default_ruleset
from jinnang.rules.models import AccountSnapshot
from jinnang.rules.next_action import parse_now, parse_snapshot, suggest, suggest_many

router = APIRouter(tags=["next actions"], responses=documented(*CALLER_REFUSALS))

MAX_BATCH = 10_000


class BatchItem(BaseModel):
    id: Any = None
    now: NowText | None = None
    account: AccountSnapshot


class BatchRequest(BaseModel):
    """The batch's body, for the OpenAPI: a malformed item is answered in its place in `results`."""

    items: list[BatchItem] = Field(max_length=MAX_BATCH)


def talk_tracks(request: Request):
    return getattr(request.app.state, "talk_tracks", None)


@router.post("/v1/next-actions", openapi_extra=body_schema(AccountSnapshot), responses=documented(400, e400=UNPARSED))
def next_actions(caller: Annotated[Caller, Depends(require_role("crm", "manager", "rep"))], request: Request,
                 payload: Annotated[Any, Body()] = None, now: NowText | None = None) -> dict[str, Any]:
    account = parse_snapshot(payload)
    if not caller.may_see_rep(account.rep_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"account {account.account_id} belongs to {account.rep_id}")
    return suggest(account, parse_now(now), default_ruleset(), talk_tracks(request)).model_dump(mode="json")


@router.post("/v1/next-actions:batch", openapi_extra=body_schema(BatchRequest),
             responses=documented(400, 413, e400=UNPARSED))
def next_actions_batch(_: Annotated[Caller, Depends(require_role("crm"))], request: Request,
                       payload: Annotated[Any, Body()] = None) -> dict[str, Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise InputError("items", "body must be {\"items\": [{\"id\", \"now\", \"account\"}, …]}")
    if len(payload["items"]) > MAX_BATCH:
        raise TooLarge("items", f"at most {MAX_BATCH} accounts per batch")
    return {"results": suggest_many(payload["items"], default_ruleset(), talk_tracks(request))}
