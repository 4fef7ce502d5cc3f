"""Typed dependencies: settings, callers and their roles.

Every route declares the roles it admits, e.g.
`caller: Annotated[Caller, Depends(require_role("manager"))]`; `admin` is admitted
everywhere.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, NoReturn, Protocol, TypeVar

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader

from jinnang.core.settings import Settings, parse_api_keys

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


@dataclass(frozen=True)
class Caller:
    key: str
    role: str
    subject: str  # rep id for a rep, manager id for a manager
    team: frozenset[str] = field(default_factory=frozenset)  # rep ids a manager may see

    @property
    def sees_all(self) -> bool:
        return self.role in ("admin", "crm")

    def may_see_rep(self, rep_id: str | None) -> bool:
        if self.sees_all:
            return True
        if self.role == "manager":
            return rep_id in self.team or rep_id == self.subject
        return rep_id == self.subject


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
        if not api_key:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing X-API-Key header")
        caller = request.app.state.callers.get(api_key)
        if caller is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown API key")
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


def require_visible(caller: Caller, item: OwnedT | None, what: str) -> OwnedT:
    """`item` when the caller may see it (by the rep it belongs to); otherwise refused."""
    if item is not None and caller.may_see_rep(item.rep_id):
        return item
    refuse(caller, item is not None, what)


def refuse(caller: Caller, exists: bool, what: str) -> NoReturn:
    """A missing item is 404 only to a caller who sees everything; to a rep or manager it is the
    same 403 as someone else's, so that ids cannot be probed for what exists."""
    if not exists and caller.sees_all:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no such {what}")
    raise HTTPException(status.HTTP_403_FORBIDDEN, f"this {what} is not one of yours or your team's")
