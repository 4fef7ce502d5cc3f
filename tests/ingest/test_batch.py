"""Several jobs run together end as each would alone, with one Chroma write for all their chunks."""
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy.orm import Session

from jinnang.ingest.batch import run_jobs
from jinnang.ingest.chunking import document_chunks
from jinnang.ingest.embed import get_embedder
from jinnang.ingest.pipeline import CHUNKS_COLLECTION, register_document, run_job
from jinnang.ingest.store import ChunkRow, DocumentRow, IngestJobRow, ingest_engine
from jinnang.ingest.vectors import open_collection

NOTES = [f"第{i}次拜访市一院设备科，王科长说注册证要齐全。价格偏高，约了下周{i}再去。".encode() for i in range(5)]


def test_a_batch_ends_every_job_and_stores_each_chunk_once_in_one_write(settings, monkeypatch):
    registrations = [register_document(settings, note, f"n{i}.txt") for i, note in enumerate(NOTES)]
    collection = open_collection(settings, CHUNKS_COLLECTION)
    writes: list[int] = []
    real_upsert = collection.upsert
    monkeypatch.setattr(collection, "upsert", lambda **kw: (writes.append(len(kw["ids"])), real_upsert(**kw))[1])
    jobs = run_jobs(settings, [r.job_id for r in registrations])
    assert [j.status for j in jobs] == ["done"] * 5
    assert writes == [5]  # one write for the five notes, not five
    with Session(ingest_engine(settings)) as session:
        chunk_ids = sorted(c.id for c in session.query(ChunkRow).all())
        assert {d.status for d in session.query(DocumentRow).all()} == {"done"}
    assert sorted(collection.get(include=[])["ids"]) == chunk_ids and len(chunk_ids) == 5


def test_a_broken_document_fails_alone_and_the_others_finish(settings):
    registrations = [register_document(settings, note, f"n{i}.txt") for i, note in enumerate(NOTES[:3])]
    with Session(ingest_engine(settings)) as session:
        Path(session.get(DocumentRow, registrations[1].document_id).blob_path).unlink()
    jobs = run_jobs(settings, [r.job_id for r in registrations])
    assert [j.status for j in jobs] == ["done", "failed", "done"]
    assert "missing" in (jobs[1].error or "")
    assert open_collection(settings, CHUNKS_COLLECTION).count() == 2


def test_a_job_already_done_is_not_run_again(settings):
    registration = register_document(settings, NOTES[0], "n.txt")
    run_job(settings, registration.job_id)
    [job] = run_jobs(settings, [registration.job_id])
    assert job.status == "done" and open_collection(settings, CHUNKS_COLLECTION).count() == 1


def test_the_chunks_ingest_embeds_are_served_again_without_embedding(settings):
    registration = register_document(settings, NOTES[3] + "\n另：护士长要培训。".encode(), "n.txt")
    run_jobs(settings, [registration.job_id])
    with Session(ingest_engine(settings)) as session:
        text = session.get(DocumentRow, registration.document_id).text
    embedder = get_embedder()
    hits = embedder.memo.hits
    embedder.embed(document_chunks(text))  # what the playbook embeds for the same document
    assert embedder.memo.hits == hits + 1


def _claimed_by(settings, job_id, worker):
    with Session(ingest_engine(settings)) as session:
        job = session.get(IngestJobRow, job_id)
        job.status, job.worker = "running", worker
        session.commit()


def test_a_job_another_live_process_runs_is_waited_for_and_reported_as_it_ended(settings):
    # a server's worker took up what this shell registered: the batch reports its end, not "running"
    registration = register_document(settings, NOTES[0], "n.txt")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _claimed_by(settings, registration.job_id, f"{socket.gethostname()}:{other.pid}")

        def the_other_process_finishes():
            with Session(ingest_engine(settings)) as session:
                session.get(IngestJobRow, registration.job_id).status = "done"
                session.commit()

        threading.Timer(1.0, the_other_process_finishes).start()
        started = time.monotonic()
        [job] = run_jobs(settings, [registration.job_id])
        assert job.status == "done" and time.monotonic() - started >= 1.0
        assert open_collection(settings, CHUNKS_COLLECTION).count() == 0  # not run a second time here
    finally:
        other.kill()
        other.wait()


def test_a_job_whose_process_died_is_taken_over_and_run(settings):
    registration = register_document(settings, NOTES[1], "n.txt")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _claimed_by(settings, registration.job_id, f"{socket.gethostname()}:{gone.pid}")
    [job] = run_jobs(settings, [registration.job_id])
    assert job.status == "done" and open_collection(settings, CHUNKS_COLLECTION).count() == 1
