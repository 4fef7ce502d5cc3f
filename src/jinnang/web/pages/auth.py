"""Sign-in, sign-out and the language switch.

The sign-in form is protected against cross-site posting by a double-submit token: `GET /login`
sets a random `login_csrf` cookie and puts the same value in the form; `POST /login` needs both
to match. After sign-in every form carries the session's own CSRF token instead.
"""
from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from jinnang.api.deps import SESSION_COOKIE
from jinnang.core.db import open_engine
from jinnang.core.sessions import (
    SESSION_LIFETIME,
    clear_failures,
    csrf_matches,
    end_session,
    record_failure,
    start_session,
    throttled,
)
from jinnang.core.users import check_password
from jinnang.web.session import PageUser, check_csrf, page_user
from jinnang.web.templating import LANG_COOKIE, LANGUAGES, render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "login_csrf"


def _safe_next(target: str | None) -> str:
    """Only a path on this site: `next=https://evil.example` must not send a signed-in person away."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


def _login_page(request: Request, next_path: str, error_key: str | None = None, status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status_code=status_code, next_path=_safe_next(next_path),
                      login_csrf=token, error_key=error_key)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002 - the query parameter's name
    return _login_page(request, next)


@router.post("/login")
def login(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:  # noqa: A002
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf):
        return _login_page(request, next, "forbidden_text", status_code=403)
    engine = open_engine(request.app.state.settings.sqlite_path)
    address = request.client.host if request.client else None
    name = username.strip()
    if throttled(engine, name, address):
        return _login_page(request, next, "throttled", status_code=429)
    user = check_password(engine, name, password)
    if user is None:
        record_failure(engine, name, address)
        return _login_page(request, next, "wrong_password", status_code=401)
    clear_failures(engine, name)
    token, _ = start_session(engine, user.username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request, user: Annotated[PageUser, Depends(page_user())]) -> Response:
    await check_csrf(request, user)
    end_session(open_engine(request.app.state.settings.sqlite_path), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request, next: str = "/") -> Response:  # noqa: A002
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 24 * 3600)
    return response
