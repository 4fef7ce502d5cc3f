"""Taking a deleted document out of its account: what the account learnt only from that note goes,
what other notes (or the CRM) also support stays.

- the account's link to the document (`applied_documents`) and the document in its evidence list;
- objections filed from it (each objection row names its document);
- visits read from it (their evidence spans name the document; a visit without spans is matched
  by the facts and notes the document's extraction gave it);
- contacts' evidence spans from it; a contact whose every span came from it is removed, one also
  seen in another note or known from the CRM (no spans) is kept with the other spans.
- managers' corrections of its items (they quote them);
- the document's id as the source of a profile field (hospital, city…): the value stays, its source
  becomes plain "document".
The journey node, its transition history and key-date fields are kept: they are the account's
state as people acted on it, and carry no text of the note.
"""
from __future__ import annotations

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from jinnang.core.records import ExtractionRecord
from jinnang.rules.accounts.corrections import forget_corrections
from jinnang.rules.accounts.store import save_snapshot, snapshot_of
from jinnang.rules.accounts.tables import AccountRow, ObjectionRow, session_for
from jinnang.rules.models import Contact, Visit


def _from_document(spans: list, document_id: str) -> bool:
    return any(getattr(span, "document_id", None) == document_id for span in spans)


def _visit_from(visit: Visit, document_id: str, record: ExtractionRecord | None) -> bool:
    if _from_document(visit.evidence, document_id):
        return True
    if visit.evidence or record is None or record.visit is None:
        return False
    facts = record.visit
    return (visit.notes == record.journey_evidence and visit.sample_brought == facts.sample_brought
            and visit.questions_resolved == facts.questions_resolved)


def _contacts_without(contacts: list[Contact], document_id: str) -> tuple[list[Contact], int, int]:
    kept: list[Contact] = []
    removed = spans_removed = 0
    for contact in contacts:
        others = [span for span in contact.evidence if span.document_id != document_id]
        gone = len(contact.evidence) - len(others)
        if gone and not others:
            removed += 1
            continue
        spans_removed += gone
        kept.append(contact.model_copy(update={"evidence": others}) if gone else contact)
    return kept, removed, spans_removed


def forget_document(session_or_engine: Session | Engine, account_id: str, document_id: str,
                    record: ExtractionRecord | None = None) -> dict[str, int]:
    """Remove what `account_id` holds of `document_id`; counts of what was removed, by kind."""
    counts = {"account_links": 0, "account_documents": 0, "objections": 0, "visits": 0, "contacts": 0,
              "contact_evidence_spans": 0, "corrections": 0}
    with session_for(session_or_engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            return counts
        applied = list(row.applied_documents or [])
        if document_id in applied:
            row.applied_documents = [d for d in applied if d != document_id]
            counts["account_links"] = 1
        result = session.execute(delete(ObjectionRow).where(ObjectionRow.account_id == account_id,
                                                            ObjectionRow.document_id == document_id))
        counts["objections"] = int(result.rowcount or 0)  # type: ignore[attr-defined]
        counts["corrections"] = forget_corrections(session, account_id, document_id)
        account = snapshot_of(session, row)
        sources = {k: ("document" if document_id in v else v) for k, v in account.field_sources.items()}
        documents = [d for d in account.documents if d.id != document_id]
        visits = [v for v in account.visits if not _visit_from(v, document_id, record)]
        contacts, counts["contacts"], counts["contact_evidence_spans"] = _contacts_without(account.contacts,
                                                                                             document_id)
        counts["account_documents"] = len(account.documents) - len(documents)
        counts["visits"] = len(account.visits) - len(visits)
        if (counts["account_documents"] or counts["visits"] or counts["contacts"] or counts["contact_evidence_spans"]
                or sources != account.field_sources):
            save_snapshot(session, account.model_copy(update={"documents": documents, "visits": visits,
                                                              "contacts": contacts, "field_sources": sources}), row)
        session.flush()
        return counts
