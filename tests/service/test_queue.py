"""The task queue on PostgreSQL (Procrastinate on the same database): its schema is applied once, a
second defer is harmless, and `jinnang worker` runs what the web deferred and what it registered but
never deferred (the sweep)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from jinnang.core.settings import Settings
from jinnang.ingest.pipeline import register_document
from jinnang.ingest.store import IngestJobRow, ingest_engine
from jinnang.service.pipeline import ensure_all_tables
from jinnang.service.queue import close_queue_clients, conninfo, defer_ingest, ensure_queue_schema, submit_job
from jinnang.service.worker import worker_command

NOTE = "拜访日期：2026年3月{day}日\n今天拜访人民医院骨科王主任，王主任说价格偏高，下周三再去一次。第{i}份记录。\n"


@pytest.fixture
def queue_settings(pg_settings: Settings) -> Iterator[Settings]:
    yield pg_settings.model_copy(update={"job_runner": "workers"})
    close_queue_clients()


def _env(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "JINNANG_DATA_DIR": str(settings.data_dir), "JINNANG_DATABASE_URL": str(settings.database_url),
           "JINNANG_LOG_LEVEL": "INFO", "OMP_THREAD_LIMIT": "1", "HF_HUB_OFFLINE": "1"}
    env.pop("JINNANG_CONFIG", None)
    return env


def _register(settings: Settings, n: int) -> list[str]:
    ensure_all_tables(settings)
    return [register_document(settings, NOTE.format(day=1 + i % 28, i=i).encode(), f"n{i}.txt",
                              rep_id="rep-07").job_id or "" for i in range(n)]


def _queue_rows(settings: Settings) -> list[tuple[str, str]]:
    engine = create_engine(conninfo(settings).replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(text("SELECT lock, status FROM procrastinate_jobs "
                                                            "WHERE task_name = 'jinnang.ingest_document'"))]
    finally:
        engine.dispose()


def _statuses(settings: Settings) -> dict[str, str]:
    with Session(ingest_engine(settings)) as session:
        return {job.id: job.status if job.status != "failed" else f"failed: {job.error}"
                for job in session.scalars(select(IngestJobRow))}


def _run_worker(settings: Settings) -> str:
    done = subprocess.run(worker_command(exit_when_idle=True), env=_env(settings), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stderr


def test_the_queue_schema_is_applied_once_and_never_on_sqlite(queue_settings, settings):
    assert ensure_queue_schema(queue_settings) is True
    assert ensure_queue_schema(queue_settings) is False
    close_queue_clients()  # forgets what this process applied: the database itself says it is there
    assert ensure_queue_schema(queue_settings) is False
    assert ensure_queue_schema(settings) is False


def test_a_second_defer_of_a_waiting_job_is_harmless(queue_settings):
    (job_id,) = _register(queue_settings, 1)
    assert defer_ingest(queue_settings, job_id) is True
    assert defer_ingest(queue_settings, job_id) is False
    assert submit_job(queue_settings, job_id, lambda *a: pytest.fail("the web must not run it")) == "deferred"
    assert _queue_rows(queue_settings) == [(job_id, "todo")]


@pytest.mark.slow
def test_a_worker_runs_the_deferred_jobs_and_sweeps_up_one_never_deferred(queue_settings):
    job_ids = _register(queue_settings, 3)
    for job_id in job_ids[:2]:
        submit_job(queue_settings, job_id, lambda *a: pytest.fail("the web must not run it"))
    # the third was registered by a web process killed before it deferred: only the sweep knows of it
    log = _run_worker(queue_settings)
    claims = re.findall(r"ingest job (job-[0-9a-f]+) claimed by", log)
    assert sorted(claims) == sorted(job_ids), "each job claimed exactly once"
    assert _statuses(queue_settings) == dict.fromkeys(job_ids, "done")
    assert _queue_rows(queue_settings) == [], "finished queue jobs are deleted: ingest_jobs is the record"


@pytest.mark.slow
def test_sigterm_lets_a_queue_worker_finish_its_job(queue_settings):
    (job_id,) = _register(queue_settings, 1)
    submit_job(queue_settings, job_id, lambda *a: pytest.fail("the web must not run it"))
    worker = subprocess.Popen(worker_command(), env={**_env(queue_settings), "JINNANG_INGEST_STAGE_DELAY": "3"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while _statuses(queue_settings)[job_id] != "running":
            assert time.monotonic() < deadline and worker.poll() is None, "the worker never started the job"
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=120) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert _statuses(queue_settings) == {job_id: "done"}



@pytest.mark.slow
def test_an_upload_on_postgresql_is_deferred_and_run_by_a_worker_process(queue_settings):
    from jinnang.web.app import create_app

    with TestClient(create_app(queue_settings)) as client:
        answer = client.post("/v1/documents", headers={"X-API-Key": "rep7"},
                             files={"file": ("n.txt", NOTE.format(day=3, i=1).encode(), "text/plain")})
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job_id"]
        assert client.get(f"/v1/jobs/{job_id}", headers={"X-API-Key": "rep7"}).json()["status"] == "queued"
    assert _queue_rows(queue_settings) == [(job_id, "todo")]
    _run_worker(queue_settings)
    assert _statuses(queue_settings) == {job_id: "done"}
