"""The audit log of what was done to uploaded files: each opening of an original (allowed or
refused) and each deletion, with who, in which role, and the outcome.

The log outlives the document it names: a deletion removes every trace of the document's
content but keeps the row saying who deleted it and when (the id carries no identifiers).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from jinnang.core.db import Base, ensure_schema, open_engine
from jinnang.core.settings import Settings

ACTIONS = ("open_original", "delete")
OUTCOMES = ("allowed", "refused", "missing", "done")


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)  # open_original | delete
    document_id: Mapped[str] = mapped_column(String, index=True)
    outcome: Mapped[str] = mapped_column(String)  # allowed | refused | missing | done


TABLES = [AuditRow.__table__]


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    role: str
    action: str
    document_id: str
    outcome: str


def audit_engine(settings: Settings) -> Engine:
    engine = open_engine(settings.db_url)
    ensure_schema(engine)
    return engine


def write_audit(settings: Settings, *, actor: str, role: str, action: str, document_id: str, outcome: str) -> None:
    """One audit row, committed at once: the record of an opening must not depend on what follows it."""
    with Session(audit_engine(settings)) as session:
        session.add(AuditRow(at=dt.datetime.now(dt.UTC).replace(tzinfo=None), actor=actor, role=role,
                             action=action, document_id=document_id, outcome=outcome))
        session.commit()


def audit_entries(settings: Settings, document_id: str | None = None, limit: int = 500) -> list[AuditEntry]:
    """The newest audit rows first, optionally of one document."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if document_id:
        query = query.where(AuditRow.document_id == document_id)
    with Session(audit_engine(settings)) as session:
        return [AuditEntry(r.at, r.actor, r.role, r.action, r.document_id, r.outcome) for r in session.scalars(query)]
