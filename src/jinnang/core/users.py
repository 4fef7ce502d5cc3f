"""People who sign in, the teams they belong to, and the API keys of machine clients — all in the database.

A user is a rep (`rep_id` is the rep id their documents and accounts carry), a manager (`rep_id` is
their own person id; they see the reps of the teams they belong to) or an admin. Passwords are kept
as argon2 hashes; API keys, random and long, as SHA-256 digests, shown once when made.

    engine = open_engine(path)
    add_user(engine, "demo-rep", role="rep", rep_id="rep-07", password="…", teams=["east"])
    user = check_password(engine, "demo-rep", "…")     # None when wrong
    viewer_of(engine, user)                             # Viewer(role="rep", subject="rep-07")
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, DateTime, Engine, ForeignKey, String, Table, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from jinnang.core.access import Viewer
from jinnang.core.db import Base, ensure_schema
from jinnang.core.errors import Conflict, InputError, NotFound

USER_ROLES = ("rep", "manager", "admin")
KEY_ROLES = ("rep", "manager", "crm", "admin")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
# verifying against this when the user does not exist costs the same time as a real check,
# so the answer's timing does not tell which user names exist
_DUMMY_HASH = _hasher.hash("not a real password")


class UserRow(Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String, primary_key=True)
    display_name: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String)
    rep_id: Mapped[str | None] = mapped_column(String, nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class TeamRow(Base):
    __tablename__ = "teams"
    team_id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String)


class TeamMemberRow(Base):
    __tablename__ = "team_members"
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.team_id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"), primary_key=True)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    key_id: Mapped[str] = mapped_column(String, primary_key=True)
    key_digest: Mapped[str] = mapped_column(String, unique=True)
    name: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String)
    subject: Mapped[str] = mapped_column(String)
    team: Mapped[str] = mapped_column(String, default="")  # rep ids separated by "|"
    created_by: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


TABLES: list[Table] = [Base.metadata.tables[row.__tablename__] for row in (UserRow, TeamRow, TeamMemberRow, ApiKeyRow)]


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    rep_id: str | None
    teams: tuple[str, ...]
    active: bool = True

    @property
    def subject(self) -> str:
        """The person id the access rules know this user by."""
        return self.rep_id or self.username


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _ready(engine: Engine) -> Engine:
    ensure_schema(engine)
    return engine


def _user(session: Session, row: UserRow) -> User:
    teams = session.scalars(select(TeamMemberRow.team_id).where(TeamMemberRow.username == row.username)
                            .order_by(TeamMemberRow.team_id)).all()
    return User(username=row.username, display_name=row.display_name, role=row.role, rep_id=row.rep_id,
                teams=tuple(teams), active=row.active)


def _check_new_user(username: str, role: str, rep_id: str | None, password: str | None) -> None:
    if not NAME_PATTERN.match(username):
        raise InputError("username", "2–64 letters, digits or . _ @ - (starting with a letter or digit)")
    if role not in USER_ROLES:
        raise InputError("role", f"must be one of {', '.join(USER_ROLES)}")
    if role == "rep" and not rep_id:
        raise InputError("rep_id", "a rep needs the rep id their documents and accounts carry")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise InputError("password", f"at least {MIN_PASSWORD_LENGTH} characters")


def add_user(engine: Engine, username: str, *, role: str, password: str | None, rep_id: str | None = None,
             teams: list[str] | tuple[str, ...] = (), display_name: str | None = None) -> User:
    """Create a user; teams named that do not exist yet are created. No password: sign-in by OIDC only."""
    _check_new_user(username, role, rep_id, password)
    with _ready_session(engine) as session:
        if session.get(UserRow, username) is not None:
            raise Conflict("username", f"user {username!r} exists already")
        session.add(UserRow(username=username, display_name=display_name or username, role=role, rep_id=rep_id,
                            password_hash=_hasher.hash(password) if password else None, active=True,
                            created_at=_now()))
        session.flush()
        _set_teams(session, username, teams)
        session.commit()
        row = session.get(UserRow, username)
        assert row is not None  # just added
        return _user(session, row)


def _set_teams(session: Session, username: str, teams: list[str] | tuple[str, ...]) -> None:
    session.execute(delete(TeamMemberRow).where(TeamMemberRow.username == username))
    for team_id in dict.fromkeys(t.strip() for t in teams if t.strip()):
        if not NAME_PATTERN.match(team_id):
            raise InputError("team", f"team id {team_id!r}: 2–64 letters, digits or . _ @ -")
        if session.get(TeamRow, team_id) is None:
            session.add(TeamRow(team_id=team_id, name=team_id))
            session.flush()  # the team row before its member rows (no ORM relationship orders them)
        session.add(TeamMemberRow(team_id=team_id, username=username))


def update_user(engine: Engine, username: str, *, display_name: str | None = None, teams: list[str] | None = None,
                active: bool | None = None, password: str | None = None) -> User:
    with _ready_session(engine) as session:
        row = session.get(UserRow, username)
        if row is None:
            raise NotFound("username", f"no user {username!r}")
        if password is not None:
            _check_new_user(username, row.role, row.rep_id, password)
            row.password_hash = _hasher.hash(password)
        if display_name:
            row.display_name = display_name
        if active is not None:
            row.active = active
        if teams is not None:
            _set_teams(session, username, teams)
        session.commit()
        return _user(session, row)


def _ready_session(engine: Engine) -> Session:
    return Session(_ready(engine), expire_on_commit=False)


def get_user(engine: Engine, username: str) -> User | None:
    with _ready_session(engine) as session:
        row = session.get(UserRow, username)
        return _user(session, row) if row is not None else None


def list_users(engine: Engine) -> list[User]:
    with _ready_session(engine) as session:
        return [_user(session, row) for row in session.scalars(select(UserRow).order_by(UserRow.username))]


def list_teams(engine: Engine) -> dict[str, list[User]]:
    """Each team with its members, managers first."""
    users = {u.username: u for u in list_users(engine)}
    with _ready_session(engine) as session:
        teams: dict[str, list[User]] = {t: [] for t in session.scalars(select(TeamRow.team_id).order_by(TeamRow.team_id))}
        for member in session.scalars(select(TeamMemberRow)):
            teams[member.team_id].append(users[member.username])
    for members in teams.values():
        members.sort(key=lambda u: (u.role != "manager", u.username))
    return teams


def check_password(engine: Engine, username: str, password: str) -> User | None:
    """The user when the password is theirs and they are active; None otherwise (same cost either way)."""
    with _ready_session(engine) as session:
        row = session.get(UserRow, username)
        stored = row.password_hash if row is not None and row.active and row.password_hash else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or stored is _DUMMY_HASH:
            return None
        if _hasher.check_needs_rehash(stored):
            row.password_hash = _hasher.hash(password)
            session.commit()
        return _user(session, row)


def team_reps(engine: Engine, user: User) -> frozenset[str]:
    """The rep ids of the reps in the teams `user` belongs to."""
    if not user.teams:
        return frozenset()
    with _ready_session(engine) as session:
        rows = session.execute(select(UserRow.rep_id).join(TeamMemberRow, TeamMemberRow.username == UserRow.username)
                               .where(TeamMemberRow.team_id.in_(user.teams), UserRow.role == "rep",
                                      UserRow.rep_id.is_not(None))).scalars()
        return frozenset(r for r in rows if r)


def viewer_of(engine: Engine, user: User) -> Viewer:
    """What the user may see: a manager the reps of their teams, anyone else by their role."""
    team = team_reps(engine, user) if user.role == "manager" else frozenset()
    return Viewer(role=user.role, subject=user.subject, team=team)


def managers_of_rep(engine: Engine, rep_id: str) -> list[User]:
    """The managers who share a team with rep `rep_id` (whom a stall of that rep's account alerts)."""
    with _ready_session(engine) as session:
        reps = session.scalars(select(UserRow).where(UserRow.rep_id == rep_id, UserRow.role == "rep")).all()
        teams = {m for r in reps for m in session.scalars(
            select(TeamMemberRow.team_id).where(TeamMemberRow.username == r.username))}
        if not teams:
            return []
        rows = session.scalars(select(UserRow).join(TeamMemberRow, TeamMemberRow.username == UserRow.username)
                               .where(TeamMemberRow.team_id.in_(teams), UserRow.role == "manager",
                                      UserRow.active.is_(True)).distinct()).all()
        return [_user(session, row) for row in sorted(rows, key=lambda r: r.username)]


# --- API keys of machine clients -------------------------------------------------------------------

@dataclass(frozen=True)
class ApiKeyInfo:
    key_id: str
    name: str
    role: str
    subject: str
    team: frozenset[str]
    created_by: str
    created_at: datetime
    revoked: bool


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(engine: Engine, *, name: str, role: str, subject: str, team: list[str] | tuple[str, ...] = (),
                   created_by: str) -> tuple[str, ApiKeyInfo]:
    """A new key (returned once, never stored) and what is kept of it."""
    if role not in KEY_ROLES:
        raise InputError("role", f"must be one of {', '.join(KEY_ROLES)}")
    if not name.strip():
        raise InputError("name", "say what the key is for, e.g. 'CRM production'")
    if not subject.strip():
        raise InputError("subject", "the rep, manager or system the key speaks for")
    key_id = secrets.token_hex(4)
    key = f"jn_{key_id}_{secrets.token_urlsafe(24)}"
    row = ApiKeyRow(key_id=key_id, key_digest=_digest(key), name=name.strip(), role=role, subject=subject.strip(),
                    team="|".join(t.strip() for t in team if t.strip()), created_by=created_by, created_at=_now(),
                    revoked=False)
    with _ready_session(engine) as session:
        session.add(row)
        session.commit()
        return key, _key_info(row)


def _key_info(row: ApiKeyRow) -> ApiKeyInfo:
    return ApiKeyInfo(key_id=row.key_id, name=row.name, role=row.role, subject=row.subject,
                      team=frozenset(filter(None, row.team.split("|"))), created_by=row.created_by,
                      created_at=row.created_at, revoked=row.revoked)


def stored_key(engine: Engine, key: str) -> ApiKeyInfo | None:
    """The unrevoked stored key `key` is, or None."""
    with _ready_session(engine) as session:
        row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_digest == _digest(key)))
        return _key_info(row) if row is not None and not row.revoked else None


def list_api_keys(engine: Engine) -> list[ApiKeyInfo]:
    with _ready_session(engine) as session:
        return [_key_info(r) for r in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))]


def revoke_api_key(engine: Engine, key_id: str) -> None:
    with _ready_session(engine) as session:
        row = session.get(ApiKeyRow, key_id)
        if row is None:
            raise NotFound("key_id", f"no API key {key_id!r}")
        row.revoked = True
        session.commit()
