"""The task queue: which process runs an uploaded document's ingest job, and how it gets there.

`ingest_jobs` stays the record of truth (queued → running → done | failed); the queue only
delivers job ids to workers, and the atomic claim below guarantees a job is run by one process.

- `job_runner="in-process"` (the default, and the TestClient tests): the web runs the job itself.
- `job_runner="workers"`, SQLite: the web only registers; `jinnang worker` processes poll
  `ingest_jobs` (service/worker.py). No server.
- `job_runner="workers"`, PostgreSQL: the web registers and defers a Procrastinate job on the
  same database (no broker to run); Procrastinate workers run `ingest_document(job_id)`. The
  `lock`/`queueing_lock` = job id make a second defer harmless. A periodic sweep retries
  Procrastinate jobs of workers that stopped sending heartbeats (`kill -9`) and defers what
  has no live Procrastinate job (the web killed between registering and deferring, a transient
  failure due again).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, and_, make_url, or_, update
from sqlalchemy.orm import Session

from jinnang.core.settings import Settings
from jinnang.ingest.pipeline import THIS_WORKER, DocumentHook, run_claimed, with_retries, worker_alive
from jinnang.ingest.store import IngestJobRow, ingest_engine, utcnow
from jinnang.ingest.threads import limit_process_threads

log = logging.getLogger(__name__)

INGEST_TASK = "jinnang.ingest_document"
SWEEP_TASK = "jinnang.sweep"
INGEST_QUEUE = "ingest"
# a job that failed transiently is run again after this long, not in a tight loop
RETRY_FAILED_AFTER_SECONDS = 60.0
# a job left "running" with no live Procrastinate job is looked at again after this long
RUNNING_STALE_SECONDS = 30.0


def job_runner(settings: Settings) -> str:
    return str(getattr(settings, "job_runner", "in-process"))


def uses_queue(settings: Settings) -> bool:
    """Whether jobs travel through Procrastinate: a PostgreSQL database."""
    return (getattr(settings, "database_url", None) or "").startswith("postgresql")


def conninfo(settings: Settings) -> str:
    """The libpq URL of the database (psycopg's pool takes no SQLAlchemy driver suffix)."""
    url = make_url(str(getattr(settings, "database_url", "")))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


# --- claiming and running one job (both runners) ---------------------------------------------------

def claim_job(engine: Engine, job_id: str) -> IngestJobRow | None:
    """Take `job_id` for this process, or None if it is finished or another live process has it.

    A compare-and-set on the status (and, for a job a crash left "running", on the dead worker's
    name): of two processes claiming at once, exactly one UPDATE matches.
    """
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(IngestJobRow, job_id)
        if job is None or job.status == "done":
            return None
        if job.status in ("queued", "failed"):
            same = IngestJobRow.status == job.status
        elif job.status == "running" and not worker_alive(job.worker):
            same = and_(IngestJobRow.status == "running",
                        IngestJobRow.worker.is_(None) if job.worker is None else IngestJobRow.worker == job.worker)
        else:
            return None
        claim = (update(IngestJobRow).where(IngestJobRow.id == job_id, same)
                 .values(status="running", updated_at=utcnow(), worker=THIS_WORKER))
        claimed = cast("CursorResult[Any]", session.execute(claim)).rowcount
        session.commit()
        if not claimed:
            return None
        session.refresh(job)
        return job


def default_hooks() -> Sequence[DocumentHook]:
    from jinnang.service.pipeline import DEFAULT_HOOKS

    return DEFAULT_HOOKS


def run_one(settings: Settings, job_id: str, hooks: Sequence[DocumentHook] | None = None) -> IngestJobRow | None:
    """Claim and run one job to its end; None when another process has it or it is finished."""
    limit_process_threads()  # before any model loads
    engine = ingest_engine(settings)
    job = with_retries(f"claiming ingest job {job_id}", lambda: claim_job(engine, job_id))
    if job is None:
        return None
    log.info("ingest job %s claimed by %s", job_id, THIS_WORKER)  # the tests count these: one claim a job
    return run_claimed(settings, engine, job, default_hooks() if hooks is None else hooks)


def due_jobs(engine: Engine, limit: int = 50) -> list[str]:
    """Ids of jobs a worker may take, oldest first: queued, left running (the claim checks the
    worker is dead), failed transiently a while ago."""
    retry_before = utcnow() - dt.timedelta(seconds=RETRY_FAILED_AFTER_SECONDS)
    due = or_(IngestJobRow.status.in_(("queued", "running")),
              and_(IngestJobRow.status == "failed", IngestJobRow.transient.is_(True),
                   IngestJobRow.updated_at < retry_before))
    with Session(engine) as session:
        rows = session.query(IngestJobRow.id, IngestJobRow.status, IngestJobRow.worker).filter(due) \
            .order_by(IngestJobRow.created_at).limit(limit).all()
    return [job_id for job_id, status, worker in rows if status != "running" or not worker_alive(worker)]


# --- handing a job over at upload ----------------------------------------------------------------

def submit_job(settings: Settings, job_id: str, run_later: Callable[..., Any]) -> str:
    """What the upload route does with a new job: run it in this process after the answer
    (`run_later(run_job, …)`, i.e. BackgroundTasks.add_task), or leave it to the workers.
    Returns "in-process", "queued" (SQLite workers poll) or "deferred" (Procrastinate)."""
    if job_runner(settings) != "workers":
        from jinnang.ingest.pipeline import run_job

        run_later(run_job, settings, job_id, default_hooks())
        return "in-process"
    if uses_queue(settings):
        try:
            defer_ingest(settings, job_id)
        except Exception:  # the row is queued: the next sweep defers it
            log.exception("could not defer ingest job %s; the workers' sweep will", job_id)
        return "deferred"
    return "queued"


_defer_apps: dict[str, Any] = {}
_defer_lock = threading.Lock()


def _defer_app(info: str) -> Any:
    import procrastinate
    from psycopg_pool import NullConnectionPool

    with _defer_lock:
        if info not in _defer_apps:
            # a connection per defer, none kept idle: a web process holds no queue connections between uploads
            app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector())
            app.open(NullConnectionPool(info, max_size=4, open=True))
            _defer_apps[info] = app
        return _defer_apps[info]


def close_queue_clients() -> None:
    """Close the deferring clients (tests dropping their database)."""
    with _defer_lock:
        for app in _defer_apps.values():
            app.close()
        _defer_apps.clear()
    _schema_ready.clear()


def defer_ingest(settings: Settings, job_id: str) -> bool:
    """Put `job_id` on the queue; False when it is already waiting there."""
    from procrastinate.exceptions import AlreadyEnqueued

    ensure_queue_schema(settings)
    info = conninfo(settings)
    app = _defer_app(info)
    try:
        app.configure_task(INGEST_TASK, queue=INGEST_QUEUE, lock=job_id, queueing_lock=job_id).defer(job_id=job_id)
    except AlreadyEnqueued:
        return False
    return True


_schema_ready: set[str] = set()


def ensure_queue_schema(settings: Settings) -> bool:
    """Procrastinate's tables and functions on the PostgreSQL database, applied once (an advisory
    lock keeps two starting workers from racing); nothing on SQLite. True when applied now."""
    if not uses_queue(settings):
        return False
    info = conninfo(settings)
    if info in _schema_ready:
        return False
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(info, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('jinnang.queue_schema'))")
        try:
            row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            applied = row is None or row[0] is None
            if applied:
                conn.execute(SchemaManager.get_schema())  # the package's own SQL file
                log.info("applied the task queue's schema")
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('jinnang.queue_schema'))")
    _schema_ready.add(info)
    return applied


# --- the Procrastinate worker's app and its sweep ------------------------------------------------

SWEEP_CRON = "* * * * * */30"  # every 30 s (the sixth column is seconds)
# ingest_jobs rows that have no Procrastinate job waiting or running
_ORPHANS_SQL = """
SELECT j.id FROM ingest_jobs j
 WHERE (j.status = 'queued'
        OR (j.status = 'running' AND j.updated_at < (now() AT TIME ZONE 'utc') - make_interval(secs => %(stale)s))
        OR (j.status = 'failed' AND j.transient IS TRUE
            AND j.updated_at < (now() AT TIME ZONE 'utc') - make_interval(secs => %(retry_after)s)))
   AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs p WHERE p.lock = j.id AND p.status IN ('todo', 'doing'))
 ORDER BY j.created_at
"""


async def sweep(app: Any, stalled_after: float) -> dict[str, int]:
    """Retry the Procrastinate jobs of workers silent for `stalled_after` s, and defer every job
    of ours that has no Procrastinate job; returns how many of each."""
    from procrastinate.exceptions import AlreadyEnqueued

    retried = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        log.warning("retrying queue job %s (%s) of a worker that stopped answering", job.id, job.task_name)
        await app.job_manager.retry_job(job)
        retried += 1
    rows = await app.connector.execute_query_all_async(_ORPHANS_SQL, stale=RUNNING_STALE_SECONDS,
                                                       retry_after=RETRY_FAILED_AFTER_SECONDS)
    deferred = 0
    for row in rows:
        try:
            await app.configure_task(INGEST_TASK, queue=INGEST_QUEUE, lock=row["id"],
                                     queueing_lock=row["id"]).defer_async(job_id=row["id"])
            deferred += 1
        except AlreadyEnqueued:
            pass
    if retried or deferred:
        log.info("queue sweep: %d stalled jobs retried, %d ingest jobs deferred", retried, deferred)
    return {"retried": retried, "deferred": deferred}


def worker_app(settings: Settings, pool_size: int = 4) -> Any:
    """A Procrastinate app on the settings' database with our two tasks: the ingest job and the sweep."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(settings), min_size=1,
                                                                     max_size=pool_size))

    @app.task(name=INGEST_TASK, queue=INGEST_QUEUE, pass_context=True)
    def ingest_document(context: procrastinate.JobContext, job_id: str) -> None:
        job = run_one(context.additional_context["settings"], job_id)
        log.info("ingest job %s: %s", job_id, job.status if job else "taken by another worker or finished")

    @app.periodic(cron=SWEEP_CRON, periodic_id="sweep")
    @app.task(name=SWEEP_TASK, queue="sweep", pass_context=True)
    async def sweep_task(context: procrastinate.JobContext, timestamp: int) -> None:
        await sweep(context.app, context.additional_context["stalled_after"])

    del ingest_document, sweep_task  # registered on the app
    return app


def stalled_after_seconds() -> float:
    """Seconds without a heartbeat after which a worker counts as dead (JINNANG_WORKER_STALLED_SECONDS)."""
    return float(os.environ.get("JINNANG_WORKER_STALLED_SECONDS", "") or 30)
