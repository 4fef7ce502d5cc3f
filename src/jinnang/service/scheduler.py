"""The nightly jobs, run by the service itself: no cron line for a customer to write.

The schedule is in the channels file (`schedule:`; defaults: stall check 02:00, delivery every 2 min,
playbook refresh 02:30, process health on the 1st at 06:00, learning from reviewed records off). Each
job runs once per *slot* — the latest scheduled moment — and a run is recorded before it starts under
a unique (job, slot) key, so a restart, a second worker process or a service that was down at 02:00
runs a missed slot once, never twice. Every run is kept with its start, end, outcome and summary for
the admin page.

    stop = start_scheduler(settings)   # a thread that looks at the clock every tick_seconds
    run_job_now(settings, "stall_check")   # here, now
    request_job(settings, "learn")         # by the process running the scheduler, at its next tick
    stop()
"""
from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Engine, Integer, String, Table, Text, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from jinnang.core.db import Base, ensure_schema, insert_ignoring_duplicates, open_engine
from jinnang.core.errors import Conflict, NotFound
from jinnang.core.settings import Settings
from jinnang.service.alerts import channels_config, check_and_queue, deliver_due, queue_phi
from jinnang.service.alerts.config import JOB_NAMES, JobSchedule, seconds_of
from jinnang.service.alerts.outbox import changed
from jinnang.service.team_learning import learn_from_reviews

log = logging.getLogger(__name__)
KEEP_RUNS = 50  # per job: the admin page shows the latest, the table does not grow with every 2-minute delivery


class JobRunRow(Base):
    __tablename__ = "scheduler_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, index=True)
    slot: Mapped[str] = mapped_column(String, unique=True)   # name@scheduled moment, or name@manual:<id>
    trigger: Mapped[str] = mapped_column(String)               # schedule or manual
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary: Mapped[dict | None] = mapped_column(JSON, nullable=True)


TABLES: list[Table] = [Base.metadata.tables[JobRunRow.__tablename__]]


def _playbook_refresh(settings: Settings, now: dt.datetime) -> dict[str, Any]:
    """The hook point for keeping the playbook built: the incremental refresh where it exists, else a rebuild."""
    try:
        refresh = importlib.import_module("jinnang.service.playbook_refresh").refresh_if_stale
    except (ImportError, AttributeError):
        from jinnang.coaching.playbook import build_playbook

        try:
            result = build_playbook(settings)
        except NotFound as exc:  # nothing indexed yet: nothing to mine
            return {"skipped": exc.message}
        return {"rebuilt": True, **{k: v for k, v in result.items() if isinstance(v, int | float | str)}}
    result = refresh(settings)
    return result if isinstance(result, dict) else {"result": str(result)}


JOBS: dict[str, Callable[[Settings, dt.datetime], dict[str, Any]]] = {
    "stall_check": lambda settings, now: check_and_queue(settings, now),
    "deliver": lambda settings, now: deliver_due(settings, now).as_dict(),
    "playbook_refresh": _playbook_refresh,
    "monthly_phi": lambda settings, now: queue_phi(settings, now),
    "learn": learn_from_reviews,
}
assert set(JOBS) == set(JOB_NAMES)
# jobs that load the NLP models (mining the playbook, refitting): where web processes leave the jobs to
# workers, the admin page's "run now" hands these to a worker (request_job) and runs the others at once
LOADS_MODELS = frozenset({"playbook_refresh", "learn"})
_running = {name: threading.Lock() for name in JOBS}


@dataclass(frozen=True)
class JobRun:
    name: str
    trigger: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    ok: bool | None
    error: str | None
    summary: dict[str, Any] | None


def _engine(settings: Settings) -> Engine:
    engine = open_engine(settings.db_url)
    ensure_schema(engine)
    return engine


def _as_run(row: JobRunRow) -> JobRun:
    return JobRun(name=row.name, trigger=row.trigger, started_at=row.started_at, finished_at=row.finished_at,
                  ok=row.ok, error=row.error, summary=row.summary)


def _claim(engine: Engine, name: str, slot: str, trigger: str, now: dt.datetime) -> int | None:
    """Record the run before it starts; None when the slot was run (or is running) already."""
    with Session(engine) as session:
        statement = insert_ignoring_duplicates(engine, JobRunRow.__table__, ["slot"])  # type: ignore[arg-type]
        added = changed(session, statement.values(name=name, slot=slot, trigger=trigger, started_at=now))
        session.commit()
        if not added:
            return None
        return session.scalar(select(JobRunRow.id).where(JobRunRow.slot == slot))


def _run(settings: Settings, engine: Engine, run_id: int, name: str, now: dt.datetime) -> JobRun:
    ok, error, summary = True, None, None
    with _running[name]:
        try:
            # kept as JSON: whatever a job returns must not break its own record
            summary = json.loads(json.dumps(JOBS[name](settings, now), default=str))
        except Exception as exc:  # recorded and shown on the admin page; the scheduler goes on
            log.exception("job %s failed", name)
            ok, error = False, f"{type(exc).__name__}: {exc}"[:2000]
    with Session(engine) as session:
        session.execute(update(JobRunRow).where(JobRunRow.id == run_id).values(
            finished_at=dt.datetime.now(), ok=ok, error=error, summary=summary))
        old = select(JobRunRow.id).where(JobRunRow.name == name).order_by(JobRunRow.id.desc()).offset(KEEP_RUNS)
        session.execute(delete(JobRunRow).where(JobRunRow.id.in_(old.scalar_subquery())))
        session.commit()
        row = session.get(JobRunRow, run_id)
        assert row is not None
        return _as_run(row)


def run_due_jobs(settings: Settings, now: dt.datetime | None = None) -> list[JobRun]:
    """Run each enabled job whose current slot has not been run; what ran."""
    now = now or dt.datetime.now()
    engine = _engine(settings)
    config = channels_config(settings)
    ran = []
    for name in JOB_NAMES:
        schedule = config.job_schedule(name)
        if not schedule.enabled:
            continue
        run_id = _claim(engine, name, f"{name}@{schedule.slot(now).isoformat()}", "schedule", now)
        if run_id is not None:
            ran.append(_run(settings, engine, run_id, name, now))
    return ran + _run_requested(settings, engine, now)


def request_job(settings: Settings, name: str, now: dt.datetime | None = None) -> JobRun:
    """Record a run for whichever process runs the scheduler (a worker) to start at its next tick: the
    admin page's button for a job in LOADS_MODELS where web processes leave the jobs to workers, so
    that the models never load into a web process. Asked twice before a worker takes it: one run."""
    if name not in JOBS:
        raise NotFound("job", f"no job {name!r}; the jobs are {', '.join(JOBS)}")
    engine = _engine(settings)
    with Session(engine) as session:
        waiting = session.scalar(select(JobRunRow).where(JobRunRow.name == name, JobRunRow.trigger == "requested"))
        if waiting is not None:
            return _as_run(waiting)
    now = now or dt.datetime.now()
    run_id = _claim(engine, name, f"{name}@manual:{uuid.uuid4().hex}", "requested", now)
    with Session(engine) as session:
        row = session.get(JobRunRow, run_id)
        assert row is not None
        return _as_run(row)


def _run_requested(settings: Settings, engine: Engine, now: dt.datetime) -> list[JobRun]:
    """Start the runs the admin page asked for; with several workers, the one whose update lands takes each."""
    with Session(engine) as session:
        waiting = session.execute(select(JobRunRow.id, JobRunRow.name).where(JobRunRow.trigger == "requested")).all()
    ran = []
    for run_id, name in waiting:
        with Session(engine) as session:
            took = changed(session, update(JobRunRow).where(JobRunRow.id == run_id, JobRunRow.trigger == "requested")
                           .values(trigger="manual", started_at=now))
            session.commit()
        if took and name in JOBS:
            ran.append(_run(settings, engine, run_id, name, now))
    return ran


def run_job_now(settings: Settings, name: str, now: dt.datetime | None = None) -> JobRun:
    """Run one job at once (the admin page's button, `jinnang jobs run NAME`), recorded as manual."""
    if name not in JOBS:
        raise NotFound("job", f"no job {name!r}; the jobs are {', '.join(JOBS)}")
    if _running[name].locked():
        raise Conflict("job", f"job {name!r} is running now")
    now = now or dt.datetime.now()
    engine = _engine(settings)
    run_id = _claim(engine, name, f"{name}@manual:{uuid.uuid4().hex}", "manual", now)
    assert run_id is not None  # a fresh slot
    return _run(settings, engine, run_id, name, now)


def _next_moment(schedule: JobSchedule, now: dt.datetime) -> dt.datetime:
    slot = schedule.slot(now)
    if schedule.every is not None:
        return slot + dt.timedelta(seconds=seconds_of(schedule.every))
    if schedule.day is None:
        return slot + dt.timedelta(days=1)
    return schedule.slot((slot.replace(day=28) + dt.timedelta(days=5)).replace(day=schedule.day, hour=23, minute=59))


@dataclass(frozen=True)
class JobState:
    name: str
    schedule: str
    enabled: bool
    next_at: dt.datetime | None
    last: JobRun | None
    running: bool


def job_states(settings: Settings, now: dt.datetime | None = None) -> list[JobState]:
    """Each job with its schedule, next moment and last run (for the admin page and `jinnang jobs list`)."""
    now = now or dt.datetime.now()
    engine = _engine(settings)
    config = channels_config(settings)
    states = []
    with Session(engine) as session:
        for name in JOB_NAMES:
            schedule = config.job_schedule(name)
            described = (f"every {schedule.every}" if schedule.every else
                         (f"day {schedule.day} " if schedule.day else "daily ") + f"{schedule.at}")
            last = session.scalar(select(JobRunRow).where(JobRunRow.name == name).order_by(JobRunRow.id.desc()))
            states.append(JobState(name=name, schedule=described, enabled=schedule.enabled,
                                   next_at=_next_moment(schedule, now) if schedule.enabled else None,
                                   last=_as_run(last) if last else None, running=_running[name].locked()))
    return states


def recent_runs(settings: Settings, name: str | None = None, limit: int = 20) -> list[JobRun]:
    query = select(JobRunRow).order_by(JobRunRow.id.desc()).limit(limit)
    if name:
        query = query.where(JobRunRow.name == name)
    with Session(_engine(settings)) as session:
        return [_as_run(r) for r in session.scalars(query)]


def start_scheduler(settings: Settings) -> Callable[[], None]:
    """Start the jobs' thread; returns the function that stops it (waiting for a running job)."""
    stop = threading.Event()

    def loop() -> None:
        log.info("scheduler started")
        while not stop.is_set():
            tick = 30.0
            try:
                tick = channels_config(settings).tick_seconds
                run_due_jobs(settings)
            except Exception:  # a broken channels file or a locked database: try again next tick
                log.exception("scheduler tick failed")
            stop.wait(tick)
        log.info("scheduler stopped")

    thread = threading.Thread(target=loop, name="jinnang-scheduler", daemon=True)
    thread.start()

    def stop_scheduler() -> None:
        stop.set()
        thread.join(timeout=60)

    return stop_scheduler
