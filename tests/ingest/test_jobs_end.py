"""Every ingest job ends: done, no text found, or failed with a plain reason; transient failures are retried."""
import io
import logging
import sqlite3

import pytest
from PIL import Image
from sqlalchemy import create_engine
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from jinnang.core.errors import InputError
from jinnang.ingest import pipeline
from jinnang.ingest.pipeline import is_transient, register_document, resume_unfinished, run_job
from jinnang.ingest.store import ChunkRow, DocumentRow, IngestJobRow, ingest_engine

NOTE = "宁波市第一医院 骨科\n陈主任说下个月上会讨论椎弓根钉的采购。约了周五再去。".encode()


def _locked_for(times: int, calls: list[int]):
    """A hook that meets a busy database its first `times` calls, as a job does under an ingest backlog."""
    def hook(*_):
        calls.append(1)
        if len(calls) <= times:
            raise sqlite3.OperationalError("database is locked")
    return hook


def _stored(settings, registration) -> tuple[IngestJobRow, DocumentRow]:
    with Session(ingest_engine(settings)) as session:
        return session.get(IngestJobRow, registration.job_id), session.get(DocumentRow, registration.document_id)


def test_a_transient_failure_is_retried_within_the_job_and_the_job_ends_done(settings):
    calls: list[int] = []
    registration = register_document(settings, NOTE, "note.txt")
    job = run_job(settings, registration.job_id, [_locked_for(2, calls)])
    assert (job.status, job.error, job.transient) == ("done", None, None)
    assert len(calls) == 3
    stored_job, document = _stored(settings, registration)
    assert stored_job.status == "done" and document.status == "done" and document.error is None


def test_a_permanent_failure_ends_failed_with_a_plain_reason_and_is_not_retried_on_resume(settings, caplog):
    calls: list[int] = []

    def refuses(*_):
        calls.append(1)
        raise InputError("text", "the note names no hospital")

    registration = register_document(settings, NOTE, "note.txt")
    with caplog.at_level(logging.ERROR, logger="jinnang.ingest.pipeline"):
        job = run_job(settings, registration.job_id, [refuses])
    assert (job.status, job.error, job.transient) == ("failed", "the note names no hospital", False)
    assert len(calls) == 1  # bad input is not retried
    [record] = [r for r in caplog.records if r.name == "jinnang.ingest.pipeline"]
    assert registration.job_id in record.getMessage() and record.exc_info is not None
    assert resume_unfinished(settings, [refuses]) == [] and len(calls) == 1
    assert _stored(settings, registration)[0].status == "failed"


def test_a_job_that_stays_transiently_failed_is_marked_so_and_retried_on_resume(settings, monkeypatch, caplog):
    monkeypatch.setattr(pipeline, "RETRY_DELAYS_SECONDS", (0.01, 0.01))
    calls: list[int] = []
    registration = register_document(settings, NOTE, "note.txt")
    with caplog.at_level(logging.WARNING, logger="jinnang.ingest.pipeline"):
        job = run_job(settings, registration.job_id, [_locked_for(10, calls)])
    assert (job.status, job.transient) == ("failed", True) and len(calls) == 3
    assert "retried at the next start" in job.error and "database is locked" in job.error
    # each retry and the final failure keep their traceback in the log
    records = [r for r in caplog.records if r.name == "jinnang.ingest.pipeline"]
    assert len(records) == 3 and all(r.exc_info is not None for r in records)
    # the next start: the database is free again
    [resumed] = resume_unfinished(settings, [_locked_for(0, [])])
    assert (resumed.id, resumed.status, resumed.error, resumed.transient) == (registration.job_id, "done", None, None)
    assert _stored(settings, registration)[1].status == "done"
    assert resume_unfinished(settings) == []


def test_busy_database_pool_exhaustion_and_chroma_start_up_count_as_transient_bad_input_does_not():
    engine = create_engine("sqlite://", poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=0.05)
    with engine.connect(), pytest.raises(PoolTimeout) as exhausted:
        engine.connect()
    assert is_transient(exhausted.value)
    assert is_transient(sqlite3.OperationalError("database is locked"))
    assert is_transient(ValueError("Could not connect to tenant default_tenant. Are you sure it exists?"))
    assert is_transient(AttributeError("'RustBindingsAPI' object has no attribute 'bindings'"))
    assert not is_transient(sqlite3.OperationalError("no such table: documents"))
    assert not is_transient(InputError("file", "cannot read image x.png"))
    assert not is_transient(RuntimeError("extractor unavailable"))


def test_a_blank_scan_is_kept_as_no_text_and_its_job_is_done_without_running_the_hooks(settings):
    buffer = io.BytesIO()
    Image.new("L", (1240, 1754), 255).save(buffer, format="PNG")  # an A4 page scanned at 150 dpi, nothing on it
    calls: list[int] = []
    registration = register_document(settings, buffer.getvalue(), "blank-scan.png")
    job = run_job(settings, registration.job_id, [_locked_for(0, calls)])
    assert (job.status, job.error) == ("done", None)
    assert calls == []  # extraction and the playbook never see an empty note
    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, registration.document_id)
        assert (document.status, document.error, document.text) == ("no_text", None, "")
        assert len(document.pages) == 1 and session.query(ChunkRow).count() == 0
    again = register_document(settings, buffer.getvalue(), "blank-scan-again.png")
    assert again.duplicate and again.job_id is None
