"""Several ingest jobs at once: each document read, then all of their chunks in one Chroma write,
then each document's hooks, as `run_job` would have done one by one.

The stages and their commits are those of `process_document`, so a run killed half way resumes
where each document stopped (`resume_unfinished`), and a failure stays the failing document's.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from jinnang.core.metrics import INGEST_STAGE
from jinnang.core.settings import Settings
from jinnang.ingest.indexing import index_chunks
from jinnang.ingest.pipeline import (
    DocumentHook,
    _claim,
    _read_text,
    _store_pages,
    run_claimed,
    with_retries,
    worker_alive,
)
from jinnang.ingest.store import ChunkRow, DocumentRow, IngestJobRow, ingest_engine
from jinnang.ingest.threads import limit_process_threads

log = logging.getLogger(__name__)


# called with each document whose text is stored, before the batch's embedding: the batch CLI
# starts its extraction elsewhere there, so that it runs while this process embeds
TextReady = Callable[[DocumentRow], None]
Claimed = list[tuple[IngestJobRow, bool]]
# how long a batch waits for a job another live process claimed first (a running server's worker
# takes up what a second shell registers) before reporting it as still running
OTHERS_JOB_WAIT = 600.0


def _read_and_index(settings: Settings, document_ids: Sequence[str], on_text: TextReady | None = None) -> None:
    engine = ingest_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        documents = [d for d in (session.get(DocumentRow, i) for i in document_ids) if d is not None]
        for document in documents:
            if document.status not in ("queued", "failed"):
                continue
            try:
                with INGEST_STAGE.labels("text").time():
                    _store_pages(session, document, _read_text(settings, document))
            except Exception:  # left as it was: its own run below meets the failure again and records it
                log.debug("reading document %s failed; its job records why", document.id, exc_info=True)
                session.rollback()
                continue
            if not (document.text or "").strip():
                session.execute(delete(ChunkRow).where(ChunkRow.document_id == document.id))
                document.status, document.error = "no_text", None
            session.commit()
        ready = [d for d in documents if d.status == "text"]
        for document in ready if on_text else ():
            try:
                on_text(document)  # type: ignore[misc]
            except Exception:  # its hook extracts the note itself then
                log.warning("could not start extracting document %s early", document.id, exc_info=True)
        with INGEST_STAGE.labels("index").time():
            index_chunks(settings, session, ready)
        session.commit()


def run_jobs(settings: Settings, job_ids: Sequence[str], hooks: Sequence[DocumentHook] = ()) -> list[IngestJobRow]:
    """`[run_job(settings, j, hooks) for j in job_ids]`, with one Chroma write for all their chunks."""
    return finish_jobs(settings, start_jobs(settings, job_ids), hooks)


def start_jobs(settings: Settings, job_ids: Sequence[str], on_text: TextReady | None = None) -> Claimed:
    """Claim the jobs, read their documents and write all their chunks at once; `finish_jobs` runs
    the hooks. Between the two a crash leaves the jobs running, which the next start resumes."""
    limit_process_threads()
    engine = ingest_engine(settings)
    jobs: Claimed = [
        with_retries(f"claiming ingest job {j}", lambda j=j: _claim(engine, j, False)) for j in job_ids]  # type: ignore[misc]
    claimed = [job for job, ok in jobs if ok]
    try:
        with_retries("reading and indexing a batch",
                     lambda: _read_and_index(settings, [j.document_id for j in claimed], on_text))
    except Exception:  # each document's own run finds where it stopped and records its failure
        log.warning("the batch write failed; each document is retried on its own", exc_info=True)
    return jobs


def finish_jobs(settings: Settings, jobs: Claimed, hooks: Sequence[DocumentHook] = ()) -> list[IngestJobRow]:
    """Each claimed job's remaining stages and hooks, one by one, and its end recorded."""
    engine = ingest_engine(settings)
    return [run_claimed(settings, engine, job, hooks) if ok else _await_other(settings, engine, job, hooks)
            for job, ok in jobs]


def _await_other(settings: Settings, engine: Engine, job: IngestJobRow, hooks: Sequence[DocumentHook],
                 seconds: float = OTHERS_JOB_WAIT) -> IngestJobRow:
    """A job this process did not claim, as it ends: done or failed by the process that has it, or
    run here if that process died. The batch CLI then reports how the job ended, not "running"."""
    deadline = time.monotonic() + seconds
    while True:
        with Session(engine, expire_on_commit=False) as session:
            current = session.get(IngestJobRow, job.id) or job
        if current.status not in ("queued", "running"):
            return current
        if not worker_alive(current.worker):
            taken, ok = _claim(engine, job.id, True)
            if ok:
                return run_claimed(settings, engine, taken, hooks)
        if time.monotonic() >= deadline:
            return current
        time.sleep(0.25)
