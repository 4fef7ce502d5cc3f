"""A reviewer's correction of one extracted item, carried into the account the note was applied to.

    apply_correction(session, "acc-0042", "doc-17", "decision_makers", action="correct",
                     before={"name": "吴", "department": None, …}, after={"name": "吴国栋", "department": "关节外科", …},
                     by="mgr-02", at=now, visit_date=dt.date(2026, 3, 2))
    # → CorrectionApplied(changed=["contact 吴国栋"], …)

- a person: the contact the note gave is corrected (name, title, department, role), or its spans from
  the note are taken back on a rejection (the contact goes when nothing else supports it); a corrected
  contact that now is the same person as another merges with it (contacts.py);
- an objection: the open objection the note filed changes category or evidence, or is withdrawn;
- a key date: the node field it set (demo_date, trial_start …) moves or is cleared;
- the visit: its facts change, or the visit read from the note goes;
- the journey signal: a corrected node ahead of the account's is proposed as a move by the reviewer
  (the evidence gate decides, recorded either way); a corrected journey evidence becomes the visit's notes.
  A rejected signal is recorded but moves nothing back: the node is the state people acted on.
Every correction is kept in `rules_corrections` with who, when, before and after.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import JSON, DateTime, Engine, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from jinnang.core.db import Base, ensure_schema
from jinnang.core.records import DecisionMaker, KeyDate, Objection, VisitFacts
from jinnang.rules.accounts.contacts import find_person, merge_into
from jinnang.rules.accounts.extraction import contact_from
from jinnang.rules.accounts.store import move_account, save_snapshot, snapshot_of
from jinnang.rules.accounts.tables import AccountRow, ObjectionRow, session_for
from jinnang.rules.config import default_ruleset
from jinnang.rules.models import AccountSnapshot, Contact, Visit
from jinnang.rules.rule_files import RuleSet

Action = Literal["accept", "correct", "reject", "add"]
CORRECTED_FIELDS = ("decision_makers", "objections", "key_dates", "visit", "journey_signals")


class AccountCorrectionRow(Base):
    __tablename__ = "rules_corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(String, index=True)
    document_id: Mapped[str | None] = mapped_column(String, index=True, nullable=True)
    field: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    changed: Mapped[list] = mapped_column(JSON, default=list)  # what the account took from it
    by: Mapped[str] = mapped_column(String)
    at: Mapped[dt.datetime] = mapped_column(DateTime)


TABLES = [Base.metadata.tables[AccountCorrectionRow.__tablename__]]


class CorrectionApplied(BaseModel):
    account_id: str
    field: str
    action: str
    changed: list[str] = []
    transition: dict[str, Any] | None = None


def _spans_of(item: dict[str, Any] | None) -> list[tuple[int | None, int | None, str]]:
    return [(e.get("start"), e.get("end"), e.get("text", "")) for e in (item or {}).get("evidence") or []
            if isinstance(e, dict)]


def _contact_of(contacts: list[Contact], before: DecisionMaker, document_id: str) -> int | None:
    """The account's contact the note's person went into: by the note's spans, else by the person."""
    spans = {(e.start, e.end, e.text) for e in before.evidence}
    for i, contact in enumerate(contacts):
        if any(e.document_id == document_id and (e.start, e.end, e.text) in spans for e in contact.evidence):
            return i
    return find_person(contacts, contact_from(before))


def _without_document(contact: Contact, before: DecisionMaker, document_id: str) -> Contact | None:
    """The contact without the note's spans of that person; None when nothing else supports it."""
    spans = {(e.start, e.end, e.text) for e in before.evidence}
    kept = [e for e in contact.evidence if not (e.document_id == document_id and (e.start, e.end, e.text) in spans)]
    if not kept and (contact.evidence or contact.name == before.name):
        return None
    return contact.model_copy(update={"evidence": kept})


def _correct_contacts(account: AccountSnapshot, action: str, before: dict | None, after: dict | None,
                      document_id: str, changed: list[str]) -> list[Contact]:
    contacts = list(account.contacts)
    old = DecisionMaker.model_validate(before) if before else None
    index = _contact_of(contacts, old, document_id) if old else None
    if index is not None and action in ("reject", "correct"):
        assert old is not None
        kept = _without_document(contacts[index], old, document_id)
        if action == "reject":
            if kept is None:
                changed.append(f"contact {contacts[index].name} removed")
                return contacts[:index] + contacts[index + 1:]
            changed.append(f"contact {contacts[index].name}: the note's mentions taken back")
            contacts[index] = kept
            return contacts
    if after is None or action == "reject":
        return contacts
    new = contact_from(DecisionMaker.model_validate(after))
    if index is not None:
        # the correction is the truth about this person: it replaces what the note had said
        corrected = contacts[index].model_copy(update={
            **{k: getattr(new, k) for k in ("name", "title", "department", "organization", "role")},
            "evidence": [*(kept.evidence if kept else []), *new.evidence]})
        contacts = contacts[:index] + contacts[index + 1:]
        contacts, at, added = merge_into(contacts, corrected)
        changed.append(f"contact {contacts[at].name} corrected" + ("" if added else " and merged"))
        return contacts
    contacts, at, added = merge_into(contacts, new)
    changed.append(f"contact {contacts[at].name} " + ("added" if added else "merged"))
    return contacts


def _correct_objection(session: Session, account_id: str, action: str, before: dict | None, after: dict | None,
                       document_id: str, at: dt.datetime, changed: list[str]) -> None:
    old = Objection.model_validate(before) if before else None
    row = None
    if old is not None:
        rows = list(session.scalars(select(ObjectionRow).where(ObjectionRow.account_id == account_id,
                                                               ObjectionRow.document_id == document_id,
                                                               ObjectionRow.category == old.category)))
        row = next((r for r in rows if r.status == "open"), rows[0] if rows else None)
    if action == "reject":
        if row is not None:
            row.status = "rejected"
            changed.append(f"objection {row.category} withdrawn")
        return
    new = Objection.model_validate(after)
    if row is None:
        session.add(ObjectionRow(account_id=account_id, category=new.category, raised_on=at.date(),
                                 evidence=new.evidence, document_id=document_id))
        changed.append(f"objection {new.category} opened")
        return
    row.category, row.evidence = new.category, new.evidence
    changed.append(f"objection {new.category} corrected")


def _correct_key_date(fields: dict[str, Any], key_fields: dict[str, str], action: str, before: dict | None,
                      after: dict | None, changed: list[str]) -> dict[str, Any]:
    fields = dict(fields)
    if before:
        old = KeyDate.model_validate(before)
        key = key_fields.get(old.type)
        if key and str(fields.get(key) or "") == old.date.isoformat() and action != "accept":
            fields[key] = None
            changed.append(f"{key} cleared")
    if after and action != "reject":
        new = KeyDate.model_validate(after)
        key = key_fields.get(new.type)
        if key:
            fields[key] = new.date.isoformat()
            changed = [c for c in changed if c != f"{key} cleared"]
            changed.append(f"{key} = {new.date.isoformat()}")
    return fields


def _visit_index(visits: list[Visit], before: dict | None, document_id: str, visit_date: dt.date | None) -> int | None:
    for i, visit in enumerate(visits):
        if any(e.document_id == document_id for e in visit.evidence):
            return i
    if before is None:
        return None
    old = VisitFacts.model_validate(before)
    return next((i for i, v in enumerate(visits) if not v.evidence and v.date == visit_date
                 and v.sample_brought == old.sample_brought and v.questions_resolved == old.questions_resolved), None)


def _correct_visit(visits: list[Visit], action: str, before: dict | None, after: dict | None, document_id: str,
                   visit_date: dt.date | None, changed: list[str]) -> list[Visit]:
    visits = list(visits)
    index = _visit_index(visits, before, document_id, visit_date)
    if action == "reject":
        if index is not None:
            del visits[index]
            changed.append("visit removed")
        return visits
    facts = VisitFacts.model_validate(after or {}).model_dump()
    if index is None:
        visits.append(Visit.model_validate({**facts, "date": visit_date or dt.date.today()}))
        changed.append("visit added")
    else:
        visits[index] = Visit.model_validate({**visits[index].model_dump(), **facts})
        changed.append("visit corrected")
    return visits


def apply_correction(session_or_engine: Session | Engine, account_id: str, document_id: str, field: str,
                     action: Action, before: Any, after: Any, by: str, at: dt.datetime | None = None,
                     visit_date: dt.date | None = None, rules: RuleSet | None = None) -> CorrectionApplied | None:
    """Carry one reviewed item into the account (None when the account is not stored). `before` is the item
    as the note gave it (None for an added one), `after` the item as reviewed (None for a rejected one)."""
    rules = rules or default_ruleset()
    at = at or dt.datetime.now()
    result = CorrectionApplied(account_id=account_id, field=field, action=action)
    with session_for(session_or_engine) as session:
        ensure_schema(session.get_bind().engine)
        row = session.get(AccountRow, account_id)
        if row is None:
            return None
        account = snapshot_of(session, row)
        update: dict[str, Any] = {}
        if action != "accept":
            if field == "decision_makers":
                update["contacts"] = _correct_contacts(account, action, before, after, document_id, result.changed)
            elif field == "objections":
                _correct_objection(session, account_id, action, before, after, document_id, at, result.changed)
            elif field == "key_dates":
                fields = _correct_key_date(account.fields.model_dump(), rules.accounts.key_date_fields, action,
                                           before, after, result.changed)
                update["fields"] = type(account.fields).model_validate(fields)
            elif field == "visit":
                update["visits"] = _correct_visit(account.visits, action, before, after, document_id, visit_date,
                                                  result.changed)
        if field == "journey_signals" and action != "reject" and after:
            update.update(_journey_notes(account, after, before, document_id, visit_date, result.changed))
        if update:
            save_snapshot(session, account.model_copy(update=update), row)
            session.flush()
        if field == "journey_signals" and action != "reject" and after:
            result.transition = _propose(session, account_id, after.get("journey_node"), by, at, rules,
                                         document_id, result.changed)
        session.add(AccountCorrectionRow(account_id=account_id, document_id=document_id, field=field, action=action,
                                         before=before, after=after, changed=result.changed, by=by, at=at))
        session.flush()
        return result


def _journey_notes(account: AccountSnapshot, after: dict, before: dict | None, document_id: str,
                   visit_date: dt.date | None, changed: list[str]) -> dict[str, Any]:
    notes = after.get("journey_evidence")
    if not notes or notes == (before or {}).get("journey_evidence"):
        return {}
    visits = list(account.visits)
    index = next((i for i, v in enumerate(visits) if any(e.document_id == document_id for e in v.evidence)), None)
    if index is None:
        index = next((i for i, v in enumerate(visits) if v.date == visit_date and before
                      and v.notes == before.get("journey_evidence")), None)
    if index is None:
        return {}
    visits[index] = visits[index].model_copy(update={"notes": notes})
    changed.append("visit notes corrected")
    return {"visits": visits}


def _propose(session: Session, account_id: str, node: str | None, by: str, at: dt.datetime, rules: RuleSet,
             document_id: str, changed: list[str]) -> dict[str, Any] | None:
    row = session.get(AccountRow, account_id)
    if row is None or node not in rules.node_number or \
            rules.node_number[node] <= rules.node_number.get(row.journey_node, 0):
        return None
    outcome = move_account(session, account_id, node, by, at, rules, source=f"review:{document_id}",
                           event_id=f"review:{document_id}:{node}")
    changed.append(f"move to {node} " + ("accepted" if outcome.accepted else "refused"))
    return {"to_node": node, "accepted": outcome.accepted, "missing": list(outcome.record.missing)}


def corrections_of_account(session_or_engine: Session | Engine, account_id: str) -> list[dict[str, Any]]:
    """Every correction carried into the account, oldest first: who, when, what, before and after."""
    with session_for(session_or_engine) as session:
        ensure_schema(session.get_bind().engine)
        rows = session.scalars(select(AccountCorrectionRow).where(AccountCorrectionRow.account_id == account_id)
                               .order_by(AccountCorrectionRow.at, AccountCorrectionRow.id))
        return [{"document_id": r.document_id, "field": r.field, "action": r.action, "before": r.before,
                 "after": r.after, "changed": r.changed, "by": r.by, "at": r.at.isoformat()} for r in rows]


def forget_corrections(session: Session, account_id: str, document_id: str) -> int:
    """Delete the corrections of a deleted document (they quote its items)."""
    ensure_schema(session.get_bind().engine)
    result = session.execute(delete(AccountCorrectionRow).where(AccountCorrectionRow.account_id == account_id,
                                                                AccountCorrectionRow.document_id == document_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
