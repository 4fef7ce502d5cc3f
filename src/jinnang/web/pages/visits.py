"""A visit from the phone: `/visits/new` (customer picked from the rep's accounts with its last record,
free text, a photo of a signed form from the camera) and `/visits/{document_id}`, what was read from
it with a confirm / fix / remove button per item (they call `POST /v1/review/records/{id}/items`).

A rep files only for themselves and only into accounts they may change; a manager may file for the
reps of their team (`api.deps.require_may_file`, which asks `core.access`).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from jinnang.api.deps import account_or_none, require_may_file, require_visible
from jinnang.core.errors import InputError
from jinnang.core.records import KEY_DATE_TYPES, OBJECTION_CATEGORIES, ROLES
from jinnang.rules.config import default_ruleset
from jinnang.service.visits import account_choices, document_of, file_visit, last_record, visit_view
from jinnang.web.session import PageUser, check_csrf, page_user
from jinnang.web.templating import render

router = APIRouter(include_in_schema=False)
Filer = Annotated[PageUser, Depends(page_user("rep", "manager"))]
CROSS_DEPT_NEEDS = ("clinical_training", "custom_interface", "compliance_docs")


def _last_record_or_none(user: PageUser, account_id: str | None):
    """The account's last record when the person may see the account (else nothing is shown)."""
    if not account_id:
        return None
    account = account_or_none(user.settings, account_id)
    if account is None or not user.caller.may_see_rep(account.rep_id):
        return None
    return last_record(user.settings, account_id)


def _form(request: Request, user: PageUser, values: dict[str, Any], error: InputError | None = None) -> Response:
    choices = account_choices(user.settings, user.caller.visible_reps())
    reps = sorted({c.rep_id for c in choices} | set(user.caller.team)) if user.role != "rep" else []
    return render(request, "visits/new.html", status_code=422 if error else 200, choices=choices, reps=reps,
                  values=values, error=error, last=_last_record_or_none(user, values.get("account_id")),
                  today=dt.date.today().isoformat())


@router.get("/visits/new")
def new_visit(request: Request, user: Filer, account_id: str | None = None) -> Response:
    return _form(request, user, {"account_id": account_id or "", "visit_date": dt.date.today().isoformat()})


@router.get("/visits/last-record")
def last_record_json(user: Filer, account_id: str) -> Response:
    """The chosen customer's last record, for the form's script (JSON)."""
    account = account_or_none(user.settings, account_id)
    if account is None or not user.caller.may_see_rep(account.rep_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this account is not one of yours or your team's")
    found = last_record(user.settings, account_id)
    if found is None:
        return JSONResponse({"account_id": account_id, "last": None})
    return JSONResponse({"account_id": account_id, "last": {
        "document_id": found.document_id, "date": found.date.isoformat(), "kind": found.kind, "node": found.node,
        "node_label": found.node_label, "objections": found.objections,
        "open_objections": [{"category": o["category"],
                             "raised_on": o["raised_on"].isoformat() if o["raised_on"] else None}
                            for o in found.open_objections]}})


def _owner(user: PageUser, account_id: str | None, asked_rep: str | None) -> str:
    """Whose visit it is: a rep's own; for a manager the account's rep, or the rep they named."""
    if user.role == "rep":
        return user.user.subject
    account = account_or_none(user.settings, account_id) if account_id else None
    owner = account.rep_id if account is not None else (asked_rep or "").strip()
    if not owner:
        raise InputError("rep_id", "name the rep this visit is filed for")
    return owner


def _visit_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else dt.date.today()
    except ValueError:
        raise InputError("visit_date", f"the visit date must be a date such as 2026-03-10, not {value!r}") from None


@router.post("/visits/new")
async def save_visit(request: Request, user: Filer) -> Response:
    await check_csrf(request, user)
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in ("account_id", "hospital", "text", "visit_date", "rep_id")}
    upload = form.get("photo")
    try:
        photo = None
        if isinstance(upload, UploadFile) and upload.filename:
            photo = await upload.read(user.settings.max_upload_bytes + 1) or None
        owner = _owner(user, values["account_id"] or None, values["rep_id"])
        require_may_file(user.caller, user.settings, owner, values["account_id"] or None)
        filed = file_visit(user.settings, rep_id=owner, account_id=values["account_id"] or None,
                           hospital=values["hospital"], text=values["text"], visit_date=_visit_date(values["visit_date"]),
                           photo=photo, photo_name=upload.filename if isinstance(upload, UploadFile) else None)
    except InputError as exc:
        return _form(request, user, values, exc)
    return RedirectResponse(f"/visits/{filed.document_id}", status_code=303)


@router.get("/visits/{document_id}")
def visit_page(request: Request, user: Filer, document_id: str) -> Response:
    document = require_visible(user.caller, document_of(user.settings, document_id), "document")
    view = visit_view(user.settings, document)
    photo = document_of(user.settings, view.photo_document_id) if view.photo_document_id else None
    photo_view = visit_view(user.settings, photo) if photo is not None and user.caller.may_see_rep(photo.rep_id) else None
    return render(request, "visits/show.html", view=view, photo_view=photo_view,
                  choices={"category": OBJECTION_CATEGORIES, "type": KEY_DATE_TYPES, "role": ROLES,
                           "cross_dept_needs": CROSS_DEPT_NEEDS},
                  nodes=[(n.id, n.label) for n in default_ruleset().nodes])
