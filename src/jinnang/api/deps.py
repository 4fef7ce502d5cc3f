"""Typed dependencies: settings, callers and their roles.

Every route declares the roles it admits, e.g.
`caller: Annotated[Caller, Depends(require_role("manager"))]`; `admin` is admitted
everywhere.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader

from jinnang.core.settings import Settings

ROLES = ("rep", "manager", "crm", "admin")
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


def parse_api_keys(spec: str) -> dict[str, Caller]:
    """'k1:rep:rep-07,k2:manager:mgr-02:rep-07|rep-08' → {key: Caller}."""
    callers: dict[str, Caller] = {}
    for number, entry in enumerate(filter(None, (e.strip() for e in spec.split(","))), start=1):
        parts = entry.split(":")
        if len(parts) < 3 or parts[1] not in ROLES or not parts[0]:
            raise ValueError(f"JINNANG_API_KEYS entry {number} ({entry!r}) must be key:role:subject[:team] "
                             f"with role one of {', '.join(ROLES)}")
        team = frozenset(filter(None, parts[3].split("|"))) if len(parts) > 3 else frozenset()
        callers[parts[0]] = Caller(key=parts[0], role=parts[1], subject=parts[2], team=team)
    return callers


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


def require_visible(caller: Caller, found: bool, owner: str | None, what: str) -> None:
    """Refuse what the caller may not see. A missing item is 404 only to a caller who sees
    everything; to a rep or manager it is the same 403 as someone else's, so that ids cannot
    be probed for what exists."""
    if found and caller.may_see_rep(owner):
        return
    if not found and caller.sees_all:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no such {what}")
    raise HTTPException(status.HTTP_403_FORBIDDEN, f"this {what} is not one of yours or your team's")
