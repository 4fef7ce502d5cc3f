"""Stored accounts: load and save snapshots, moves between nodes, uploads, the signing date.

Stall checks, scores and next actions work on stored accounts exactly as on CRM snapshots
(`load_account` returns an AccountSnapshot).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from jinnang.core.errors import NotFound
from jinnang.rules.accounts.tables import AccountRow, ObjectionRow, StallRow, TransitionRow, WorkOrderRow, session_for
from jinnang.rules.config import default_ruleset
from jinnang.rules.journey import TransitionOutcome, adjust_signing_date, propose_transition, record_document
from jinnang.rules.models import AccountSnapshot, Document
from jinnang.rules.rule_files import RuleSet

# ------------------------------------------------------------------ load / save


def snapshot_of(session: Session, row: AccountRow) -> AccountSnapshot:
    """The stored account as a wire snapshot: its open objections and work orders joined in."""
    data = dict(row.snapshot)
    objections = session.scalars(select(ObjectionRow).where(ObjectionRow.account_id == row.account_id,
                                                            ObjectionRow.status == "open")).all()
    tickets = session.scalars(select(WorkOrderRow).where(WorkOrderRow.account_id == row.account_id)).all()
    data["open_objections"] = [{"category": o.category, "raised_on": o.raised_on.isoformat() if o.raised_on else None}
                               for o in objections]
    data["service_tickets"] = [*data.get("service_tickets", []),
                               *({"id": f"wo-{t.id}", "status": t.status, "opened_at": t.opened_at.isoformat()}
                                 for t in tickets)]
    return AccountSnapshot.model_validate(data)


def save_snapshot(session: Session, snapshot: AccountSnapshot, row: AccountRow | None = None) -> AccountRow:
    """Store the snapshot minus what has its own table (open objections, jinnang's work orders)."""
    data = snapshot.model_dump(mode="json", exclude={"open_objections"})
    data["service_tickets"] = [t for t in data.get("service_tickets", []) if not str(t["id"]).startswith("wo-")]
    if row is None:
        row = AccountRow(account_id=snapshot.account_id, created_at=dt.datetime.now(), applied_documents=[])
        session.add(row)
    row.rep_id, row.manager_id, row.journey_node = snapshot.rep_id, snapshot.manager_id, snapshot.journey_node
    row.snapshot = data
    return row


def stored_row(session: Session, account_id: str) -> AccountRow:
    row = session.get(AccountRow, account_id)
    if row is None:
        raise NotFound("account_id", f"no stored account {account_id!r}")
    return row


def resolve_stalls(session: Session, account_id: str, at: dt.datetime) -> None:
    """Any activity on the account ends its open stall episodes."""
    for s in session.scalars(select(StallRow).where(StallRow.account_id == account_id, StallRow.resolved_at.is_(None))):
        s.resolved_at = at


def upsert_account(session_or_engine: Session | Engine, snapshot: AccountSnapshot) -> AccountSnapshot:
    """Store the CRM's view of an account (its open objections replace the stored open ones)."""
    with session_for(session_or_engine) as session:
        row = save_snapshot(session, snapshot, session.get(AccountRow, snapshot.account_id))
        for stored in session.scalars(select(ObjectionRow).where(ObjectionRow.account_id == snapshot.account_id,
                                                                 ObjectionRow.status == "open")):
            stored.status = "superseded"
        for sent in snapshot.open_objections:
            session.add(ObjectionRow(account_id=snapshot.account_id, category=sent.category, raised_on=sent.raised_on))
        session.flush()
        return snapshot_of(session, row)


def load_account(session_or_engine: Session | Engine, account_id: str) -> AccountSnapshot:
    with session_for(session_or_engine) as session:
        return snapshot_of(session, stored_row(session, account_id))


def transitions(session_or_engine: Session | Engine, account_id: str) -> list[dict[str, Any]]:
    with session_for(session_or_engine) as session:
        rows = session.scalars(select(TransitionRow).where(TransitionRow.account_id == account_id)
                               .order_by(TransitionRow.at, TransitionRow.id)).all()
        return [{"from_node": r.from_node, "to_node": r.to_node, "at": r.at.isoformat(), "by": r.by,
                 "accepted": r.accepted, "evidence": r.evidence, "missing": r.missing, "source": r.source,
                 "event_id": r.event_id} for r in rows]


def work_orders(session_or_engine: Session | Engine, account_id: str) -> list[dict[str, Any]]:
    with session_for(session_or_engine) as session:
        rows = session.scalars(select(WorkOrderRow).where(WorkOrderRow.account_id == account_id)).all()
        return [{"id": f"wo-{r.id}", "customer": r.customer, "device_model": r.device_model,
                 "expected_start": r.expected_start.isoformat(), "engineer_id": r.engineer_id,
                 "engineer_name": r.engineer_name, "engineer_phone": r.engineer_phone, "status": r.status,
                 "opened_at": r.opened_at.isoformat(), "due": r.due.isoformat(),
                 "closed_at": r.closed_at.isoformat() if r.closed_at else None} for r in rows]


# ------------------------------------------------------------------ moves and uploads


def move_account(session_or_engine: Session | Engine, account_id: str, to_node: str, by: str,
                 at: dt.datetime | None = None, rules: RuleSet | None = None, source: str = "manual",
                 event_id: str | None = None) -> TransitionOutcome:
    """Propose a move; record it (accepted or refused); on acceptance persist the new node and create
    the entry triggers' work orders once (a re-sent event creates nothing twice)."""
    rules = rules or default_ruleset()
    at = at or dt.datetime.now()
    with session_for(session_or_engine) as session:
        row = stored_row(session, account_id)
        account = snapshot_of(session, row)
        if event_id and session.scalar(select(TransitionRow).where(TransitionRow.account_id == account_id,
                                                                   TransitionRow.event_id == event_id,
                                                                   TransitionRow.accepted.is_(True))):
            node = rules.node_by_id.get(to_node)
            outcome = propose_transition(account, account.journey_node, by, at, rules, source, event_id)
            outcome.message = f"事件 {event_id} 已处理过，未重复执行" + (f"（当前在「{node.label}」）" if node else "")
            return outcome
        outcome = propose_transition(account, to_node, by, at, rules, source, event_id)
        session.add(TransitionRow(**outcome.record.model_dump(mode="python")))
        if not outcome.accepted or outcome.account.journey_node == account.journey_node and not outcome.work_orders:
            return outcome
        created = []
        for wo in outcome.work_orders:
            if session.scalar(select(WorkOrderRow).where(WorkOrderRow.key == wo.key)):
                continue
            session.add(WorkOrderRow(key=wo.key, account_id=account_id, node=wo.node, customer=wo.customer,
                                     device_model=wo.device_model, expected_start=wo.expected_start,
                                     engineer_id=wo.engineer_id, engineer_name=wo.engineer_name,
                                     engineer_phone=wo.engineer_phone, status="open", opened_at=at, due=wo.due))
            created.append(wo)
        outcome.work_orders = created
        resolve_stalls(session, account_id, at)
        save_snapshot(session, outcome.account, row)
        session.flush()
        outcome.account = snapshot_of(session, row)
        return outcome


def add_document(session_or_engine: Session | Engine, account_id: str, document: Document,
                 rules: RuleSet | None = None) -> AccountSnapshot:
    """Record an uploaded document as evidence; the current node's on_document triggers fire."""
    rules = rules or default_ruleset()
    with session_for(session_or_engine) as session:
        row = stored_row(session, account_id)
        account, _ = record_document(snapshot_of(session, row), document, document.uploaded_at, rules)
        resolve_stalls(session, account_id, document.uploaded_at)
        save_snapshot(session, account, row)
        session.flush()
        return snapshot_of(session, row)


def set_signing_date(session_or_engine: Session | Engine, account_id: str, new_date: dt.date, by: str,
                     rules: RuleSet | None = None) -> AccountSnapshot:
    with session_for(session_or_engine) as session:
        row = stored_row(session, account_id)
        account = snapshot_of(session, row)
        account = account.model_copy(update={"signing_date": adjust_signing_date(account, new_date, by, rules)})
        save_snapshot(session, account, row)
        return account
