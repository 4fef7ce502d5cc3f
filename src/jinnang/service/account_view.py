"""One account as its page shows it: the journey so far, what is missing to move on, the buying
committee (roles covered and missing), open objections, coming key dates, next actions with their
reasons and evidence, and the documents with their extraction records.

    view = account_view(engine, load_account(engine, "acc-demo-01"), now=dt.datetime.now())
    view["committee"]["completeness"]   # 60: three of the five buying roles have a named contact

The caller has already been allowed to see the account (`core.access`); this only gathers.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from jinnang.core.db import ensure_schema
from jinnang.nlp.store import ExtractionRow, reviewed_record
from jinnang.rules.accounts import transitions
from jinnang.rules.config import default_ruleset
from jinnang.rules.context import AccountContext, TalkTrackProvider, human_hours
from jinnang.rules.journey import required_for_move
from jinnang.rules.models import AccountSnapshot
from jinnang.rules.next_action import suggest
from jinnang.rules.rule_files import RuleSet
from jinnang.rules.scores import covered_slots


def _missing(items: list[Any]) -> list[dict[str, Any]]:
    """Missing evidence (rules' `Missing` objects or their dict form) as label and detail."""
    out = []
    for m in items:
        m = m if isinstance(m, dict) else {"kind": m.kind, "label": m.label, "detail": m.detail}
        out.append({"kind": m["kind"], "label": m["label"], "detail": m.get("detail") or ""})
    return out


def journey(account: AccountSnapshot, ctx: AccountContext, rules: RuleSet) -> dict[str, Any]:
    """The current node, its stall clock, what it still lacks and what entering the next node needs."""
    order = rules.node_order
    here = order.index(account.journey_node)
    following = rules.node_by_id[order[here + 1]] if here + 1 < len(order) else None
    stall = ctx.stall
    return {
        "node": account.journey_node, "node_label": ctx.node.label, "number": here + 1, "of": len(order),
        "entered_at": account.node_entered_at.isoformat(timespec="minutes"),
        "stages": [{"id": n.id, "label": n.label, "state": "done" if i < here else "current" if i == here else "todo"}
                   for i, n in enumerate(rules.nodes)],
        "idle": human_hours(stall.idle_hours, stall.limit_hours) if stall else None,
        "limit": human_hours(stall.limit_hours) if stall else None,
        "overdue": bool(stall and stall.stalled),
        "missing_here": _missing(ctx.missing_evidence),
        "next": None if following is None else {
            "id": following.id, "label": following.label,
            "missing": _missing(required_for_move(account, following.id, rules))},
    }


def committee(account: AccountSnapshot, rules: RuleSet) -> dict[str, Any]:
    """The buying roles of the customer-health score (决策链覆盖完整度), each covered by which contacts."""
    slots = rules.scores.customer_health.params["buying_roles"]
    covered, missing = covered_slots(account.contacts, slots)
    out = []
    for slot in slots:
        people = [{"name": c.name, "title": c.title, "department": c.department}
                  for c in account.contacts if c.name and c.role in slot["roles"]]
        out.append({"slot": slot["slot"], "label": slot["label"], "covered": slot in covered, "people": people})
    others = [{"name": c.name, "title": c.title, "department": c.department, "role": c.role}
              for c in account.contacts if not any(c.role in s["roles"] for s in slots)]
    return {"slots": out, "others": others, "covered": len(covered), "of": len(slots),
            "missing": [s["label"] for s in missing],
            "completeness": round(len(covered) / len(slots) * 100) if slots else None}


def _records(session: Session, document_ids: list[str]) -> dict[str, ExtractionRow]:
    rows = session.scalars(select(ExtractionRow).where(ExtractionRow.document_id.in_(document_ids)))
    return {r.document_id: r for r in rows}


def key_dates(account: AccountSnapshot, records: list[dict[str, Any]], today: dt.date,
              rules: RuleSet, work_orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dates from today on: the account's date fields, the locked signing date, open work orders'
    deadlines and the key dates the notes mention; each once, soonest first."""
    found: dict[tuple[str, str], dict[str, Any]] = {}

    def add(kind: str, day: dt.date | str | None, source: str) -> None:
        if not day:
            return
        day = dt.date.fromisoformat(day) if isinstance(day, str) else day
        if day >= today:
            found.setdefault((kind, day.isoformat()), {"kind": kind, "date": day.isoformat(), "source": source})

    by_field = {f: t for t, f in rules.accounts.key_date_fields.items()}
    for name in ("demo_date", "trial_start", "trial_end", "committee_meeting_date", *by_field):
        value = account.fields.get(name)
        if isinstance(value, (dt.date, str)):
            try:
                add(by_field.get(name, name), value, "account")
            except ValueError:
                continue
    if account.signing_date:
        add("signing", account.signing_date.predicted, "signing_date")
    for order in work_orders:
        if order["status"] == "open":
            add("work_order_due", order["due"], order["id"])
    for record in records:
        for d in record.get("key_dates", []):
            add(d["type"], str(d["date"]), "note")
    return sorted(found.values(), key=lambda d: d["date"])


def account_view(engine: Engine, account: AccountSnapshot, work_orders: list[dict[str, Any]],
                 now: dt.datetime | None = None, rules: RuleSet | None = None,
                 talk_tracks: TalkTrackProvider | None = None) -> dict[str, Any]:
    rules = rules or default_ruleset()
    now = now or dt.datetime.now()
    if account.journey_node not in rules.node_by_id:
        return {"account": account, "unknown_node": account.journey_node}
    ctx = AccountContext(account=account, now=now, rules=rules)
    advice = suggest(account, now, rules, talk_tracks)
    labels = {n.id: n.label for n in rules.nodes}
    moves = [{**m, "from_label": labels.get(m["from_node"], m["from_node"]),
              "to_label": labels.get(m["to_node"], m["to_node"])} for m in transitions(engine, account.account_id)]
    ensure_schema(engine)
    with Session(engine) as session:
        rows = _records(session, [d.id for d in account.documents if d.id])
        reviewed = [reviewed_record(session, r) for r in rows.values()]
    documents = [{"id": d.id, "type": d.type, "uploaded_at": d.uploaded_at.isoformat(timespec="minutes"),
                  "record_id": rows[d.id].id if d.id in rows else None,
                  "review_status": rows[d.id].review_status if d.id in rows else None}
                 for d in sorted(account.documents, key=lambda d: d.uploaded_at, reverse=True)]
    return {
        "account": account, "customer": account.hospital or account.account_id,
        "journey": journey(account, ctx, rules), "transitions": moves[::-1],
        "committee": committee(account, rules),
        "objections": [{"category": o.category, "raised_on": o.raised_on.isoformat() if o.raised_on else None}
                       for o in account.open_objections],
        "key_dates": key_dates(account, reviewed, now.date(), rules, work_orders),
        "suggestions": [s.model_dump(mode="json") for s in advice.suggestions],
        "alerts": [a.model_dump() for a in advice.alerts], "warnings": advice.warnings,
        "health": advice.scores.get("customer_health"),
        "documents": documents,
    }
