"""`jinnang worker` on the embedded SQLite: it claims jobs atomically, runs what the web only
registered, shares the work with a second worker (none twice) and stops gracefully."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jinnang.core.settings import Settings
from jinnang.ingest.pipeline import register_document
from jinnang.ingest.store import ChunkRow, DocumentRow, IngestJobRow, ingest_engine
from jinnang.service.pipeline import ensure_all_tables
from jinnang.service.queue import THIS_WORKER, claim_job, due_jobs, submit_job
from jinnang.service.worker import WorkerPool, worker_command
from tests_support_servers import on_chroma_server

NOTE = "拜访日期：2026年3月{day}日\n今天拜访人民医院骨科王主任，王主任说价格偏高，下周三再去一次。第{i}份记录。\n"


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {**os.environ, "JINNANG_DATA_DIR": str(settings.data_dir), "JINNANG_LOG_LEVEL": "INFO",
           "OMP_THREAD_LIMIT": "1", "HF_HUB_OFFLINE": "1", **extra}
    env.pop("JINNANG_CONFIG", None)
    env.pop("JINNANG_DATABASE_URL", None)
    return env


def _register(settings: Settings, n: int) -> list[str]:
    ensure_all_tables(settings)
    return [register_document(settings, NOTE.format(day=1 + i % 28, i=i).encode(), f"n{i}.txt",
                              rep_id="rep-07").job_id or "" for i in range(n)]


def _statuses(settings: Settings) -> dict[str, str]:
    with Session(ingest_engine(settings)) as session:
        return {job.id: job.status if job.status != "failed" else f"failed: {job.error}"
                for job in session.scalars(select(IngestJobRow))}


def _claims(log_text: str) -> list[str]:
    return re.findall(r"ingest job (job-[0-9a-f]+) claimed by", log_text)


def test_a_job_is_claimed_once_and_a_dead_workers_job_taken_over_once(settings):
    (job_id,) = _register(settings, 1)
    engine = ingest_engine(settings)
    first = claim_job(engine, job_id)
    assert first is not None and first.status == "running" and first.worker == THIS_WORKER
    assert claim_job(engine, job_id) is None, "this process is alive: its running job is not taken again"
    with Session(engine) as session, session.begin():  # as if a killed process had claimed it
        session.execute(update(IngestJobRow).where(IngestJobRow.id == job_id).values(worker="nowhere:1"))
    assert due_jobs(engine) == [job_id]
    again = claim_job(engine, job_id)
    assert again is not None and again.worker == THIS_WORKER
    assert claim_job(engine, job_id) is None



@pytest.mark.slow
def test_an_upload_with_workers_is_run_by_a_worker_process_not_the_web(settings, tmp_path):
    from jinnang.web.app import create_app

    web_settings = settings.model_copy(update={"job_runner": "workers"})
    with TestClient(create_app(web_settings)) as client:  # TestClient runs background tasks before returning
        answer = client.post("/v1/documents", headers={"X-API-Key": "rep7"},
                             files={"file": ("n.txt", NOTE.format(day=3, i=1).encode(), "text/plain")})
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job_id"]
        assert client.get(f"/v1/jobs/{job_id}", headers={"X-API-Key": "rep7"}).json()["status"] == "queued"
    done = subprocess.run([*worker_command(exit_when_idle=True)], env=_env(settings), capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _claims(done.stderr) == [job_id]
    assert _statuses(settings) == {job_id: "done"}


def test_submit_job_in_process_hands_the_job_to_the_web_and_workers_leaves_it_queued(settings):
    (job_id,) = _register(settings, 1)
    later: list[tuple] = []
    assert submit_job(settings, job_id, lambda *a: later.append(a)) == "in-process"
    assert later and later[0][1:3] == (settings, job_id)
    workers = settings.model_copy(update={"job_runner": "workers"})
    assert submit_job(workers, job_id, lambda *a: later.append(a)) == "queued"
    assert len(later) == 1 and _statuses(settings) == {job_id: "queued"}


@pytest.mark.slow
def test_two_worker_processes_share_the_jobs_and_run_none_twice(settings):
    # the vectors on a Chroma server, as `jinnang serve --workers 2` runs them: Chroma's embedded
    # store belongs to one process (docs/production.md)
    settings = on_chroma_server(settings)
    job_ids = _register(settings, 16)
    env = _env(settings, JINNANG_INGEST_STAGE_DELAY="0.4",  # each job ≥ 0.8 s: both workers get some
               JINNANG_CHROMA_HOST=str(settings.chroma_host), JINNANG_CHROMA_PORT=str(settings.chroma_port),
               JINNANG_CHROMA_DATABASE=settings.chroma_database)
    workers = [subprocess.Popen(worker_command(exit_when_idle=True), env=env, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    logs = [w.communicate(timeout=300)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], logs[0][-2000:] + logs[1][-2000:]
    claims = [_claims(text) for text in logs]
    assert all(claims), f"each worker took some: {[len(c) for c in claims]}"
    assert sorted(claims[0] + claims[1]) == sorted(job_ids), "every job claimed exactly once"
    assert set(_statuses(settings).values()) == {"done"}, "\n".join(logs)[-6000:]
    engine = ingest_engine(settings)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(DocumentRow)) == 16
        chunks = set(session.scalars(select(ChunkRow.id)))
    from jinnang.ingest.pipeline import CHUNKS_COLLECTION
    from jinnang.ingest.vectors import open_collection

    assert set(open_collection(settings, CHUNKS_COLLECTION).get(include=[])["ids"]) == chunks


@pytest.mark.slow
def test_stopping_the_pool_lets_the_running_job_finish(settings):
    (job_id,) = _register(settings, 1)
    pool = WorkerPool(1, _env(settings, JINNANG_INGEST_STAGE_DELAY="3")).start()
    try:
        deadline = time.monotonic() + 120
        while _statuses(settings)[job_id] != "running":
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.2)
    finally:
        codes = pool.stop(timeout=120)
    assert codes == [0]
    assert _statuses(settings) == {job_id: "done"}, "SIGTERM waited for the job instead of leaving it running"


@pytest.mark.slow
def test_a_servers_workers_stop_when_the_server_is_killed(settings):
    code = ("import sys, time; from jinnang.service.worker import start_workers; "
            "pool = start_workers(1); print(pool.pids[0], flush=True); time.sleep(600)")
    server = subprocess.Popen([sys.executable, "-c", code], env=_env(settings), stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    child = int(server.stdout.readline())
    time.sleep(3)
    server.send_signal(signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 120
    while _alive(child):
        assert time.monotonic() < deadline, "the orphaned worker kept running"
        time.sleep(0.5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_worker_command_runs_this_python(tmp_path: Path):
    command = worker_command(concurrency=2, exit_when_idle=True)
    assert command[0] == sys.executable and "concurrency=2" in command[-1]


SCHEDULE = ("tick_seconds: 0.2\nschedule:\n  stall_check: {every: 1s}\n  deliver: {every: 1s}\n"
            "  playbook_refresh: {at: '02:30', enabled: false}\n  monthly_phi: {day: 1, at: '06:00', enabled: false}\n")


@pytest.mark.slow
def test_long_running_workers_run_the_scheduled_jobs_and_a_batch_worker_does_not(settings, tmp_path):
    from jinnang.service.scheduler import recent_runs

    ensure_all_tables(settings)
    (tmp_path / "alerts.yaml").write_text(SCHEDULE, encoding="utf-8")
    env = _env(settings, JINNANG_ALERTS_FILE=str(tmp_path / "alerts.yaml"))
    batch = subprocess.run(worker_command(exit_when_idle=True), env=env, capture_output=True, text=True, timeout=180)
    assert batch.returncode == 0 and "scheduler started" not in batch.stderr
    assert recent_runs(settings) == [], "a batch worker (--exit-when-idle) leaves the schedule alone"

    workers = [subprocess.Popen(worker_command(), env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    logs: list[list[str]] = [[], []]
    readers = [threading.Thread(target=lambda w=w, out=out: out.extend(w.stderr), daemon=True)
               for w, out in zip(workers, logs)]
    for reader in readers:
        reader.start()
    try:
        deadline = time.monotonic() + 120
        while ({r.name for r in recent_runs(settings, limit=50) if r.ok} != {"stall_check", "deliver"}
               or not all(any("claimed" in line or "polling" in line for line in out) for out in logs)):
            assert time.monotonic() < deadline, "the workers never ran the schedule"
            time.sleep(0.3)
        time.sleep(1.0)  # past start-up: SIGTERM now asks for a graceful stop
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [w.wait(timeout=120) for w in workers]
        for reader in readers:
            reader.join(timeout=10)
    texts = ["".join(out) for out in logs]
    assert codes == [0, 0], texts[0][-2000:] + texts[1][-2000:]
    assert all("scheduler started" in text and "scheduler stopped" in text for text in texts)


def test_the_web_leaves_the_schedule_to_the_workers_when_they_run_the_uploads(settings):
    from jinnang.web.app import create_app

    def schedulers() -> int:
        return sum(t.name == "jinnang-scheduler" and t.is_alive() for t in threading.enumerate())

    before = schedulers()
    with TestClient(create_app(settings.model_copy(update={"job_runner": "workers"}))):
        assert schedulers() == before
    with TestClient(create_app(settings)):  # the embedded default runs them itself
        assert schedulers() == before + 1
    assert schedulers() == before
