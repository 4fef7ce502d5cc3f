"""Extraction records → stored accounts: what one note or form changes on its account.

    apply_extraction(engine, "acc-0042", record, document_id="doc-17", document_type="trial_feedback",
                     by="rep-07", at=dt.datetime(2026, 3, 12, 15))
    # → ExtractionApplied(account_id='acc-0042', contacts_added=['王'], objections_opened=['price'], …)

Contacts and visits are the extraction's own DecisionMaker and VisitFacts carried over whole
(organization, confidence and evidence spans included).
"""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from jinnang.core.records import DecisionMaker, ExtractionRecord, Objection
from jinnang.rules.accounts.contacts import merge_into, merge_pair
from jinnang.rules.accounts.store import move_account, resolve_stalls, save_snapshot, snapshot_of
from jinnang.rules.accounts.tables import AccountRow, ObjectionRow, TransitionRow, session_for
from jinnang.rules.config import default_ruleset
from jinnang.rules.journey import TransitionOutcome, record_document
from jinnang.rules.models import AccountSnapshot, Contact, Document, Visit
from jinnang.rules.rule_files import AccountsFile, RuleSet


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


def contact_from(dm: DecisionMaker) -> Contact:
    """The decision-maker as a contact; a named organization stands in for a missing department
    (the first node's gate asks for a contact with a department)."""
    return Contact.model_validate({**dm.model_dump(), "department": dm.department or dm.organization})


def merge_contact(old: Contact, new: Contact) -> Contact:
    """What the note says overrides what is known, except blanks and an unspecific `other` role;
    evidence spans accumulate and the confidence is the best seen (contacts.merge_pair)."""
    return merge_pair(old, new)


def _merge_contacts(contacts: list[Contact], found: list[DecisionMaker], result: ExtractionApplied) -> list[Contact]:
    """Each decision-maker joins the contact that is the same person (王主任, 王建国, Dr. Wang) or is added."""
    contacts = list(contacts)
    for dm in found:
        before = list(contacts)
        contacts, index, added = merge_into(contacts, contact_from(dm))
        if added:
            result.contacts_added.append(dm.name)
        elif contacts[index] != before[index]:
            result.contacts_updated.append(contacts[index].name)
    return contacts


def _apply_objections(session: Session, account_id: str, objections: list[Objection], cfg: AccountsFile,
                      document_id: str, at: dt.datetime, result: ExtractionApplied) -> None:
    """Objections open; one whose evidence carries a resolution cue closes the open one of its category."""
    open_rows = list(session.scalars(select(ObjectionRow).where(ObjectionRow.account_id == account_id,
                                                                ObjectionRow.status == "open")))
    for obj in objections:
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
            opened = ObjectionRow(account_id=account_id, category=obj.category, raised_on=at.date(),
                                  evidence=obj.evidence, document_id=document_id)
            session.add(opened)
            open_rows.append(opened)
            result.objections_opened.append(obj.category)


def _new_account(session: Session, account_id: str, by: str, at: dt.datetime, rules: RuleSet) -> AccountRow:
    """An unknown account starts at the journey's first node with `by` as its rep."""
    first = rules.node_order[0]
    row = save_snapshot(session, AccountSnapshot(account_id=account_id, rep_id=by, journey_node=first,
                                                 node_entered_at=at, last_updated_at=at))
    session.add(TransitionRow(account_id=account_id, from_node=first, to_node=first, at=at, by=by,
                              accepted=True, evidence=[], missing=[], source="created", event_id=None))
    return row


def apply_extraction(session_or_engine: Session | Engine, account_id: str, record: ExtractionRecord,
                     document_id: str, document_type: str | None = None, by: str = "ingest",
                     at: dt.datetime | None = None, rules: RuleSet | None = None) -> ExtractionApplied:
    """Update a stored account from one extracted note or form (idempotent per document_id).

    - decision-makers become contacts (one per person: 王主任, 王建国 and Dr. Wang at one department
      are one contact, see contacts.py; title, department and role filled in);
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
    with session_for(session_or_engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            row = _new_account(session, account_id, by, at, rules)
            result.created = True
        if document_id in (row.applied_documents or []):
            result.already_applied = True
            return result
        account = snapshot_of(session, row)
        contacts = _merge_contacts(account.contacts, record.decision_makers, result)
        _apply_objections(session, account_id, record.objections, cfg, document_id, at, result)
        visits = list(account.visits)
        if record.visit is not None:
            visits.append(Visit.model_validate({**record.visit.model_dump(), "date": at.date(),
                                                "notes": record.journey_evidence}))
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
        resolve_stalls(session, account_id, at)
        save_snapshot(session, account, row)
        row.applied_documents = [*(row.applied_documents or []), document_id]
        session.flush()
        signal = record.journey_node
        if (signal in rules.node_number and
                rules.node_number[signal] > rules.node_number.get(account.journey_node, 0)):
            result.transition = move_account(session, account_id, signal, by, at, rules,
                                             source=f"extraction:{document_id}", event_id=f"extraction:{document_id}")
        return result
