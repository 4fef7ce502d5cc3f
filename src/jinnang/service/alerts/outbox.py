"""The outbox: every message to deliver, one row per alert, recipient and channel.

A row's `key` (`stall:12:in_app:demo-rep`) is unique, so queueing the same stall episode again — a
second scan, a restart — adds nothing, and a row once sent is never sent again. In-app messages are
delivered by being stored; the others wait for the delivery worker (`delivery.py`).
"""
from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, Engine, Executable, Integer, String, Table, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from jinnang.core.db import Base, ensure_schema, insert_ignoring_duplicates

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


class OutboxRow(Base):
    __tablename__ = "alerts_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String, unique=True)
    kind: Mapped[str] = mapped_column(String)             # stall, trigger, phi
    channel: Mapped[str] = mapped_column(String)          # the channel's id in the channels file
    channel_kind: Mapped[str] = mapped_column(String)
    recipient: Mapped[str] = mapped_column(String, index=True)  # user name; "" for a group robot
    address: Mapped[str | None] = mapped_column(String, nullable=True)  # e-mail address
    account_id: Mapped[str | None] = mapped_column(String, nullable=True)
    title: Mapped[str] = mapped_column(String)
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String, nullable=True)
    status: Mapped[str] = mapped_column(String, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


TABLES: list[Table] = [Base.metadata.tables[OutboxRow.__tablename__]]


def changed(session: Session, statement: Executable) -> int:
    """Rows an INSERT, UPDATE or DELETE touched."""
    return int(cast("CursorResult[Any]", session.execute(statement)).rowcount or 0)


_READY: weakref.WeakSet[Engine] = weakref.WeakSet()


def ready(engine: Engine) -> Engine:
    """The engine with the outbox table made (checked once per engine: the bell asks on every page)."""
    if engine not in _READY:
        ensure_schema(engine)
        _READY.add(engine)
    return engine


@dataclass(frozen=True)
class Message:
    key: str
    kind: str
    channel: str
    channel_kind: str
    recipient: str
    title: str
    text: str
    link: str | None
    account_id: str | None = None
    address: str | None = None


def enqueue(engine: Engine, messages: list[Message], now: dt.datetime) -> int:
    """Store the messages not stored yet (by key); in-app ones as delivered. How many were new."""
    added = 0
    with Session(ready(engine)) as session:
        for m in messages:
            in_app = m.channel_kind == "in_app"
            statement = insert_ignoring_duplicates(engine, OutboxRow.__table__, ["key"]).values(  # type: ignore[arg-type]
                key=m.key, kind=m.kind, channel=m.channel, channel_kind=m.channel_kind, recipient=m.recipient,
                address=m.address, account_id=m.account_id, title=m.title, text=m.text, link=m.link,
                status=SENT if in_app else PENDING, attempts=1 if in_app else 0, next_attempt_at=now,
                created_at=now, sent_at=now if in_app else None,
            )
            added += changed(session, statement)
        session.commit()
    return added


# ------------------------------------------------------------------ 站内信 (in-app)

@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    title: str
    text: str
    link: str | None
    account_id: str | None
    created_at: dt.datetime
    read: bool


def _mine(username: str):
    return (OutboxRow.channel_kind == "in_app", OutboxRow.recipient == username, OutboxRow.status == SENT)


def inbox(engine: Engine, username: str, limit: int = 100, unread_only: bool = False) -> list[InboxItem]:
    """`username`'s in-app messages, newest first."""
    query = select(OutboxRow).where(*_mine(username))
    if unread_only:
        query = query.where(OutboxRow.read_at.is_(None))
    with Session(ready(engine)) as session:
        rows = session.scalars(query.order_by(OutboxRow.created_at.desc(), OutboxRow.id.desc()).limit(limit))
        return [InboxItem(id=r.id, kind=r.kind, title=r.title, text=r.text, link=r.link, account_id=r.account_id,
                          created_at=r.created_at, read=r.read_at is not None) for r in rows]


def unread_count(engine: Engine, username: str) -> int:
    with Session(ready(engine)) as session:
        return session.scalar(select(func.count()).select_from(OutboxRow)
                              .where(*_mine(username), OutboxRow.read_at.is_(None))) or 0


def mark_read(engine: Engine, username: str, message_id: int | None = None, now: dt.datetime | None = None) -> int:
    """Mark one of `username`'s messages read (or all of them with no id); how many changed.
    Another person's message id changes nothing."""
    statement = update(OutboxRow).where(*_mine(username), OutboxRow.read_at.is_(None))
    if message_id is not None:
        statement = statement.where(OutboxRow.id == message_id)
    with Session(ready(engine)) as session:
        count = changed(session, statement.values(read_at=now or dt.datetime.now()))
        session.commit()
        return count


def outbox_counts(engine: Engine) -> dict[str, int]:
    """Messages by status, for the admin page and `jinnang alerts status`."""
    with Session(ready(engine)) as session:
        rows = session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
        return {status: count for status, count in rows}
