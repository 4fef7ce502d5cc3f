"""The document pipeline: ingest → nlp → rules → coaching, composed in one place.

The packages never call each other backwards; this module wires their public
functions together as ingest hooks, and the CLI and the API call only this.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from jinnang.core.errors import InputError
from jinnang.core.records import NOTE_KINDS, DocumentKind, Evidence, ExtractionRecord, KeyDate, Objection
from jinnang.core.settings import Settings
from jinnang.ingest.pipeline import DocumentHook, Registration, register_document, resume_unfinished, run_job
from jinnang.ingest.store import DocumentRow, IngestJobRow
from jinnang.service.playbook_refresh import playbook_refresh_hook, refresh_if_stale

if TYPE_CHECKING:
    from jinnang.service.extract_pool import ExtractPool

log = logging.getLogger(__name__)
# text, reference date, kind → record: nlp's `extract`, or an ExtractPool's
Extractor = Callable[[str, dt.date, DocumentKind], ExtractionRecord]


# what an upload (form fields, manifest line, `jinnang ingest --province …`) says about its account,
# kept in the document's meta beside its hospital column
PROFILE_META_KEYS = ("province", "city", "hospital_type", "product_line", "department")


def document_profile(document: DocumentRow) -> dict[str, object]:
    meta = document.meta or {}
    return {"hospital": document.hospital, **{k: meta.get(k) for k in PROFILE_META_KEYS}}


def extract_hook(settings: Settings, session: Session, document: DocumentRow,
                 extractor: Extractor | None = None) -> None:
    """Visit notes and feedback forms get an extraction record (and update their account); any upload
    filed on a stored account fills the hospital, province … the account does not know yet."""
    may_write = bool(document.account_id) and _owner_may_write(session, document)
    if needs_extraction(document):
        _extract(session, document, may_write, extractor)
    if may_write and document.account_id:
        from jinnang.rules.accounts.store import fill_profile

        fill_profile(session, document.account_id, document_profile(document), source=f"document:{document.id}")


def needs_extraction(document: DocumentRow) -> bool:
    return document.kind in NOTE_KINDS and bool((document.text or "").strip())


def extraction_input(document: DocumentRow) -> tuple[str, dt.date, DocumentKind]:
    """What extraction reads of a document: its text, the date its relative dates count from, its kind."""
    kind: DocumentKind = "trial_feedback" if document.kind == "trial_feedback" else "visit_note"
    return document.text or "", document.reference_date or document.created_at.date(), kind


def _extract(session: Session, document: DocumentRow, may_write: bool, extractor: Extractor | None = None) -> None:
    from jinnang.nlp.store import save_record

    if extractor is None:
        from jinnang.nlp.extract import extract

        extractor = extract
    text, reference_date, kind = extraction_input(document)
    record = link_to_source(extractor(text, reference_date, kind), document)
    save_record(session, document_id=document.id, kind=document.kind, reference_date=reference_date,
                text=document.text or "", record=record, rep_id=document.rep_id,
                account_id=document.account_id, hospital=document.hospital)
    if may_write and document.account_id:
        from jinnang.rules.accounts import apply_extraction

        # the note's own date, not today's: stalls, health and PHI are measured from it
        apply_extraction(session, document.account_id, record, document_id=document.id,
                         document_type=document.kind, by=document.rep_id or "ingest",
                         at=dt.datetime.combine(reference_date, dt.time(12)))


def _owner_may_write(session: Session, document: DocumentRow) -> bool:
    """The upload was checked against the account's owner, but the account may have been created
    for another rep since: a note never lands in an account its rep may not change."""
    from jinnang.rules.accounts.tables import AccountRow

    account = session.get(AccountRow, document.account_id)
    if account is None or document.rep_id is None or account.rep_id == document.rep_id:
        return True
    log.warning("document %s of %s not applied to account %s, which belongs to %s",
                document.id, document.rep_id, document.account_id, account.rep_id)
    return False


def link_to_source(record: ExtractionRecord, document: DocumentRow) -> ExtractionRecord:
    """Stamp every evidence span with its document and, for scans, the page it was read from."""
    page_starts: list[tuple[int, int]] = []  # (offset of the page's first character, page number)
    offset = 0
    for page in document.pages:  # document.text is the pages' texts joined by "\n"
        page_starts.append((offset, page.page_no))
        offset += len(page.text) + 1

    def page_of(start: int | None) -> int | None:
        if start is None or not page_starts:
            return None
        return max((p for p in page_starts if p[0] <= start), default=page_starts[0])[1]

    located: list[Evidence | Objection | KeyDate] = [e for dm in record.decision_makers for e in dm.evidence]
    located += record.visit.evidence if record.visit else []
    located += [*record.objections, *record.key_dates]
    for item in located:
        item.document_id = document.id
        item.page = page_of(item.start)
    return record


def _playbook_document(document: DocumentRow) -> dict:
    # a chat's parsed messages stay with the document; the playbook indexes its text
    meta = {k: v for k, v in (document.meta or {}).items() if k != "chat"}
    return {"id": document.id, "kind": document.kind, "text": document.text or "",
            "meta": {"hospital": document.hospital, "rep": document.rep_id, "account_id": document.account_id,
                     "source": document.filename, **meta}}


def playbook_hook(settings: Settings, session: Session, document: DocumentRow) -> None:
    """Every ingested document is searchable in the playbook like an indexed corpus document: its own
    segment, its chunks embedded once (ingest's embedder memo serves the same texts again)."""
    from jinnang.coaching import index_documents

    index_documents(settings, [_playbook_document(document)])


def index_in_playbook(settings: Settings, document_ids: Sequence[str], refresh: bool = True) -> dict[str, int]:
    """Index many ingested documents in one pass: one segment and one batched Chroma write for all of them.
    `refresh=False`: leave mining the playbook again to the caller (once a run, not once a pass)."""
    from jinnang.coaching import index_documents
    from jinnang.ingest.store import ingest_engine

    with Session(ingest_engine(settings)) as session:
        documents = [session.get(DocumentRow, d) for d in dict.fromkeys(document_ids)]
        docs = [_playbook_document(d) for d in documents if d is not None and d.status == "done"]
    counts = index_documents(settings, docs) if docs else {"added": 0, "updated": 0, "unchanged": 0, "total": 0}
    if refresh:
        refresh_if_stale(settings)  # scenarios mined again when won or lost deals or talk tracks came in
    return counts


# The playbook embeds (slow) before extraction opens its SQLite write, which then lasts only until "done".
DEFAULT_HOOKS: tuple[DocumentHook, ...] = (playbook_hook, playbook_refresh_hook, extract_hook)


def ensure_all_tables(settings: Settings) -> None:
    """Create every package's tables up front: SQLite cannot add a table while a hook's write is open."""
    from jinnang.core.db import ensure_schema
    from jinnang.ingest.store import ingest_engine
    from jinnang.nlp.store import records_engine

    ingest_engine(settings)
    ensure_schema(records_engine(settings))


def ingest_bytes(settings: Settings, data: bytes, filename: str | None, hooks: Sequence[DocumentHook] = DEFAULT_HOOKS,
                 run: bool = True, **meta: object) -> tuple[Registration, IngestJobRow | None]:
    """Register and (by default) process one document now. Returns the registration and its job."""
    ensure_all_tables(settings)
    registration = register_document(settings, data, filename, **meta)  # type: ignore[arg-type]
    job = run_job(settings, registration.job_id, hooks) if (run and registration.job_id) else None
    return registration, job


def ingest_many(settings: Settings, items: Sequence[tuple[bytes, str | None, dict]],
                hooks: Sequence[DocumentHook] = DEFAULT_HOOKS) -> list[tuple[Registration | InputError, IngestJobRow | None]]:
    """Register several documents (data, filename, meta), then run their jobs together: one Chroma
    write for all their chunks. A file refused at the door comes back as its InputError."""
    from jinnang.ingest.batch import run_jobs

    ensure_all_tables(settings)
    registered = _register_all(settings, items)
    return _outcome(registered, run_jobs(settings, _job_ids(registered), hooks))


def pooled_extract_hook(pool: ExtractPool) -> DocumentHook:
    """`extract_hook` with the record from the pool's workers (submitted when the text was read)."""
    def hook(settings: Settings, session: Session, document: DocumentRow) -> None:
        extract_hook(settings, session, document, pool.extract)

    return hook


Item = tuple[bytes, str | None, dict]
Outcome = list[tuple[Registration | InputError, IngestJobRow | None]]


def ingest_batches(settings: Settings, batches: Iterable[Sequence[Item]], pool: ExtractPool) -> Iterator[Outcome]:
    """`ingest_many(settings, batch, hooks=(extract_hook,))` for each batch, in order, with the notes
    extracted by the pool: batch k+1 is read, its notes sent to the pool, and embedded before batch
    k's records are stored, so the workers always have notes while this process embeds and writes."""
    from jinnang.ingest.batch import finish_jobs, start_jobs

    ensure_all_tables(settings)
    hooks = (pooled_extract_hook(pool),)

    def send(document: DocumentRow) -> None:
        if needs_extraction(document):
            pool.submit(*extraction_input(document))

    waiting: tuple[list[Registration | InputError], list] | None = None
    for batch in batches:
        registered = _register_all(settings, batch)
        earlier = {job.id for job, _ in waiting[1]} if waiting else set()
        started = start_jobs(settings, [j for j in _job_ids(registered) if j not in earlier], on_text=send)
        if waiting is not None:
            yield _outcome(waiting[0], finish_jobs(settings, waiting[1], hooks))
        # bytes the batch before also held: registered again now that their job has ended, as a run
        # one batch at a time would have registered them (a duplicate, or a new job after a failure)
        for n, registration in enumerate(registered):
            if isinstance(registration, Registration) and registration.job_id in earlier:
                data, filename, meta = batch[n]
                registered[n] = again = register_document(settings, data, filename, **meta)
                if again.job_id and again.job_id not in {job.id for job, _ in started}:
                    started.extend(start_jobs(settings, [again.job_id]))
        waiting = (registered, started)
    if waiting is not None:
        yield _outcome(waiting[0], finish_jobs(settings, waiting[1], hooks))


def _register_all(settings: Settings, items: Sequence[Item]) -> list[Registration | InputError]:
    registered: list[Registration | InputError] = []
    for data, filename, meta in items:
        try:
            registered.append(register_document(settings, data, filename, **meta))
        except InputError as exc:
            registered.append(exc)
    return registered


def _job_ids(registered: Sequence[Registration | InputError]) -> list[str]:
    return list(dict.fromkeys(r.job_id for r in registered if isinstance(r, Registration) and r.job_id))


def _outcome(registered: Sequence[Registration | InputError], jobs: Iterable[IngestJobRow]) -> Outcome:
    by_id = {job.id: job for job in jobs}
    return [(r, by_id.get(r.job_id) if isinstance(r, Registration) and r.job_id else None) for r in registered]


def resume(settings: Settings, hooks: Sequence[DocumentHook] = DEFAULT_HOOKS) -> list[IngestJobRow]:
    ensure_all_tables(settings)
    return resume_unfinished(settings, hooks)


def talk_track_provider(settings: Settings):
    """Objection category → the playbook's talk tracks, for the next-action engine."""
    from functools import lru_cache

    from jinnang.coaching import talk_tracks_for

    # a playbook changes when it is rebuilt, not between two suggestions of one batch
    return lru_cache(maxsize=16)(lambda category: talk_tracks_for(category, settings))
