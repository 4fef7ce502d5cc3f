"""`kill -9` of the web process while it registers uploads and of a worker during an ingest, on
PostgreSQL + the queue: new processes finish the work; 0 documents lost, 0 duplicated (documents,
jobs, chunks, Chroma ids, extraction records counted).

Issue 12 asks for 1,000 documents. On this 2-core machine one worker ingests about 3–4 short notes
a second (extraction and the playbook included), so the default here is 200 notes (about 2 minutes);
JINNANG_KILL_TEST_DOCS=1000 runs the issue's size (about 6–8 minutes).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jinnang.core.settings import Settings
from jinnang.eval.bench_ingest import generate_notes
from jinnang.ingest.pipeline import CHUNKS_COLLECTION
from jinnang.ingest.store import ChunkRow, DocumentRow, IngestJobRow, ingest_engine
from jinnang.ingest.vectors import open_collection
from jinnang.nlp.store import ExtractionRow, records_engine
from jinnang.service.pipeline import ensure_all_tables
from jinnang.service.queue import close_queue_clients, ensure_queue_schema
from jinnang.service.worker import worker_command

DOCS = int(os.environ.get("JINNANG_KILL_TEST_DOCS", "200"))
KEY = "rep7"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_web(env: dict[str, str], port: int) -> subprocess.Popen:
    code = ("import uvicorn; uvicorn.run('jinnang.web.app:create_app', factory=True, host='127.0.0.1', "
            f"port={port}, log_level='warning')")
    web = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return web
        except httpx.HTTPError:
            pass
        assert web.poll() is None, "the web process exited at start"
        time.sleep(0.3)
    raise AssertionError("the web process did not answer /healthz")


def _counts(settings: Settings) -> dict[str, int]:
    with Session(ingest_engine(settings)) as session:
        rows = session.execute(select(IngestJobRow.status, func.count()).group_by(IngestJobRow.status)).all()
    return {str(status): int(n) for status, n in rows}


def _running_of(settings: Settings, pid: int) -> list[str]:
    with Session(ingest_engine(settings)) as session:
        return list(session.scalars(select(IngestJobRow.id).where(IngestJobRow.status == "running",
                                                                  IngestJobRow.worker.endswith(f":{pid}"))))



class Uploader(threading.Thread):
    """Uploads every note once; a request the dead web never answered is sent again once a web answers."""

    def __init__(self, port: int, notes: list[Path]) -> None:
        super().__init__(daemon=True)
        self.port, self.notes = port, notes
        self.answered: dict[str, dict] = {}
        self.failures = 0

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            for note in self.notes:
                while True:
                    try:
                        answer = client.post(f"http://127.0.0.1:{self.port}/v1/documents", headers={"X-API-Key": KEY},
                                             files={"file": (note.name, note.read_bytes(), "text/plain")})
                    except httpx.HTTPError:
                        self.failures += 1
                        time.sleep(0.5)
                        continue
                    assert answer.status_code == 202, answer.text
                    self.answered[note.name] = answer.json()
                    break


@pytest.mark.slow
def test_kill_9_of_the_web_and_of_a_worker_loses_and_duplicates_nothing(pg_settings, tmp_path):
    settings = pg_settings
    notes = generate_notes(tmp_path / "notes", DOCS)
    ensure_all_tables(settings)  # the schema once, before several processes start on it
    ensure_queue_schema(settings)
    port = _free_port()
    env = {**os.environ, "JINNANG_DATA_DIR": str(settings.data_dir), "JINNANG_DATABASE_URL": str(settings.database_url),
           "JINNANG_API_KEYS": f"{KEY}:rep:rep-07", "JINNANG_JOB_RUNNER": "workers", "JINNANG_LOG_LEVEL": "INFO",
           "JINNANG_WORKER_STALLED_SECONDS": "6", "JINNANG_INGEST_STAGE_DELAY": "0.05",
           "OMP_THREAD_LIMIT": "1", "HF_HUB_OFFLINE": "1"}
    env.pop("JINNANG_CONFIG", None)
    processes: list[subprocess.Popen] = []
    try:
        web = _start_web(env, port)
        processes.append(web)
        worker_a = subprocess.Popen(worker_command(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(worker_a)
        uploader = Uploader(port, notes)
        uploader.start()
        while len(uploader.answered) < DOCS // 3:  # kill -9 the web while uploads are coming in
            time.sleep(0.05)
        web.send_signal(signal.SIGKILL)
        web.wait()
        processes.append(_start_web(env, port))
        web_pids = {web.pid, processes[-1].pid}

        deadline = time.monotonic() + 300  # kill -9 worker A in the middle of a job, uploads still coming
        while not (_counts(settings).get("done", 0) >= DOCS // 6 and _running_of(settings, worker_a.pid)):
            assert time.monotonic() < deadline, f"worker A never got going: {_counts(settings)}"
            time.sleep(0.02)
        worker_a.send_signal(signal.SIGKILL)
        worker_a.wait()
        left_running = _running_of(settings, worker_a.pid)
        assert left_running, "the kill must land during a job for this test to mean anything"

        uploader.join(timeout=300)
        assert not uploader.is_alive() and len(uploader.answered) == DOCS
        assert uploader.failures >= 1, "the kill must have met an upload in flight or the next one"
        assert _counts(settings).get("done", 0) < DOCS

        more = [subprocess.Popen(worker_command(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for _ in range(2)]
        processes += more
        deadline = time.monotonic() + 600
        while _counts(settings).get("done", 0) < DOCS:
            assert time.monotonic() < deadline, f"the new workers did not finish: {_counts(settings)}"
            assert all(p.poll() is None for p in more), "a worker died"
            time.sleep(0.5)
        for worker in more:
            worker.send_signal(signal.SIGTERM)
        assert [w.wait(timeout=120) for w in more] == [0, 0]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        close_queue_clients()

    assert _counts(settings) == {"done": DOCS}, "one job a document, every one done, none failed"
    with Session(ingest_engine(settings)) as session:
        assert session.scalar(select(func.count()).select_from(DocumentRow)) == DOCS
        assert session.scalar(select(func.count()).select_from(DocumentRow).where(DocumentRow.status == "done")) == DOCS
        chunks = list(session.scalars(select(ChunkRow.id)))
        reclaimed = {j.id: j.worker for j in session.scalars(select(IngestJobRow).where(IngestJobRow.id.in_(left_running)))}
        workers_of_jobs = list(session.scalars(select(IngestJobRow.worker)))
    assert len(chunks) >= DOCS and len(set(chunks)) == len(chunks)
    assert not [w for w in workers_of_jobs if int(str(w).rpartition(":")[2]) in web_pids], \
        "the web process ran no job: it only registers and defers"
    assert all(not worker.endswith(f":{worker_a.pid}") for worker in reclaimed.values()), \
        "the killed worker's job was finished by another"
    ids = open_collection(settings, CHUNKS_COLLECTION).get(include=[])["ids"]
    assert len(ids) == len(set(ids)) and set(ids) == set(chunks), "Chroma holds each chunk once, and only those"
    with Session(records_engine(settings)) as session:
        records = list(session.scalars(select(ExtractionRow.document_id)))
    assert len(records) == DOCS and len(set(records)) == DOCS, "one extraction record a document"
    assert len({a["document_id"] for a in uploader.answered.values()}) == DOCS
