"""Who is looking at a page: the signed-in person, their role, what they may see, and their CSRF token.

A page declares the roles it admits, `user: Annotated[PageUser, Depends(page_user("manager"))]`
(admin is admitted everywhere). Signed out, the browser is sent to `/login?next=…`; signed in with
the wrong role, it gets a 403 page. Every form posts the session's CSRF token (`csrf` field, or the
`X-CSRF-Token` header from `static/app.js`); `check_csrf` refuses a post without it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request
from sqlalchemy import Engine

from jinnang.api.deps import CSRF_HEADER, Caller, session_caller
from jinnang.core.db import open_engine
from jinnang.core.sessions import csrf_matches
from jinnang.core.settings import Settings
from jinnang.core.users import User, get_user


class SignInRequired(Exception):
    def __init__(self, next_path: str):
        self.next_path = next_path


class PageForbidden(Exception):
    pass


@dataclass(frozen=True)
class PageUser:
    caller: Caller  # what the access rules (core.access) decide for this person
    user: User
    csrf: str
    settings: Settings

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def engine(self) -> Engine:
        return open_engine(self.settings.db_url)


def current_user(request: Request) -> PageUser | None:
    found = session_caller(request)
    if found is None:
        return None
    caller, csrf = found
    settings: Settings = request.app.state.settings
    user = get_user(open_engine(settings.db_url), caller.username or "")
    if user is None:
        return None
    return PageUser(caller=caller, user=user, csrf=csrf, settings=settings)


def page_user(*roles: str) -> Callable[[Request], PageUser]:
    """A dependency: the signed-in person when their role is admitted (no roles: anyone signed in)."""
    admitted = (set(roles) | {"admin"}) if roles else None

    def dependency(request: Request) -> PageUser:
        user = current_user(request)
        if user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target)
        if admitted is not None and user.role not in admitted:
            raise PageForbidden()
        request.state.page = user  # the base template's navigation reads it
        return user

    return dependency


async def check_csrf(request: Request, user: PageUser) -> None:
    """Refuse a form post (or a script's write) that does not carry the session's CSRF token."""
    given = request.headers.get(CSRF_HEADER)
    if not given and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = str((await request.form()).get("csrf") or "")
    if not csrf_matches(user.csrf, given):
        raise PageForbidden()


def login_redirect(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")
