"""Ingest stores each document once, keeps OCR confidence, and survives being killed half way."""
import datetime as dt
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.orm import Session

from jinnang.ingest.pipeline import CHUNKS_COLLECTION, process_document, register_document, run_job
from jinnang.ingest.store import ChunkRow, DocumentRow, ingest_engine
from jinnang.ingest.vectors import open_collection

NOTE = "温州市中心医院 脊柱外科\n林主任说科里一直用威高的钉子。我介绍了万向钉。约了下周四再过去。".encode()


def test_same_bytes_twice_store_one_document(settings):
    first = register_document(settings, NOTE, "a.txt")
    run_job(settings, first.job_id)
    second = register_document(settings, NOTE, "copy-of-a.txt")
    assert second.duplicate and second.document_id == first.document_id and second.job_id is None
    with Session(ingest_engine(settings)) as session:
        assert session.query(DocumentRow).count() == 1
        chunk_ids = [c.id for c in session.query(ChunkRow).all()]
    collection = open_collection(settings, CHUNKS_COLLECTION)
    assert sorted(collection.get(include=[])["ids"]) == sorted(chunk_ids)


def test_text_document_is_chunked_and_searchable_in_chroma(settings):
    registration = register_document(settings, NOTE, "note.txt", rep_id="rep-07")
    job = run_job(settings, registration.job_id)
    assert job.status == "done"
    collection = open_collection(settings, CHUNKS_COLLECTION)
    hits = collection.query(query_texts=["医生习惯用别的品牌的螺钉"], n_results=1)
    assert hits["metadatas"][0][0]["document_id"] == registration.document_id


def test_rerunning_a_stage_replaces_instead_of_adding(settings):
    registration = register_document(settings, NOTE, "note.txt")
    run_job(settings, registration.job_id)
    with Session(ingest_engine(settings)) as session:
        session.get(DocumentRow, registration.document_id).status = "queued"
        session.commit()
    process_document(settings, registration.document_id)
    with Session(ingest_engine(settings)) as session:
        doc = session.get(DocumentRow, registration.document_id)
        assert len(doc.pages) == 1 and doc.status == "done"
        assert session.query(ChunkRow).count() == open_collection(settings, CHUNKS_COLLECTION).count()


def test_a_failing_document_is_marked_failed_and_the_error_kept(settings, caplog):
    def broken_hook(*_):
        raise RuntimeError("extractor unavailable")

    registration = register_document(settings, NOTE, "note.txt")
    with caplog.at_level(logging.ERROR, logger="jinnang.ingest.pipeline"):
        job = run_job(settings, registration.job_id, hooks=[broken_hook])
    assert job.status == "failed" and "extractor unavailable" in job.error
    # the job keeps a plain reason; the log keeps the traceback
    [record] = [r for r in caplog.records if r.name == "jinnang.ingest.pipeline"]
    assert registration.job_id in record.getMessage() and record.exc_info is not None
    assert run_job(settings, registration.job_id).status == "done"  # retried later, it finishes


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def test_ingest_killed_half_way_and_rerun_loses_and_duplicates_nothing(tmp_path):
    from jinnang.cli.ingest_cmds import INGEST_BATCH

    # `jinnang ingest` finishes files a batch at a time: one batch and a part, so the kill lands between
    total = INGEST_BATCH + 6
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(total):
        (folder / f"note-{i:02d}.txt").write_text(f"第{i}次拜访：设备科王科长说注册证要齐全。价格偏高，第{i}轮谈判。",
                                                 encoding="utf-8")
    data_dir = tmp_path / "data"
    env = {**os.environ, "JINNANG_DATA_DIR": str(data_dir), "JINNANG_INGEST_STAGE_DELAY": "0.4"}
    command = [sys.executable, "-c", "from jinnang.cli import main; main()", "ingest", str(folder), "--json",
               "--kind", "talk_track"]  # talk tracks skip extraction: this test is about ingest alone
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = data_dir / "jinnang.sqlite3"
    deadline = time.time() + 60
    while time.time() < deadline and _count(db, "select count(*) from documents where status='done'") < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = _count(db, "select count(*) from documents where status='done'")
    assert 2 <= done_before < total, "the kill must land half way for this test to mean anything"

    env.pop("JINNANG_INGEST_STAGE_DELAY")
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    statuses = [json.loads(line)["status"] for line in rerun.stdout.splitlines()]
    assert statuses.count("duplicate") >= done_before
    assert _count(db, "select count(*) from documents") == total
    assert _count(db, "select count(*) from documents where status='done'") == total
    assert _count(db, "select count(*) from ingest_jobs where status in ('queued','running')") == 0
    chunks = _count(db, "select count(*) from chunks")
    from jinnang.core.settings import Settings

    assert open_collection(Settings(data_dir=data_dir), CHUNKS_COLLECTION).count() == chunks == total


def test_two_uploads_of_the_same_bytes_racing_give_one_document(settings):
    import threading

    from sqlalchemy import event

    engine = ingest_engine(settings)
    both_looked = threading.Barrier(2, timeout=5)

    def after_select(conn, cursor, statement, *_):
        # hold each upload after it found no document, so both go on to insert the same sha256
        if statement.lstrip().startswith("SELECT documents.") and "sha256" in statement:
            try:
                both_looked.wait()
            except threading.BrokenBarrierError:
                pass

    event.listen(engine, "after_cursor_execute", after_select)
    results, errors = [], []

    def upload():
        try:
            results.append(register_document(settings, NOTE, "a.txt"))
        except Exception as exc:  # noqa: BLE001 - the race used to raise IntegrityError here
            errors.append(exc)

    try:
        threads = [threading.Thread(target=upload) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        event.remove(engine, "after_cursor_execute", after_select)
    assert errors == []
    assert {r.document_id for r in results} == {results[0].document_id}
    assert {r.job_id for r in results} == {results[0].job_id}
    with Session(engine) as session:
        assert session.query(DocumentRow).count() == 1


def test_a_manifest_line_with_a_bad_date_or_an_unknown_field_is_a_usage_error_naming_it(tmp_path):
    import pytest
    import typer

    from jinnang.cli.ingest_cmds import collect_files

    (tmp_path / "a.txt").write_bytes(NOTE)
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text('{"file": "a.txt", "reference_date": "2026-03-02", "account_id": "acc-1"}\n', encoding="utf-8")
    [(_, meta)] = collect_files([tmp_path])
    assert meta == {"reference_date": dt.date(2026, 3, 2), "account_id": "acc-1"}
    for line, field in [('{"file": "a.txt", "reference_date": "next week"}', "reference_date"),
                        ('{"file": "a.txt", "acount_id": "acc-1"}', "acount_id"),
                        ('"a.txt"', "each line is a JSON object")]:
        manifest.write_text(line + "\n", encoding="utf-8")
        with pytest.raises(typer.BadParameter, match=field):
            collect_files([tmp_path])


def test_a_job_already_running_is_left_to_its_worker_and_runs_once(settings):
    import threading

    in_hook, release = threading.Event(), threading.Event()
    calls = []

    def slow_hook(*_):
        calls.append(1)
        in_hook.set()
        release.wait(10)

    registration = register_document(settings, NOTE, "note.txt")
    first = threading.Thread(target=run_job, args=(settings, registration.job_id, [slow_hook]))
    first.start()
    assert in_hook.wait(60)
    # a second upload of the same bytes got the same job id and schedules it again
    second = run_job(settings, registration.job_id, [slow_hook])
    release.set()
    first.join()
    assert second.status == "running" and len(calls) == 1
    assert run_job(settings, registration.job_id).status == "done"


def test_a_job_a_crash_left_running_is_finished_on_resume(settings):
    from jinnang.ingest.pipeline import resume_unfinished
    from jinnang.ingest.store import IngestJobRow

    registration = register_document(settings, NOTE, "note.txt")
    with Session(ingest_engine(settings)) as session:
        session.get(IngestJobRow, registration.job_id).status = "running"
        session.commit()
    assert run_job(settings, registration.job_id).status == "running"
    assert [job.status for job in resume_unfinished(settings)] == ["done"]


def test_a_job_whose_blob_was_deleted_fails_naming_it_and_the_same_upload_heals_it(settings):
    registration = register_document(settings, NOTE, "note.txt")
    with Session(ingest_engine(settings)) as session:
        blob = Path(session.get(DocumentRow, registration.document_id).blob_path)
    blob.unlink()
    job = run_job(settings, registration.job_id)
    assert job.status == "failed" and blob.name in job.error
    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, registration.document_id)
        assert (document.status, document.error) == ("failed", job.error)
    again = register_document(settings, NOTE, "note.txt")
    assert (again.document_id, again.duplicate) == (registration.document_id, False)
    assert run_job(settings, again.job_id).status == "done" and blob.exists()


def test_resume_leaves_a_job_a_live_process_is_running_and_takes_it_once_that_process_is_gone(settings):
    import socket

    from jinnang.ingest.pipeline import resume_unfinished
    from jinnang.ingest.store import IngestJobRow

    registration = register_document(settings, NOTE, "note.txt")
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # stands in for the API server
    try:
        with Session(ingest_engine(settings)) as session:
            job = session.get(IngestJobRow, registration.job_id)
            job.status, job.worker = "running", f"{socket.gethostname()}:{server.pid}"
            session.commit()
        assert [job.status for job in resume_unfinished(settings)] == ["running"]
    finally:
        server.kill()
        server.wait()
    assert [job.status for job in resume_unfinished(settings)] == ["done"]


def test_a_data_dir_from_before_the_worker_column_is_upgraded_in_place(tmp_path):
    from jinnang.core.db import open_engine

    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("create table ingest_jobs (id varchar(40) primary key, document_id varchar(40), status varchar(16),"
                     " error text, created_at datetime, updated_at datetime)")
        conn.execute("insert into ingest_jobs values ('job-1', 'doc-1', 'done', null, '2026-01-01', '2026-01-01')")
    open_engine(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("select id, status, worker from ingest_jobs").fetchall() == [("job-1", "done", None)]
