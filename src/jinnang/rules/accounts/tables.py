"""The SQLite tables of the accounts jinnang keeps: state, transition history, objections, work
orders and stall episodes, and the session helper every accounts module uses."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import JSON, Boolean, Date, DateTime, Engine, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column

from jinnang.core.db import Base, ensure_schema
from jinnang.core.users import TABLES as USER_TABLES


class AccountRow(Base):
    __tablename__ = "rules_accounts"
    account_id: Mapped[str] = mapped_column(String, primary_key=True)
    rep_id: Mapped[str] = mapped_column(String, index=True)
    manager_id: Mapped[str | None] = mapped_column(String, index=True, nullable=True)
    journey_node: Mapped[str] = mapped_column(String)
    snapshot: Mapped[dict] = mapped_column(JSON)           # AccountSnapshot minus objections and tickets
    applied_documents: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class TransitionRow(Base):
    __tablename__ = "rules_transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("rules_accounts.account_id"), index=True)
    from_node: Mapped[str] = mapped_column(String)
    to_node: Mapped[str] = mapped_column(String)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String)
    accepted: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[list] = mapped_column(JSON)
    missing: Mapped[list] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String)
    event_id: Mapped[str | None] = mapped_column(String, nullable=True)


class ObjectionRow(Base):
    __tablename__ = "rules_objections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("rules_accounts.account_id"), index=True)
    category: Mapped[str] = mapped_column(String)
    raised_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String, default="open")
    resolved_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    evidence: Mapped[str | None] = mapped_column(String, nullable=True)
    document_id: Mapped[str | None] = mapped_column(String, nullable=True)


class WorkOrderRow(Base):
    __tablename__ = "rules_work_orders"
    __table_args__ = (UniqueConstraint("key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String)
    account_id: Mapped[str] = mapped_column(ForeignKey("rules_accounts.account_id"), index=True)
    node: Mapped[str] = mapped_column(String)
    customer: Mapped[str] = mapped_column(String)
    device_model: Mapped[str | None] = mapped_column(String, nullable=True)
    expected_start: Mapped[dt.date] = mapped_column(Date)
    engineer_id: Mapped[str] = mapped_column(String)
    engineer_name: Mapped[str] = mapped_column(String)
    engineer_phone: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String, default="open")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    due: Mapped[dt.date] = mapped_column(Date)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class StallRow(Base):
    __tablename__ = "rules_stalls"
    __table_args__ = (UniqueConstraint("account_id", "node", "since"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("rules_accounts.account_id"), index=True)
    rep_id: Mapped[str] = mapped_column(String)
    node: Mapped[str] = mapped_column(String)
    since: Mapped[dt.datetime] = mapped_column(DateTime)       # last activity when the stall began
    detected_at: Mapped[dt.datetime] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


TABLES: list[Table] = [Base.metadata.tables[row.__tablename__]
                       for row in (AccountRow, TransitionRow, ObjectionRow, WorkOrderRow, StallRow)]
# an account reads its rep's manager from the users tables: they exist before any write is open
NEEDED_TABLES: list[Table] = [*TABLES, *USER_TABLES]


@contextmanager
def session_for(session_or_engine: Session | Engine) -> Iterator[Session]:
    """An Engine gets its own session that commits; a caller's Session is flushed, the caller commits."""
    if isinstance(session_or_engine, Session):
        ensure_schema(session_or_engine.get_bind().engine)
        yield session_or_engine
        session_or_engine.flush()
        return
    ensure_schema(session_or_engine)
    with Session(session_or_engine, expire_on_commit=False) as session:
        yield session
        session.commit()
