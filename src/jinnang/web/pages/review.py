"""`/review`: the managers' queue of extracted records, lowest confidence first, with filters and bulk
accept; `/review/{id}`: one record with its evidence highlighted and per-item accept / correct / reject
(static/review.js posts each to `POST /v1/review/records/{id}/items`)."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from jinnang.core.records import KEY_DATE_TYPES, OBJECTION_CATEGORIES, ROLES
from jinnang.rules.config import default_ruleset
from jinnang.service.review import STATUSES, NotVisible, RecordFilters, bulk_accept, queue, record_page
from jinnang.web.session import PageForbidden, PageUser, check_csrf, page_user
from jinnang.web.templating import render

router = APIRouter(include_in_schema=False)
Manager = Annotated[PageUser, Depends(page_user("manager"))]
FILTER_FIELDS = ("decision_makers", "objections", "key_dates", "visit", "journey")


def _node_labels() -> dict[str, str]:
    return {node_id: node.label for node_id, node in default_ruleset().node_by_id.items()}


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None  # a half-typed date filters nothing rather than failing the page


def _filters(request: Request) -> RecordFilters:
    q = request.query_params
    field = q.get("field") or None
    status = q.get("status") or None
    return RecordFilters(rep_id=q.get("rep") or None, hospital=q.get("hospital") or None,
                         date_from=_day(q.get("date_from")), date_to=_day(q.get("date_to")),
                         field=field if field in FILTER_FIELDS else None,
                         status=status if status in STATUSES else None)


@router.get("/review")
def review_queue(request: Request, user: Manager) -> Response:
    filters = _filters(request)
    if filters.rep_id and not user.caller.may_see_rep(filters.rep_id):
        raise PageForbidden()
    items = queue(user.settings, user.caller, filters)
    reps = sorted(user.caller.visible_reps() or {i["rep_id"] for i in items if i["rep_id"]})
    return render(request, "review/queue.html", items=items, filters=filters, reps=reps,
                  fields=FILTER_FIELDS, statuses=STATUSES, accepted=request.query_params.get("accepted"),
                  node_labels=_node_labels())


@router.post("/review/accept")
async def review_bulk_accept(request: Request, user: Manager) -> Response:
    await check_csrf(request, user)
    form = await request.form()
    ids = [int(str(v)) for v in form.getlist("record") if str(v).isdigit()]
    accepted = bulk_accept(user.settings, user.caller, ids, by=user.caller.subject)
    back = str(form.get("back") or "")
    query = back if back.startswith("?") else "?"
    return RedirectResponse(f"/review{query}{'&' if len(query) > 1 else ''}accepted={accepted}", status_code=303)


@router.get("/review/{record_id}")
def review_record(record_id: int, request: Request, user: Manager) -> Response:
    try:
        view = record_page(user.settings, user.caller, record_id)
    except NotVisible:
        raise PageForbidden() from None  # a missing id looks like another team's: ids are not probed
    return render(request, "review/record.html", **view, objection_categories=OBJECTION_CATEGORIES,
                  key_date_types=KEY_DATE_TYPES, roles=ROLES, journey_nodes=default_ruleset().node_order,
                  node_labels=_node_labels())
