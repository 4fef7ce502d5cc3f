"""Accounts jinnang keeps itself (SQLite): state, transition history, work orders, stall episodes.

    >>> apply_extraction(engine, "acc-0042", record, document_id="doc-17", document_type="trial_feedback",
    ...                  by="rep-07", at=dt.datetime(2026, 3, 12, 15))
    ExtractionApplied(account_id='acc-0042', contacts_added=['王'], objections_opened=['price'], ...)

Stall checks, scores and next actions work on stored accounts exactly as on CRM snapshots
(`load_account` returns an AccountSnapshot), and the history kept here is what the monthly
process health index is computed from.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Any, Iterator

from pydantic import BaseModel
from sqlalchemy import JSON, Boolean, Date, DateTime, Engine, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from jinnang.core.db import Base, ensure_tables
from jinnang.core.errors import InputError, NotFound
from jinnang.core.records import ExtractionRecord
from jinnang.rules.config import RuleSet, default_ruleset
from jinnang.rules.context import AccountContext
from jinnang.rules.journey import TransitionOutcome, adjust_signing_date, propose_transition, record_document
from jinnang.rules.models import AccountSnapshot, Contact, Document, Visit
from jinnang.rules.scores import SigningForecast, TeamMonth, forecast_accuracy, process_health


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


TABLES = [AccountRow.__table__, TransitionRow.__table__, ObjectionRow.__table__, WorkOrderRow.__table__,
          StallRow.__table__]


@contextmanager
def _session(session_or_engine: Session | Engine) -> Iterator[Session]:
    """An Engine gets its own session that commits; a caller's Session is flushed, the caller commits."""
    if isinstance(session_or_engine, Session):
        ensure_tables(session_or_engine.get_bind(), TABLES)
        yield session_or_engine
        session_or_engine.flush()
        return
    ensure_tables(session_or_engine, TABLES)
    with Session(session_or_engine, expire_on_commit=False) as session:
        yield session
        session.commit()


# ------------------------------------------------------------------ load / save


def _row_to_snapshot(session: Session, row: AccountRow) -> AccountSnapshot:
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


def _store(session: Session, snapshot: AccountSnapshot, row: AccountRow | None = None) -> AccountRow:
    data = snapshot.model_dump(mode="json", exclude={"open_objections"})
    data["service_tickets"] = [t for t in data.get("service_tickets", []) if not str(t["id"]).startswith("wo-")]
    if row is None:
        row = AccountRow(account_id=snapshot.account_id, created_at=dt.datetime.now(), applied_documents=[])
        session.add(row)
    row.rep_id, row.manager_id, row.journey_node = snapshot.rep_id, snapshot.manager_id, snapshot.journey_node
    row.snapshot = data
    return row


def upsert_account(session_or_engine: Session | Engine, snapshot: AccountSnapshot) -> AccountSnapshot:
    """Store the CRM's view of an account (its open objections replace the stored open ones)."""
    with _session(session_or_engine) as session:
        row = session.get(AccountRow, snapshot.account_id)
        _store(session, snapshot, row)
        for o in session.scalars(select(ObjectionRow).where(ObjectionRow.account_id == snapshot.account_id,
                                                            ObjectionRow.status == "open")):
            o.status = "superseded"
        for o in snapshot.open_objections:
            session.add(ObjectionRow(account_id=snapshot.account_id, category=o.category, raised_on=o.raised_on))
        session.flush()
        return _row_to_snapshot(session, session.get(AccountRow, snapshot.account_id))


def load_account(session_or_engine: Session | Engine, account_id: str) -> AccountSnapshot:
    with _session(session_or_engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound("account_id", f"no stored account {account_id!r}")
        return _row_to_snapshot(session, row)


def list_accounts(session_or_engine: Session | Engine, rep_ids: set[str] | None = None) -> list[AccountSnapshot]:
    with _session(session_or_engine) as session:
        query = select(AccountRow)
        if rep_ids is not None:
            query = query.where(AccountRow.rep_id.in_(rep_ids))
        return [_row_to_snapshot(session, r) for r in session.scalars(query)]


def transitions(session_or_engine: Session | Engine, account_id: str) -> list[dict[str, Any]]:
    with _session(session_or_engine) as session:
        rows = session.scalars(select(TransitionRow).where(TransitionRow.account_id == account_id)
                               .order_by(TransitionRow.at, TransitionRow.id)).all()
        return [{"from_node": r.from_node, "to_node": r.to_node, "at": r.at.isoformat(), "by": r.by,
                 "accepted": r.accepted, "evidence": r.evidence, "missing": r.missing, "source": r.source,
                 "event_id": r.event_id} for r in rows]


def work_orders(session_or_engine: Session | Engine, account_id: str) -> list[dict[str, Any]]:
    with _session(session_or_engine) as session:
        rows = session.scalars(select(WorkOrderRow).where(WorkOrderRow.account_id == account_id)).all()
        return [{"id": f"wo-{r.id}", "customer": r.customer, "device_model": r.device_model,
                 "expected_start": r.expected_start.isoformat(), "engineer_id": r.engineer_id,
                 "engineer_name": r.engineer_name, "engineer_phone": r.engineer_phone, "status": r.status,
                 "opened_at": r.opened_at.isoformat(), "due": r.due.isoformat(),
                 "closed_at": r.closed_at.isoformat() if r.closed_at else None} for r in rows]


def close_work_order(session_or_engine: Session | Engine, work_order_id: str, at: dt.datetime) -> None:
    with _session(session_or_engine) as session:
        row = session.get(WorkOrderRow, int(str(work_order_id).removeprefix("wo-")))
        if row is None:
            raise NotFound("work_order_id", f"no work order {work_order_id!r}")
        row.status, row.closed_at = "closed", at


# ------------------------------------------------------------------ moves and uploads


def move_account(session_or_engine: Session | Engine, account_id: str, to_node: str, by: str,
                 at: dt.datetime | None = None, rules: RuleSet | None = None, source: str = "manual",
                 event_id: str | None = None) -> TransitionOutcome:
    """Propose a move; record it (accepted or refused); on acceptance persist the new node and create
    the entry triggers' work orders once (a re-sent event creates nothing twice)."""
    rules = rules or default_ruleset()
    at = at or dt.datetime.now()
    with _session(session_or_engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound("account_id", f"no stored account {account_id!r}")
        account = _row_to_snapshot(session, row)
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
        _resolve_stalls(session, account_id, at)
        _store(session, outcome.account, row)
        session.flush()
        outcome.account = _row_to_snapshot(session, row)
        return outcome


def add_document(session_or_engine: Session | Engine, account_id: str, document: Document,
                 rules: RuleSet | None = None) -> AccountSnapshot:
    """Record an uploaded document as evidence; the current node's on_document triggers fire."""
    rules = rules or default_ruleset()
    with _session(session_or_engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound("account_id", f"no stored account {account_id!r}")
        account, _ = record_document(_row_to_snapshot(session, row), document, document.uploaded_at, rules)
        _resolve_stalls(session, account_id, document.uploaded_at)
        _store(session, account, row)
        session.flush()
        return _row_to_snapshot(session, row)


def set_signing_date(session_or_engine: Session | Engine, account_id: str, new_date: dt.date, by: str,
                     rules: RuleSet | None = None) -> AccountSnapshot:
    with _session(session_or_engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound("account_id", f"no stored account {account_id!r}")
        account = _row_to_snapshot(session, row)
        account = account.model_copy(update={"signing_date": adjust_signing_date(account, new_date, by, rules)})
        _store(session, account, row)
        return account


# ------------------------------------------------------------------ extraction → account


class ExtractionApplied(BaseModel):
    account_id: str
    document_id: str
    created: bool = False
    already_applied: bool = False
    contacts_added: list[str] = []
    contacts_updated: list[str] = []
    objections_opened: list[str] = []
    objections_closed: list[str] = []
    visit_added: bool = False
    document_added: str | None = None
    fields_set: dict[str, str] = {}
    transition: TransitionOutcome | None = None


def apply_extraction(session_or_engine: Session | Engine, account_id: str, record: ExtractionRecord,
                     document_id: str, document_type: str | None = None, by: str = "ingest",
                     at: dt.datetime | None = None, rules: RuleSet | None = None) -> ExtractionApplied:
    """Update a stored account from one extracted note or form (idempotent per document_id).

    - decision-makers become contacts (matched by name; title, department and role filled in);
    - objections open; an objection whose evidence carries a resolution cue (accounts.yaml)
      closes the open one of its category instead;
    - the visit is added with its facts; key dates set the node fields (demo_date, trial_start …);
    - `document_type` (e.g. trial_feedback, contract_draft) makes the upload count as evidence;
    - a journey signal ahead of the current node becomes a *proposed* transition that the
      evidence gate accepts or refuses (recorded either way).
    An unknown account is created at the first node with `by` as its rep.
    """
    rules = rules or default_ruleset()
    at = at or dt.datetime.now()
    cfg = rules.accounts
    result = ExtractionApplied(account_id=account_id, document_id=document_id)
    with _session(session_or_engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            first = rules.nodes[0].id
            snapshot = AccountSnapshot(account_id=account_id, rep_id=by, journey_node=first,
                                       node_entered_at=at, last_updated_at=at)
            row = _store(session, snapshot)
            session.add(TransitionRow(account_id=account_id, from_node=first, to_node=first, at=at, by=by,
                                      accepted=True, evidence=[], missing=[], source="created", event_id=None))
            result.created = True
        if document_id in (row.applied_documents or []):
            result.already_applied = True
            return result
        account = _row_to_snapshot(session, row)
        contacts = list(account.contacts)
        for dm in record.decision_makers:
            same = next((i for i, c in enumerate(contacts) if c.name == dm.name), None)
            new = Contact(name=dm.name, title=dm.title, department=dm.department or dm.organization, role=dm.role)
            if same is None:
                contacts.append(new)
                result.contacts_added.append(dm.name)
            else:
                old = contacts[same]
                merged = old.model_copy(update={k: v for k, v in new.model_dump().items()
                                                if v and (k != "role" or v != "other")})
                if merged != old:
                    contacts[same] = merged
                    result.contacts_updated.append(dm.name)
        open_rows = session.scalars(select(ObjectionRow).where(ObjectionRow.account_id == account_id,
                                                               ObjectionRow.status == "open")).all()
        for obj in record.objections:
            resolved = any(cue in (obj.evidence or "") for cue in cfg.resolved_cues)
            same = [o for o in open_rows if o.category == obj.category]
            if resolved:
                for o in same:
                    o.status, o.resolved_on = "resolved", at.date()
                session.add(ObjectionRow(account_id=account_id, category=obj.category, raised_on=at.date(),
                                         status="resolved", resolved_on=at.date(), evidence=obj.evidence,
                                         document_id=document_id))
                if same:
                    result.objections_closed.append(obj.category)
            elif not same:
                row_obj = ObjectionRow(account_id=account_id, category=obj.category, raised_on=at.date(),
                                       evidence=obj.evidence, document_id=document_id)
                session.add(row_obj)
                open_rows.append(row_obj)
                result.objections_opened.append(obj.category)
        visits = list(account.visits)
        if record.visit is not None:
            visits.append(Visit(date=at.date(), sample_brought=record.visit.sample_brought,
                                questions_resolved=record.visit.questions_resolved,
                                cross_dept_needs=list(record.visit.cross_dept_needs), notes=record.journey_evidence))
            result.visit_added = True
        fields = account.fields.model_dump()
        for kd in record.key_dates:
            key = cfg.key_date_fields.get(kd.type)
            if key:
                fields[key] = kd.date.isoformat()
                result.fields_set[key] = kd.date.isoformat()
        account = account.model_copy(update={"contacts": contacts, "visits": visits,
                                             "fields": type(account.fields).model_validate(fields),
                                             "last_updated_at": max(account.last_updated_at, at)})
        if document_type:
            account, _ = record_document(account, Document(type=document_type, uploaded_at=at, id=document_id),
                                         at, rules)
            result.document_added = document_type
        _resolve_stalls(session, account_id, at)
        _store(session, account, row)
        row.applied_documents = [*(row.applied_documents or []), document_id]
        session.flush()
        signal = record.journey_node
        if (signal in rules.node_number and
                rules.node_number[signal] > rules.node_number.get(account.journey_node, 0)):
            result.transition = move_account(session, account_id, signal, by, at, rules,
                                             source=f"extraction:{document_id}", event_id=f"extraction:{document_id}")
        return result


# ------------------------------------------------------------------ stalls, PHI, forecast accuracy


def _resolve_stalls(session: Session, account_id: str, at: dt.datetime) -> None:
    for s in session.scalars(select(StallRow).where(StallRow.account_id == account_id, StallRow.resolved_at.is_(None))):
        s.resolved_at = at


def scan_stalls(session_or_engine: Session | Engine, now: dt.datetime, rules: RuleSet | None = None,
                rep_ids: set[str] | None = None, record: bool = True) -> list[dict[str, Any]]:
    """Stall check over stored accounts: alerts (node AND time). With `record`, the nightly run,
    each stall episode is stored once (the process health index counts them); without, a read."""
    from jinnang.rules.stall import stall_alert
    rules = rules or default_ruleset()
    alerts = []
    with _session(session_or_engine) as session:
        query = select(AccountRow) if rep_ids is None else select(AccountRow).where(AccountRow.rep_id.in_(rep_ids))
        for row in session.scalars(query):
            account = _row_to_snapshot(session, row)
            if account.journey_node not in rules.node_by_id:
                continue
            ctx = AccountContext(account=account, now=now, rules=rules)
            alert = stall_alert(ctx)
            if alert is None:
                continue
            alerts.append({"account_id": account.account_id, **alert.model_dump()})
            since = ctx.stall.since
            if record and not session.scalar(select(StallRow).where(StallRow.account_id == account.account_id,
                                                         StallRow.node == account.journey_node, StallRow.since == since)):
                session.add(StallRow(account_id=account.account_id, rep_id=account.rep_id, node=account.journey_node,
                                     since=since, detected_at=now))
    return alerts


def team_month(session_or_engine: Session | Engine, team: str, rep_ids: set[str], month: str,
               rules: RuleSet | None = None) -> TeamMonth:
    """Counts for the process health index of `rep_ids` in `month` (YYYY-MM), from stored history."""
    rules = rules or default_ruleset()
    try:
        start = dt.datetime.strptime(month + "-01", "%Y-%m-%d")
        end = (start + dt.timedelta(days=32)).replace(day=1)
    except (ValueError, OverflowError):     # 9999-12 has no next month
        raise InputError("month", f"month must be YYYY-MM, got {month!r}") from None
    quality = rules.scores.visit_quality
    counts = TeamMonth(team=team, month=month)
    with _session(session_or_engine) as session:
        rows = session.scalars(select(AccountRow).where(AccountRow.rep_id.in_(rep_ids))).all()
        ids = {r.account_id for r in rows}
        for row in rows:
            account = _row_to_snapshot(session, row)
            for v in account.visits:
                if start.date() <= v.date < end.date():
                    counts.visits += 1
                    counts.high_quality_visits += "coach" not in quality.function()(v, quality).flags
        for s in session.scalars(select(StallRow).where(StallRow.account_id.in_(ids), StallRow.detected_at >= start,
                                                        StallRow.detected_at < end)):
            counts.stalls += 1
            counts.stalls_resolved += s.resolved_at is not None
            counts.stalls_by_node[s.node] = counts.stalls_by_node.get(s.node, 0) + 1
        for w in session.scalars(select(WorkOrderRow).where(WorkOrderRow.account_id.in_(ids))):
            if start.date() <= w.due < end.date():
                counts.work_orders_due += 1
                counts.work_orders_closed_on_time += w.closed_at is not None and w.closed_at.date() <= w.due
        first = rules.nodes[0].id
        window = dt.timedelta(days=rules.accounts.first_meeting_within_days)
        for row in rows:
            if not (start <= row.created_at < end or start <= _entered_first(session, row.account_id, first, row) < end):
                continue
            counts.first_touches += 1
            touched = _entered_first(session, row.account_id, first, row)
            account = _row_to_snapshot(session, row)
            met = any(touched.date() <= v.date <= (touched + window).date() for v in account.visits)
            moved = account.journey_node != first
            counts.first_meetings += met or moved
    return counts


def _entered_first(session: Session, account_id: str, first: str, row: AccountRow) -> dt.datetime:
    t = session.scalar(select(TransitionRow.at).where(TransitionRow.account_id == account_id,
                                                      TransitionRow.to_node == first).order_by(TransitionRow.at))
    return t or row.created_at


def process_health_index(session_or_engine: Session | Engine, team: str, rep_ids: set[str], month: str,
                         rules: RuleSet | None = None):
    rules = rules or default_ruleset()
    counts = team_month(session_or_engine, team, rep_ids, month, rules)
    return process_health(counts, rules.scores.process_health, {n.id: n.label for n in rules.nodes})


def signing_forecasts(session_or_engine: Session | Engine, rules: RuleSet | None = None):
    """Forecast accuracy of locked signing dates against the day the account entered the last node."""
    rules = rules or default_ruleset()
    last = rules.nodes[-1].id
    segment_by = rules.scores.forecast_accuracy.params["segment_by"]
    forecasts = []
    with _session(session_or_engine) as session:
        for row in session.scalars(select(AccountRow)):
            account = _row_to_snapshot(session, row)
            if account.signing_date is None:
                continue
            signed = session.scalar(select(TransitionRow.at).where(TransitionRow.account_id == row.account_id,
                                                                   TransitionRow.to_node == last,
                                                                   TransitionRow.accepted.is_(True)))
            if signed:
                forecasts.append(SigningForecast(account_id=row.account_id, segment=str(getattr(account, segment_by, "")),
                                                 predicted=account.signing_date.predicted, actual=signed.date()))
    return forecast_accuracy(forecasts, rules.scores.forecast_accuracy)
