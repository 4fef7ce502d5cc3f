"""Browser sessions kept in the database, each with its CSRF token, and sign-in throttling.

The cookie carries a random token; the database keeps only its SHA-256 digest, so a copy of the
database opens no session. Signing out deletes the row, so a stolen cookie dies with it.

    token, csrf = start_session(engine, "demo-rep")
    found = session_of(engine, token)    # ActiveSession(username="demo-rep", csrf=csrf) until it expires
    end_session(engine, token)
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Engine, ForeignKey, String, Table, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from jinnang.core.db import Base, ensure_schema

SESSION_LIFETIME = timedelta(hours=12)
# after this many failed sign-ins for one user name (or from one address) within the window,
# further tries are refused until the window has passed
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


class SessionRow(Base):
    __tablename__ = "web_sessions"
    token_digest: Mapped[str] = mapped_column(String, primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class LoginFailureRow(Base):
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    who: Mapped[str] = mapped_column(String, index=True)  # "user:NAME" or "addr:IP"
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


TABLES: list[Table] = [Base.metadata.tables[row.__tablename__] for row in (SessionRow, LoginFailureRow)]


@dataclass(frozen=True)
class ActiveSession:
    username: str
    csrf: str


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _session(engine: Engine) -> Session:
    ensure_schema(engine)
    return Session(engine, expire_on_commit=False)


def start_session(engine: Engine, username: str) -> tuple[str, str]:
    """A new session for `username`: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = _now()
    with _session(engine) as session:
        session.execute(delete(SessionRow).where(SessionRow.expires_at < now))
        session.add(SessionRow(token_digest=_digest(token), username=username, csrf=csrf, created_at=now,
                               expires_at=now + SESSION_LIFETIME))
        session.commit()
    return token, csrf


def session_of(engine: Engine, token: str | None) -> ActiveSession | None:
    if not token:
        return None
    with _session(engine) as session:
        row = session.get(SessionRow, _digest(token))
        if row is None or row.expires_at < _now():
            return None
        return ActiveSession(username=row.username, csrf=row.csrf)


def end_session(engine: Engine, token: str | None) -> None:
    if token:
        with _session(engine) as session:
            session.execute(delete(SessionRow).where(SessionRow.token_digest == _digest(token)))
            session.commit()


def end_sessions_of(engine: Engine, username: str) -> None:
    """Sign a user out everywhere (a password change, a deactivation)."""
    with _session(engine) as session:
        session.execute(delete(SessionRow).where(SessionRow.username == username))
        session.commit()


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def _keys(username: str, address: str | None) -> list[str]:
    return [f"user:{username.lower()}"] + ([f"addr:{address}"] if address else [])


def throttled(engine: Engine, username: str, address: str | None) -> bool:
    """Whether sign-in for this user name or from this address is paused after too many failures."""
    since = _now() - FAILURE_WINDOW
    with _session(engine) as session:
        for who in _keys(username, address):
            count = session.scalar(select(func.count()).select_from(LoginFailureRow)
                                   .where(LoginFailureRow.who == who, LoginFailureRow.at >= since))
            # an address may try more names than one user name may be tried: a shared office NAT
            if count is not None and count >= (MAX_FAILURES if who.startswith("user:") else 4 * MAX_FAILURES):
                return True
    return False


def record_failure(engine: Engine, username: str, address: str | None) -> None:
    now = _now()
    with _session(engine) as session:
        session.execute(delete(LoginFailureRow).where(LoginFailureRow.at < now - FAILURE_WINDOW))
        session.add_all([LoginFailureRow(who=who, at=now) for who in _keys(username, address)])
        session.commit()


def clear_failures(engine: Engine, username: str) -> None:
    with _session(engine) as session:
        session.execute(delete(LoginFailureRow).where(LoginFailureRow.who == f"user:{username.lower()}"))
        session.commit()
