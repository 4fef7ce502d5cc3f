"""Typed dependencies: settings, callers and their roles, and the access checks routes call.

Every route declares the roles it admits, e.g.
`caller: Annotated[Caller, Depends(require_role("manager"))]`; `admin` is admitted
everywhere. A caller is known by an API key (header `X-API-Key`: one configured in
`JINNANG_API_KEYS` or one made on the admin page) or by a browser session cookie; a session's
writes also carry its CSRF token (header `X-CSRF-Token`). What a caller may see or change is decided by `core.access.Viewer` alone (a `Caller`
is one); the helpers below turn its answers into 403/404 refusals.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn, Protocol, TypeVar

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, BeforeValidator, WithJsonSchema

from jinnang.core.access import Viewer
from jinnang.core.db import open_engine
from jinnang.core.errors import NotFound
from jinnang.core.sessions import csrf_matches, session_of
from jinnang.core.settings import Settings, parse_api_keys
from jinnang.core.users import get_user, stored_key, viewer_of
from jinnang.rules.accounts import load_account
from jinnang.rules.models import AccountSnapshot, Day

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)

_ISO_DAY = re.compile(r"^(19|2\d)\d\d-\d\d-\d\d$")


def _iso_day_text(value: Any) -> Any:
    # a query or form value is text, and pydantic would read "0" as a Unix timestamp (1970-01-01)
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value.strip()):
        raise ValueError("must be a date such as 2026-03-10")
    return value


# a day in a query or form field: YYYY-MM-DD between 1900 and 2999, and the schema says so
IsoDay = Annotated[Day, BeforeValidator(_iso_day_text),
                   WithJsonSchema({"type": "string", "format": "date", "pattern": _ISO_DAY.pattern})]
# `?now=`: parsed by the rules (`parse_now`, which names the field when it refuses); the schema
# says what it takes: an ISO date or time between 1900 and 2999
NowText = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time", "pattern": r"^(19|2\d)\d\d-"})]


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra=` documenting a JSON body the route validates itself (so a refusal names the
    bare field like the CLI's); the model's nested schemas go to the components (`api.app`)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@dataclass(frozen=True, kw_only=True)
class Caller(Viewer):
    """A viewer known by its API key or session; the rules of what it may see are `core.access.Viewer`'s."""

    key: str = ""
    username: str | None = None  # a signed-in person (None for a machine client)


SESSION_COOKIE = "jinnang_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_caller(request: Request) -> tuple[Caller, str] | None:
    """The signed-in person of the request's session cookie and the session's CSRF token, or None."""
    settings: Settings = request.app.state.settings
    engine = open_engine(settings.db_url)
    active = session_of(engine, request.cookies.get(SESSION_COOKIE))
    if active is None:
        return None
    user = get_user(engine, active.username)
    if user is None or not user.active:
        return None
    viewer = viewer_of(engine, user)
    return Caller(role=viewer.role, subject=viewer.subject, team=viewer.team, username=user.username), active.csrf


def key_caller(request: Request, api_key: str) -> Caller | None:
    configured = request.app.state.callers.get(api_key)
    if configured is not None:
        return configured
    stored = stored_key(open_engine(request.app.state.settings.db_url), api_key)
    if stored is None:
        return None
    return Caller(key=stored.key_id, role=stored.role, subject=stored.subject, team=stored.team)


def identify(request: Request, api_key: str | None) -> Caller:
    """The caller of a request, or 401; a session's write without its CSRF token is 403."""
    if api_key:
        caller = key_caller(request, api_key)
        if caller is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown API key")
        return caller
    found = session_caller(request)
    if found is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing X-API-Key header (or sign in at /login)")
    caller, csrf = found
    if request.method not in SAFE_METHODS and not csrf_matches(csrf, request.headers.get(CSRF_HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a signed-in write needs the page's {CSRF_HEADER} header")
    return caller


def callers_of(settings: Settings) -> dict[str, Caller]:
    """The configured API keys as callers (the settings have already refused malformed or repeated keys)."""
    return {k.key: Caller(key=k.key, role=k.role, subject=k.subject, team=k.team)
            for k in parse_api_keys(settings.api_keys).values()}


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_role(*roles: str) -> Callable[..., Caller]:
    admitted = set(roles) | {"admin"}

    def dependency(request: Request, api_key: Annotated[str | None, Depends(_api_key_header)]) -> Caller:
        caller = identify(request, api_key)
        if caller.role not in admitted:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"role {caller.role!r} may not do this; needs one of {sorted(admitted)}")
        return caller

    dependency.roles = frozenset(admitted)  # type: ignore[attr-defined]  # read by the route-table 403 test
    return dependency


class Owned(Protocol):
    @property
    def rep_id(self) -> str | None: ...


OwnedT = TypeVar("OwnedT", bound=Owned)


def require_visible(caller: Viewer, item: OwnedT | None, what: str) -> OwnedT:
    """`item` when the caller may see it (by the rep it belongs to); otherwise refused."""
    if item is not None and caller.may_see_rep(item.rep_id):
        return item
    refuse(caller, item is not None, what)


def require_changeable(caller: Viewer, item: OwnedT | None, what: str) -> OwnedT:
    """`item` when the caller may change it: the same right as seeing it, so a write never lands
    in an account its author could not read."""
    if item is not None and caller.may_change_account(item.rep_id):
        return item
    refuse(caller, item is not None, what)


def refuse(caller: Viewer, exists: bool, what: str) -> NoReturn:
    """A missing item is 404 only to a caller who sees everything; to a rep or manager it is the
    same 403 as someone else's, so that ids cannot be probed for what exists."""
    if not exists and caller.sees_all:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no such {what}")
    raise HTTPException(status.HTTP_403_FORBIDDEN, f"this {what} is not one of yours or your team's")


def account_or_none(settings: Settings, account_id: str) -> AccountSnapshot | None:
    try:
        return load_account(open_engine(settings.db_url), account_id)
    except NotFound:
        return None


def stored_account(caller: Viewer, settings: Settings, account_id: str) -> AccountSnapshot | None:
    """The stored account, or None when there is none. A missing one is the domain's 404 only to a
    caller who sees everything; to others it is refused like someone else's by the checks below."""
    account = account_or_none(settings, account_id)
    if account is None and caller.sees_all:
        raise NotFound("account_id", f"no stored account {account_id!r}")
    return account


def visible_account(caller: Viewer, settings: Settings, account_id: str) -> AccountSnapshot:
    return require_visible(caller, stored_account(caller, settings, account_id), "account")


def changeable_account(caller: Viewer, settings: Settings, account_id: str) -> AccountSnapshot:
    return require_changeable(caller, stored_account(caller, settings, account_id), "account")


def require_may_replace(caller: Viewer, settings: Settings, snapshot: AccountSnapshot) -> None:
    """Storing a whole snapshot changes the stored account (if any) and files it for the snapshot's rep."""
    stored = account_or_none(settings, snapshot.account_id)
    if not caller.may_change_account(snapshot.rep_id) or (stored and not caller.may_change_account(stored.rep_id)):
        refuse(caller, True, "account")


def require_may_file(caller: Viewer, settings: Settings, owner: str, account_id: str | None) -> None:
    """A document may be filed for `owner` on `account_id` when the caller may file for that rep and may
    change the account; an account not stored yet is created by the filing (as `owner`'s)."""
    if not caller.may_file_for(owner):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"you may not file documents for {owner}")
    account = account_or_none(settings, account_id) if account_id else None
    if account is not None and not caller.may_change_account(account.rep_id):
        refuse(caller, True, "account")
