"""`/notifications`: a person's 站内信 (stall alerts, service notices, low process health), newest first,
and the bell's unread count on every page."""
from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from jinnang.service.alerts import InboxItem, inbox, mark_read, unread_count
from jinnang.web.session import PageUser, check_csrf, page_user
from jinnang.web.templating import CONTEXT_PROVIDERS, render

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[PageUser, Depends(page_user())]
_LINK_LINE = re.compile(r"^\s*\[[^\]]*\]\([^)]*\)\s*$")


def _lines(text: str) -> list[str]:
    """The message's markdown (made for the robots) as plain lines; the link becomes the page's own button."""
    return [line.replace("**", "").strip() for line in text.splitlines() if line.strip() and not _LINK_LINE.match(line)]


def _target(item: InboxItem) -> str | None:
    """A path on this site: messages carry the public address for e-mail and robots."""
    if item.account_id:
        return f"/accounts/{item.account_id}"
    if item.link:
        parts = urlsplit(item.link)
        return parts.path + (f"?{parts.query}" if parts.query else "") if parts.path else None
    return None


def _view(item: InboxItem) -> dict[str, Any]:
    return {"id": item.id, "kind": item.kind, "title": item.title, "lines": _lines(item.text),
            "target": _target(item), "created_at": item.created_at.strftime("%Y-%m-%d %H:%M"), "read": item.read}


@router.get("/notifications")
def notifications(request: Request, user: SignedIn, unread: bool = False) -> Response:
    items = inbox(user.engine, user.user.username, limit=200, unread_only=unread)
    return render(request, "notifications/index.html", items=[_view(i) for i in items], unread_only=unread)


def _answer(request: Request, user: PageUser) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"unread": unread_count(user.engine, user.user.username)})
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/read-all")
async def read_all(request: Request, user: SignedIn) -> Response:
    await check_csrf(request, user)
    mark_read(user.engine, user.user.username)
    return _answer(request, user)


@router.post("/notifications/{message_id}/read")
async def read_one(request: Request, message_id: int, user: SignedIn) -> Response:
    await check_csrf(request, user)
    mark_read(user.engine, user.user.username, message_id)  # another person's id changes nothing
    return _answer(request, user)


def bell(_: Request, page: PageUser) -> dict[str, Any]:
    return {"unread": unread_count(page.engine, page.user.username)}


if bell not in CONTEXT_PROVIDERS:
    CONTEXT_PROVIDERS.append(bell)
