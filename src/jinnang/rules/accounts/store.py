"""Stored accounts: load and save snapshots, moves between nodes, uploads, the signing date, and the
account's profile (hospital, province, city, type, product line, manager) and where each value came from.

Stall checks, scores and next actions work on stored accounts exactly as on CRM snapshots
(`load_account` returns an AccountSnapshot).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from jinnang.core.errors import InputError, NotFound
from jinnang.core.users import managers_of_rep
from jinnang.rules.accounts.tables import AccountRow, ObjectionRow, StallRow, TransitionRow, WorkOrderRow, session_for
from jinnang.rules.config import default_ruleset
from jinnang.rules.journey import TransitionOutcome, adjust_signing_date, propose_transition, record_document
from jinnang.rules.models import AccountSnapshot, Document, HospitalTier
from jinnang.rules.rule_files import RuleSet

# ------------------------------------------------------------------ profile

PROFILE_FIELDS = ("hospital", "province", "city", "hospital_type", "hospital_tier", "is_public", "product_line",
                  "department")
AUTHORITATIVE = ("crm", "import")  # what the CRM says (PUT) or its account list (import); a document only fills blanks
HOSPITAL_TIERS: tuple[str, ...] = HospitalTier.__args__  # type: ignore[attr-defined]
_TIER_WORDS = {"三级甲等": "三甲", "三级乙等": "三乙", "二级甲等": "二甲", "二级乙等": "二乙"}
_PRIVATE_WORDS = ("民营", "私立", "社会办", "private", "外资", "合资")
_PUBLIC_WORDS = ("公立", "public", "政府办", "国有", "部属", "省属", "市属", "县属", "军队")


def public_from_type(hospital_type: str | None) -> bool | None:
    """公立… → True, 民营/私立… → False, anything else → None (unknown: is_public is left alone)."""
    text = (hospital_type or "").lower()
    if any(w in text for w in _PRIVATE_WORDS):
        return False
    if any(w in text for w in _PUBLIC_WORDS):
        return True
    return None


def tier_from_type(hospital_type: str | None) -> str | None:
    text = hospital_type or ""
    for long, short in _TIER_WORDS.items():
        text = text.replace(long, short)
    return next((t for t in ("民营专科", "三甲", "三乙", "二甲", "二乙") if t in text), None)


def profile_values(values: dict[str, Any]) -> dict[str, Any]:
    """The profile fields among `values` (blanks and wrongly typed values dropped), plus what the hospital
    type implies — is_public (公立 → True) and the tier — unless those are given."""
    out: dict[str, Any] = {}
    for key in (*PROFILE_FIELDS, "manager_id"):
        value = values.get(key)
        if key == "is_public":
            if isinstance(value, bool):
                out[key] = value
        elif key == "hospital_tier":
            if value in HOSPITAL_TIERS:
                out[key] = value
        elif isinstance(value, str) and value.strip():
            out[key] = value.strip()
    if kind := out.get("hospital_type"):
        if "is_public" not in out and (public := public_from_type(kind)) is not None:
            out["is_public"] = public
        if "hospital_tier" not in out and (tier := tier_from_type(kind)):
            out["hospital_tier"] = tier
    return out


def _unset(account: AccountSnapshot, key: str) -> bool:
    return key not in account.field_sources and getattr(account, key) in (None, "", "other", False)


def manager_of(session: Session, rep_id: str) -> str | None:
    """The person id of the first manager sharing a team with the rep (users tables), remembered for the
    session. No users table yet means no manager, never a table created under an open write."""
    cache: dict[str, str | None] = session.info.setdefault("jinnang_manager_of", {})
    if rep_id not in cache:
        cache[rep_id] = None
        if inspect(session.connection()).has_table("team_members"):
            managers = managers_of_rep(session.get_bind().engine, rep_id)
            cache[rep_id] = managers[0].subject if managers else None
    return cache[rep_id]

# ------------------------------------------------------------------ load / save


def snapshot_of(session: Session, row: AccountRow) -> AccountSnapshot:
    """The stored account as a wire snapshot: its open objections and work orders joined in."""
    data = dict(row.snapshot)
    if data.get("manager_id") is None:  # an account stored before its team existed still knows its manager
        data["manager_id"] = manager_of(session, data["rep_id"])
    objections = session.scalars(select(ObjectionRow).where(ObjectionRow.account_id == row.account_id,
                                                            ObjectionRow.status == "open")).all()
    tickets = session.scalars(select(WorkOrderRow).where(WorkOrderRow.account_id == row.account_id)).all()
    data["open_objections"] = [{"category": o.category, "raised_on": o.raised_on.isoformat() if o.raised_on else None}
                               for o in objections]
    data["service_tickets"] = [*data.get("service_tickets", []),
                               *({"id": f"wo-{t.id}", "status": t.status, "opened_at": t.opened_at.isoformat()}
                                 for t in tickets)]
    return AccountSnapshot.model_validate(data)


def save_snapshot(session: Session, snapshot: AccountSnapshot, row: AccountRow | None = None,
                  manager_given: bool = False) -> AccountRow:
    """Store the snapshot minus what has its own table (open objections, jinnang's work orders).

    A new account, or one whose rep changes, gets the rep's manager unless `manager_given`."""
    if not manager_given and (row is None and snapshot.manager_id is None
                              or row is not None and row.rep_id != snapshot.rep_id):
        sources = {k: v for k, v in snapshot.field_sources.items() if k != "manager_id"}
        snapshot = snapshot.model_copy(update={"manager_id": manager_of(session, snapshot.rep_id),
                                               "field_sources": sources})
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


def _crm_profile(snapshot: AccountSnapshot, stored: AccountSnapshot | None, source: str) -> AccountSnapshot:
    """The profile fields the CRM sent (and what its hospital type implies) win and are marked as its;
    a field it left out or sent empty keeps the stored value. A stored manager stays while the rep does."""
    given = profile_values({k: getattr(snapshot, k) for k in snapshot.model_fields_set})
    update: dict[str, Any] = dict(given)
    sources = {k: source for k in given}
    if stored is not None:
        kept = [k for k in PROFILE_FIELDS if k not in given]
        if "manager_id" not in given and stored.rep_id == snapshot.rep_id:
            kept.append("manager_id")
        update |= {k: getattr(stored, k) for k in kept}
        sources |= {k: stored.field_sources[k] for k in kept if k in stored.field_sources}
    return snapshot.model_copy(update={**update, "field_sources": sources})


def upsert_account(session_or_engine: Session | Engine, snapshot: AccountSnapshot,
                   source: str = "crm") -> AccountSnapshot:
    """Store the CRM's view of an account (its open objections replace the stored open ones)."""
    with session_for(session_or_engine) as session:
        row = session.get(AccountRow, snapshot.account_id)
        snapshot = _crm_profile(snapshot, snapshot_of(session, row) if row else None, source)
        row = save_snapshot(session, snapshot, row, manager_given="manager_id" in snapshot.field_sources)
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


# ------------------------------------------------------------------ profile from uploads and the CRM's account list


def fill_profile(session_or_engine: Session | Engine, account_id: str, values: dict[str, Any],
                 source: str) -> dict[str, Any]:
    """An upload's hospital, province … fill what the stored account does not know yet, nothing else
    (never what the CRM or its account list set). Returns what was set; an unknown account is left alone."""
    with session_for(session_or_engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            return {}
        account = snapshot_of(session, row)
        update = {k: v for k, v in profile_values(values).items() if k != "manager_id" and _unset(account, k)}
        if update:
            sources = {**account.field_sources, **{k: source for k in update}}
            save_snapshot(session, account.model_copy(update={**update, "field_sources": sources}), row)
        return update


def import_account(session_or_engine: Session | Engine, account_id: str, values: dict[str, Any], by: str,
                   at: dt.datetime | None = None, rules: RuleSet | None = None) -> str:
    """One row of the CRM's account list: `created`, `updated` or `unchanged` (a second import of the same
    row changes nothing). Its values win over uploads; a node it names is set as the CRM sets it (like PUT),
    recorded in the history with source `import`; a new rep brings the rep's manager unless one is given."""
    rules = rules or default_ruleset()
    at = at or dt.datetime.now()
    rep_id, node = values.get("rep_id") or None, values.get("node") or None
    if node is not None and node not in rules.node_by_id:
        raise InputError("node", f"unknown journey node {node!r}")
    profile = profile_values(values)
    with session_for(session_or_engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            if not rep_id:
                raise InputError("rep_id", "a new account needs its rep")
            node = node or rules.node_order[0]
            account = AccountSnapshot(account_id=account_id, rep_id=rep_id, journey_node=node, node_entered_at=at,
                                      last_updated_at=at, **profile, field_sources={k: "import" for k in profile})
            save_snapshot(session, account, None, manager_given="manager_id" in profile)
            session.add(TransitionRow(account_id=account_id, from_node=node, to_node=node, at=at, by=by,
                                      accepted=True, evidence=[], missing=[], source="import", event_id=None))
            return "created"
        account = snapshot_of(session, row)
        update = {k: v for k, v in profile.items()
                  if getattr(account, k) != v or account.field_sources.get(k) not in AUTHORITATIVE}
        if rep_id and rep_id != account.rep_id:
            update["rep_id"] = rep_id
        moved = node is not None and node != account.journey_node
        if moved:
            update |= {"journey_node": node, "node_entered_at": at, "last_updated_at": max(at, account.last_updated_at)}
            session.add(TransitionRow(account_id=account_id, from_node=account.journey_node, to_node=node, at=at,
                                      by=by, accepted=True, evidence=[], missing=[], source="import", event_id=None))
            resolve_stalls(session, account_id, at)
        if not update:
            return "unchanged"
        sources = {**account.field_sources, **{k: "import" for k in profile if k in update}}
        save_snapshot(session, account.model_copy(update={**update, "field_sources": sources}), row,
                      manager_given="manager_id" in profile)
        return "updated"
