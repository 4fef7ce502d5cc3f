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
from jinnang.core.users import check_password, get_user
from jinnang.web import oidc
from jinnang.web.session import PageUser, check_csrf, page_user
from jinnang.web.templating import LANG_COOKIE, LANGUAGES, render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "login_csrf"


def _safe_next(target: str | None) -> str:
    """Only a path on this site: `next=https://evil.example` must not send a signed-in person away."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


def _login_page(request: Request, next_path: str, error_key: str | None = None, status_code: int = 200,
                detail: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    settings = request.app.state.settings
    response = render(request, "login.html", status_code=status_code, next_path=_safe_next(next_path),
                      login_csrf=token, error_key=error_key, detail=detail,
                      oidc_label=settings.oidc_label if oidc.configured(settings) else None)
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
    engine = open_engine(request.app.state.settings.db_url)
    address = request.client.host if request.client else None
    name = username.strip()
    if throttled(engine, name, address):
        return _login_page(request, next, "throttled", status_code=429)
    user = check_password(engine, name, password)
    if user is None:
        record_failure(engine, name, address)
        return _login_page(request, next, "wrong_password", status_code=401)
    clear_failures(engine, name)
    return _signed_in(request, user.username, next)


def _signed_in(request: Request, username: str, next_path: str) -> Response:
    token, _ = start_session(open_engine(request.app.state.settings.db_url), username)
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    response.delete_cookie(oidc.STATE_COOKIE)
    return response


def _callback_url(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


@router.get("/login/oidc")
def oidc_start(request: Request, next: str = "/") -> Response:  # noqa: A002
    settings = request.app.state.settings
    if not oidc.configured(settings):
        return _login_page(request, next, status_code=404, detail="OIDC sign-in is not configured")
    try:
        url, kept = oidc.start(settings, _callback_url(request), _safe_next(next))
    except oidc.OidcError as exc:
        return _login_page(request, next, status_code=502, detail=str(exc))
    response = RedirectResponse(url, status_code=303)
    # Lax: the cookie comes back on the provider's top-level redirect to the callback
    response.set_cookie(oidc.STATE_COOKIE, kept, httponly=True, samesite="lax", max_age=600,
                        secure=request.url.scheme == "https", path="/login/oidc")
    return response


@router.get("/login/oidc/callback", name="oidc_callback")
def oidc_callback(request: Request, state: str = "", code: str = "", error: str = "") -> Response:
    settings = request.app.state.settings
    if error or not code:
        return _login_page(request, "/", status_code=401, detail=f"the provider refused the sign-in: {error or 'no code'}")
    try:
        username, next_path = oidc.finish(settings, _callback_url(request), request.cookies.get(oidc.STATE_COOKIE),
                                          state, code)
    except oidc.OidcError as exc:
        return _login_page(request, "/", status_code=401, detail=str(exc))
    user = get_user(open_engine(settings.db_url), username)
    if user is None or not user.active:
        return _login_page(request, next_path, status_code=403,
                           detail=f"{username} has no jinnang account; ask your admin to add one")
    return _signed_in(request, user.username, next_path)


@router.post("/logout")
async def logout(request: Request, user: Annotated[PageUser, Depends(page_user())]) -> Response:
    await check_csrf(request, user)
    end_session(open_engine(request.app.state.settings.db_url), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request, next: str = "/") -> Response:  # noqa: A002
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 24 * 3600)
    return response
