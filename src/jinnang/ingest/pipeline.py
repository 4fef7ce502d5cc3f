"""Ingest one document: register bytes → text (OCR where needed) → chunks → Chroma.

Every stage is idempotent and keyed by the content hash, so a job killed half way
and run again finishes with nothing lost and nothing stored twice:
- the blob is written to a temporary name and renamed into place;
- the document id is derived from the SHA-256 of the bytes;
- pages and chunks of a document are replaced in one transaction;
- Chroma ids are "<document id>:<seq>" and written with upsert.

A job always ends: queued → running → done | failed(reason). A transient failure (SQLite busy
or locked, the connection pool exhausted, Chroma still starting) is retried within the job with
back-off; if it persists the job fails with `transient` set and `resume_unfinished` runs it again
at the next start. Bad input fails for good. The job keeps a plain reason, the log the traceback.
A document with no text after OCR (a blank scan) is kept with status "no_text" and its job is
"done": nothing is indexed and the hooks (extraction, playbook) are not run for it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import random
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Engine, delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from jinnang.core.errors import InputError, NotFound, TooLarge
from jinnang.core.metrics import INGEST_STAGE
from jinnang.core.records import DOCUMENT_KINDS, OcrLine, OcrPage
from jinnang.core.settings import Settings
from jinnang.ingest.chat import ChatExport, parse_chat
from jinnang.ingest.decode import decode_text
from jinnang.ingest.indexing import CHUNKS_COLLECTION as CHUNKS_COLLECTION  # where other modules look for it
from jinnang.ingest.indexing import index_chunks
from jinnang.ingest.office import docx_text, xlsx_text
from jinnang.ingest.redact import redact, redact_lines, redact_values
from jinnang.ingest.sniff import TYPED_KINDS, Sniffed, check_image_size, check_pdf, safe_filename, sniff
from jinnang.ingest.store import (
    ChunkRow,
    DocumentRow,
    IngestJobRow,
    OcrLineRow,
    PageRow,
    ingest_engine,
    unfinished_jobs,
    utcnow,
)
from jinnang.ingest.threads import limit_process_threads

log = logging.getLogger(__name__)

# A hook runs after a document's text is stored and indexed (extraction, accounts, playbook).
DocumentHook = Callable[[Settings, Session, DocumentRow], None]
# a document in one of these needs no job when its bytes arrive again
FINISHED = ("done", "no_text")
# pauses between the attempts of a job that meets a transient failure; then it fails as transient
RETRY_DELAYS_SECONDS: tuple[float, ...] = (0.5, 2.0, 8.0)
# what Chroma raises while its embedded client is still starting in another thread
_CHROMA_STARTING = ("Could not connect to tenant", "has no attribute 'bindings'", "database is locked")
# what SQLite or PostgreSQL say of a failure that passes by itself (a lock, a deadlock victim, a restart)
_DATABASE_BUSY = ("locked", "busy", "deadlock detected", "could not serialize", "could not obtain lock",
                  "server closed the connection", "starting up", "too many clients", "terminating connection")
T = TypeVar("T")


@dataclass(frozen=True)
class Registration:
    document_id: str
    job_id: str | None
    duplicate: bool


@dataclass(frozen=True)
class TypedText:
    """The text of a document that needs no OCR, and how it was read ("text", "chat", "docx", "xlsx")."""

    text: str
    reader: str
    chat: ChatExport | None = None


def typed_text(data: bytes, sniffed: Sniffed, rep_id: str | None = None) -> TypedText:
    """The text of a text, Word or Excel file, identifiers masked; a chat export becomes one line a
    message with its speaker. Raises InputError(field="file") for a file that cannot be read."""
    if sniffed.kind == "docx":
        return TypedText(redact(docx_text(data)), "docx")
    if sniffed.kind == "xlsx":
        return TypedText(redact(xlsx_text(data)), "xlsx")
    text = data.decode(sniffed.encoding) if sniffed.encoding else decode_text(data).text
    chat = parse_chat(text, rep_id)  # parsed before masking: a speaker line must still read as one
    if chat is None:
        return TypedText(redact(text), "text")
    chat = ChatExport(chat.shape, [replace(m, speaker=redact(m.speaker), text=redact(m.text)) for m in chat.messages])
    return TypedText(chat.text(), "chat", chat)


def _stage_pause() -> None:
    # Fault-injection knob for the crash-safety test and the benchmark; unset in normal use.
    delay = float(os.environ.get("JINNANG_INGEST_STAGE_DELAY", "0") or 0)
    if delay > 0:
        time.sleep(delay)


def _write_blob(settings: Settings, sha: str, suffix: str, data: bytes) -> Path:
    blobs = settings.data_dir / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    path = blobs / f"{sha}{suffix}"
    if not path.exists():
        tmp = blobs / f".{sha}.{uuid.uuid4().hex}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path


def register_document(settings: Settings, data: bytes, filename: str | None, *, kind: str = "visit_note",
                      account_id: str | None = None, rep_id: str | None = None, hospital: str | None = None,
                      reference_date: dt.date | None = None, meta: dict | None = None) -> Registration:
    """Store the bytes and queue a job; the same bytes twice give the same document and no new job."""
    if len(data) > settings.max_upload_bytes:
        raise TooLarge("file", f"the file is {len(data)} bytes; the limit is {settings.max_upload_bytes}")
    if kind not in DOCUMENT_KINDS:
        raise InputError("kind", f"kind must be one of {', '.join(DOCUMENT_KINDS)}")
    sniffed = sniff(data)
    if sniffed.kind == "image":
        check_image_size(data, settings.max_image_pixels)
    elif sniffed.kind == "pdf":
        check_pdf(data)
    elif sniffed.kind in TYPED_KINDS:  # read now, so a broken file is refused before anything is stored
        typed = typed_text(data, sniffed, rep_id)
        if typed.chat is not None:  # relative dates in a chat ("下周三") count from its last day
            reference_date = reference_date or typed.chat.last_day()
    sha = hashlib.sha256(data).hexdigest()
    document_id = f"doc-{sha[:16]}"
    suffix = {"text": ".txt", "pdf": ".pdf", "docx": ".docx", "xlsx": ".xlsx"}.get(
        sniffed.kind, "." + sniffed.media_type.split("/")[-1])
    blob = _write_blob(settings, sha, suffix, data)
    engine = ingest_engine(settings)
    args = (engine, sha, document_id, blob, sniffed, len(data), filename, kind, account_id, rep_id, hospital,
            reference_date, meta)
    try:
        return _register_row(*args)
    except IntegrityError:  # two uploads of the same bytes raced on the unique sha256: the winner's row is used
        return _register_row(*args)


def _register_row(engine: Engine, sha: str, document_id: str, blob: Path, sniffed: Sniffed, size: int,
                  filename: str | None, kind: str, account_id: str | None, rep_id: str | None,
                  hospital: str | None, reference_date: dt.date | None, meta: dict | None) -> Registration:
    with Session(engine) as session, session.begin():
        document = session.scalar(select(DocumentRow).where(DocumentRow.sha256 == sha))
        if document is None:
            document = DocumentRow(id=document_id, sha256=sha, filename=redact(safe_filename(filename)),
                                   media_type=sniffed.media_type, source_kind=sniffed.kind,
                                   encoding=sniffed.encoding, kind=kind,
                                   size_bytes=size, blob_path=str(blob), account_id=account_id, rep_id=rep_id,
                                   hospital=hospital, reference_date=reference_date,
                                   meta=redact_values(meta) if meta else None,
                                   status="queued")
            session.add(document)
        elif document.status in FINISHED:
            return Registration(document.id, None, duplicate=True)
        job = session.scalar(select(IngestJobRow).where(IngestJobRow.document_id == document.id,
                                                        IngestJobRow.status.in_(("queued", "running"))))
        if job is None:
            job = IngestJobRow(id=f"job-{uuid.uuid4().hex[:12]}", document_id=document.id, status="queued")
            session.add(job)
        return Registration(document.id, job.id, duplicate=False)


def _read_text(settings: Settings, document: DocumentRow) -> list[OcrPage]:
    path = Path(document.blob_path)
    if document.source_kind in TYPED_KINDS:
        # a document stored before encodings were detected was UTF-8 (with or without a BOM)
        encoding = document.encoding or ("utf-8-sig" if document.source_kind == "text" else None)
        sniffed = Sniffed(document.source_kind, document.media_type, encoding)
        typed = typed_text(path.read_bytes(), sniffed, document.rep_id)
        if typed.chat is not None:  # the messages as parsed (speaker, time, from_staff), for a page to show
            document.meta = {**(document.meta or {}), "chat": typed.chat.as_meta()}
        lines = [OcrLine(text=t, confidence=1.0) for t in typed.text.splitlines()]
        return [OcrPage(page=1, engine=typed.reader, lines=lines)]
    from jinnang.ingest.ocr import ocr_file  # loads OCR engines only when a scan arrives

    pages = ocr_file(path, engine=settings.ocr_engine, max_pixels=settings.max_image_pixels)
    for page in pages:  # a page's lines are masked together: a form's label and its value are often two lines
        masked = redact_lines([line.text for line in page.lines])
        page.lines = [line.model_copy(update={"text": text}) for line, text in zip(page.lines, masked)]
    return pages


def _store_pages(session: Session, document: DocumentRow, pages: list[OcrPage]) -> None:
    session.execute(delete(PageRow).where(PageRow.document_id == document.id))
    confidences: list[float] = []
    for page in pages:
        row = PageRow(document_id=document.id, page_no=page.page, engine=page.engine, seconds=page.seconds,
                      text=page.text)
        for number, line in enumerate(page.lines, start=1):
            confidences.append(line.confidence)
            row.lines.append(OcrLineRow(line_no=number, text=line.text, confidence=line.confidence,
                                        box=",".join(map(str, line.box)) if line.box else None))
        session.add(row)
    # the pages' texts are masked already (typed_text, _read_text); the document's text is made of them
    document.text = "\n".join(p.text for p in pages)
    document.min_confidence = min(confidences) if confidences else None
    document.status = "text"


def process_document(settings: Settings, document_id: str, hooks: Sequence[DocumentHook] = ()) -> DocumentRow:
    """Run the remaining stages of one document; each stage commits on its own."""
    engine = ingest_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        document = session.get(DocumentRow, document_id)
        if document is None:
            raise NotFound("document_id", f"no document {document_id}")
        if document.status in ("queued", "failed"):
            with INGEST_STAGE.labels("text").time():
                _store_pages(session, document, _read_text(settings, document))
            if not (document.text or "").strip():  # a blank scan: kept for review, nothing to index or extract
                session.execute(delete(ChunkRow).where(ChunkRow.document_id == document.id))
                document.status, document.error = "no_text", None
            session.commit()
            _stage_pause()
        if document.status == "text":
            with INGEST_STAGE.labels("index").time():
                index_chunks(settings, session, [document])
            session.commit()
            _stage_pause()
        if document.status == "indexed":
            with INGEST_STAGE.labels("hooks").time():
                for hook in hooks:
                    hook(settings, session, document)
            document.status, document.error = "done", None
            session.commit()
        return document


def is_transient(exc: BaseException) -> bool:
    """A failure that may pass by itself: the database busy or locked, the connection pool exhausted, a
    connection refused or timed out, Chroma's embedded client still starting. Never bad input."""
    seen: BaseException | None = exc
    for _ in range(8):  # the exception and what caused it
        if seen is None or isinstance(seen, InputError):
            return False
        message = str(seen)
        if isinstance(seen, (PoolTimeout, ConnectionError, TimeoutError)):
            return True
        if isinstance(seen, (sqlite3.OperationalError, OperationalError)) and any(m in message for m in _DATABASE_BUSY):
            return True
        if any(mark in message for mark in _CHROMA_STARTING) or (isinstance(seen, KeyError) and "chroma" in message):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def plain_reason(exc: BaseException) -> str:
    """What the user reads on a failed job (the traceback is in the log)."""
    if is_transient(exc):
        return f"temporary failure (database or search index busy or starting); retried at the next start: {exc}"
    if isinstance(exc, InputError):
        return exc.message
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"the stored file {Path(exc.filename).name} is missing; upload the document again"
    return f"internal error ({type(exc).__name__}: {exc}); the server log has the details"


def with_retries(what: str, action: Callable[[], T]) -> T:
    """`action()`, run again after a pause when it fails transiently, at most len(RETRY_DELAYS_SECONDS) times."""
    for delay in RETRY_DELAYS_SECONDS:
        try:
            return action()
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("%s: transient failure, retrying in %.1f s", what, delay, exc_info=True)
            time.sleep(delay * random.uniform(0.8, 1.2))  # jitter: jobs that collided do not collide again
    return action()


def _claim(engine: Engine, job_id: str, reclaim_running: bool) -> tuple[IngestJobRow, bool]:
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(IngestJobRow, job_id)
        if job is None:
            raise NotFound("job_id", f"no job {job_id}")
        claimable = ("queued", "failed", "running") if reclaim_running else ("queued", "failed")
        if reclaim_running and job.status == "running" and worker_alive(job.worker):
            return job, False  # the API server (or another ingest) is running it right now
        claim = (update(IngestJobRow).where(IngestJobRow.id == job_id, IngestJobRow.status.in_(claimable))
                 .values(status="running", updated_at=utcnow(), worker=THIS_WORKER))
        claimed = cast("CursorResult[Any]", session.execute(claim)).rowcount  # an UPDATE's result is a cursor
        session.commit()
        session.refresh(job)
        return job, bool(claimed)


def _finish(engine: Engine, job_id: str, error: str | None, transient: bool | None) -> IngestJobRow:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        job = session.get(IngestJobRow, job_id)
        if job is None:
            raise NotFound("job_id", f"no job {job_id}")
        job.status, job.error, job.transient = ("failed" if error else "done"), error, transient
        document = session.get(DocumentRow, job.document_id)
        if error and document is not None:
            document.error = error
            if document.status == "queued":  # later stages keep their status so a retry resumes there
                document.status = "failed"
        return job


def run_job(settings: Settings, job_id: str, hooks: Sequence[DocumentHook] = (), *,
            reclaim_running: bool = False) -> IngestJobRow:
    """Run one queued (or failed) job to the end; failures are stored on the job, not raised.

    A job another worker is running is left to it (a second upload of the same bytes gets the same
    job); `reclaim_running` takes over a job a crash left "running".
    """
    limit_process_threads()  # before any model loads: BLAS pools are sized on first use
    engine = ingest_engine(settings)
    job, claimed = with_retries(f"claiming ingest job {job_id}", lambda: _claim(engine, job_id, reclaim_running))
    if not claimed:
        return job
    return run_claimed(settings, engine, job, hooks)


def run_claimed(settings: Settings, engine: Engine, job: IngestJobRow, hooks: Sequence[DocumentHook]) -> IngestJobRow:
    """The stages of a job this process claimed, then its end recorded."""
    job_id = job.id
    error, transient = None, None
    try:  # the stages are idempotent, so an attempt resumes where the last one stopped
        with_retries(f"ingest job {job_id}", lambda: process_document(settings, job.document_id, hooks))
    except Exception as exc:  # a broken scan must not stop the other documents
        log.exception("ingest job %s (document %s) failed", job_id, job.document_id)
        error, transient = plain_reason(exc), is_transient(exc)
    try:
        return with_retries(f"recording the end of ingest job {job_id}", lambda: _finish(engine, job_id, error, transient))
    except Exception:  # left "running" under this worker: the next start reclaims it
        log.exception("could not record the end of ingest job %s; the next start resumes it", job_id)
        return job


THIS_WORKER = f"{socket.gethostname()}:{os.getpid()}"


def worker_alive(worker: str | None) -> bool:
    """Whether the process that claimed a job still runs. Only a process on this host can be
    checked; a job claimed elsewhere, or before workers were recorded, counts as abandoned."""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resume_unfinished(settings: Settings, hooks: Sequence[DocumentHook] = ()) -> list[IngestJobRow]:
    """Finish every job a crash left queued or running, and retry those that failed on a transient
    error; a job a live process is running is left to it."""
    with Session(ingest_engine(settings)) as session:
        job_ids = [job.id for job in unfinished_jobs(session)]
    return [run_job(settings, job_id, hooks, reclaim_running=True) for job_id in job_ids]
