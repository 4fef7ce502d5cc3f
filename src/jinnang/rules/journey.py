"""Evidence-gated moves between journey nodes, and what fires on entering a node or on an upload.

    outcome = propose_transition(account, "trial_in_progress", by="rep-07", at=now)
    outcome.accepted, [m["label"] for m in outcome.missing]   # → (False, ['试用同意书扫描件'])

Entering a node checks that node's evidence (journey.md), so a rep cannot simply pick a later
stage: the later node's own evidence is not there yet. Skipped nodes are not re-checked, so a
private hospital that never had a tender can still move on.
Every decision, accepted or refused, comes back as a TransitionRecord naming who, when and
which evidence.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from jinnang.core.errors import Conflict, InputError
from jinnang.rules.config import default_ruleset
from jinnang.rules.evidence import Missing, missing_for_node, satisfies
from jinnang.rules.models import AccountSnapshot, Document, SigningDate
from jinnang.rules.rule_files import Node, RuleSet
from jinnang.rules.triggers import WorkOrder


class TransitionRecord(BaseModel):
    account_id: str
    from_node: str
    to_node: str
    at: dt.datetime
    by: str
    accepted: bool
    evidence: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    source: str = "manual"
    event_id: str | None = None


class TransitionOutcome(BaseModel):
    accepted: bool
    message: str
    record: TransitionRecord
    account: AccountSnapshot
    missing: list[dict[str, Any]] = []
    work_orders: list[WorkOrder] = []
    signing_date: SigningDate | None = None
    rep_messages: list[str] = []


def _missing_dicts(missing: list[Missing], node: Node) -> list[dict[str, Any]]:
    return [{"node": node.id, "node_label": node.label, "kind": m.kind, "key": m.key, "label": m.label,
             "detail": m.detail} for m in missing]


def evidence_used(account: AccountSnapshot, node: Node) -> list[dict[str, Any]]:
    """Which documents, field values and contacts satisfy `node`'s requirements."""
    used: list[dict[str, Any]] = []
    for doc in node.evidence.documents:
        docs = sorted((d for d in account.documents if d.type == doc.type), key=lambda d: d.uploaded_at)
        for d in docs[-doc.min_count:]:
            used.append({"kind": "document", "type": d.type, "id": d.id, "uploaded_at": d.uploaded_at.isoformat()})
    for f in node.evidence.fields:
        value = account.fields.get(f.key)
        used.append({"kind": "field", "key": f.key, "value": value.isoformat() if hasattr(value, "isoformat") else value})
    for need in node.evidence.contacts:
        person = next(p for p in account.contacts if satisfies(p, need))
        used.append({"kind": "contact", "name": person.name, "role": person.role, "department": person.department})
    return used


def required_for_move(account: AccountSnapshot, target: str, rules: RuleSet) -> list[dict[str, Any]]:
    """Everything `account` lacks to enter `target`."""
    if target not in rules.node_by_id:
        raise InputError("to_node", f"unknown journey node {target!r}; known: {', '.join(rules.node_by_id)}")
    node = rules.node_by_id[target]
    return _missing_dicts(missing_for_node(account, node), node)


def propose_transition(account: AccountSnapshot, target: str, by: str, at: dt.datetime | None = None,
                       rules: RuleSet | None = None, source: str = "manual",
                       event_id: str | None = None) -> TransitionOutcome:
    """Accept the move when the evidence is there; refuse it naming what is missing."""
    rules = rules or default_ruleset()
    at = at or dt.datetime.now()
    missing = required_for_move(account, target, rules)
    node = rules.node_by_id[target]
    record = TransitionRecord(account_id=account.account_id, from_node=account.journey_node, to_node=target, at=at,
                              by=by, accepted=not missing, missing=missing, source=source, event_id=event_id)
    if missing:
        labels = "、".join(f"{m['label']}" + (f"（{m['node_label']}）" if m["node"] != target else "") for m in missing)
        return TransitionOutcome(accepted=False, record=record, account=account, missing=missing,
                                 message=f"不能进入「{node.label}」：缺少 {labels}")
    if target == account.journey_node:
        return TransitionOutcome(accepted=True, record=record, account=account,
                                 message=f"已在「{node.label}」，无需移动")
    record.evidence = evidence_used(account, node)
    moved = account.model_copy(update={"journey_node": target, "node_entered_at": at,
                                       "last_updated_at": max(at, account.last_updated_at)})
    outcome = TransitionOutcome(accepted=True, record=record, account=moved,
                                message=f"已进入「{node.label}」")
    key = event_id or f"{target}@{at.isoformat()}"
    for trigger in node.on_enter:
        effect = trigger.function().fire(moved, trigger, rules, at, key)
        _collect(outcome, effect)
    for trigger in node.on_document:   # evidence uploaded before the move counts on entry
        effect = trigger.function().fire(moved, trigger, rules, at, key)
        _collect(outcome, effect)
    if outcome.signing_date is not None:
        outcome.account = outcome.account.model_copy(update={"signing_date": outcome.signing_date})
    return outcome


def _collect(outcome: TransitionOutcome, effect: Any) -> None:
    if isinstance(effect, WorkOrder):
        outcome.work_orders.append(effect)
        outcome.rep_messages.append(effect.rep_message)
    elif isinstance(effect, SigningDate):
        outcome.signing_date = effect


def record_document(account: AccountSnapshot, document: Document, at: dt.datetime | None = None,
                    rules: RuleSet | None = None) -> tuple[AccountSnapshot, SigningDate | None]:
    """Add an uploaded document and fire the current node's `on_document` triggers."""
    rules = rules or default_ruleset()
    at = at or document.uploaded_at
    account = account.model_copy(update={"documents": [*account.documents, document],
                                         "last_updated_at": max(account.last_updated_at, document.uploaded_at)})
    locked = None
    node = rules.node_by_id.get(account.journey_node)
    for trigger in node.on_document if node else []:
        effect = trigger.function().fire(account, trigger, rules, at, document.id or document.uploaded_at.isoformat())
        if isinstance(effect, SigningDate) and (account.signing_date is None or account.signing_date.base != effect.base):
            locked = effect
            account = account.model_copy(update={"signing_date": effect})
    return account, locked


def adjust_signing_date(account: AccountSnapshot, new_date: dt.date, by: str, rules: RuleSet | None = None) -> SigningDate:
    """A person may move the locked signing date within ±adjust_days of the computed date."""
    rules = rules or default_ruleset()
    if account.signing_date is None:
        raise Conflict("signing_date", "no locked signing date on this account yet")
    limit = max((t.params.get("adjust_days", 0) for n in rules.nodes for t in n.on_document
                 if t.rule == "jinnang.trigger.lock_signing_date.v1"), default=0)
    delta = (new_date - account.signing_date.base).days
    if abs(delta) > limit:
        raise InputError("date", f"the locked signing date {account.signing_date.base} may move by at most "
                                 f"±{limit} days; {new_date} is {delta:+d} days")
    return account.signing_date.model_copy(update={"predicted": new_date, "adjusted_by": by})
