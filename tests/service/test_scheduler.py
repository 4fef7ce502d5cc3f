"""The nightly jobs run themselves: once per scheduled slot (not twice after a restart or with two
workers), a missed slot caught up once, every run recorded with its outcome, and a thread that
starts and stops with the service."""
from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from jinnang.core.db import open_engine
from jinnang.core.errors import NotFound
from jinnang.core.settings import Settings
from jinnang.rules.accounts import upsert_account
from jinnang.rules.models import AccountSnapshot
from jinnang.service.alerts import unread_count
from jinnang.service.alerts.config import JobSchedule
from jinnang.service.demo import ensure_demo_users
from jinnang.service.scheduler import (
    job_states,
    recent_runs,
    request_job,
    run_due_jobs,
    run_job_now,
    start_scheduler,
)

D = dt.datetime


def _settings(tmp_path: Path, channels: str | None = None) -> Settings:
    alerts_file = None
    if channels is not None:
        alerts_file = tmp_path / "alerts.yaml"
        alerts_file.write_text(channels, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", alerts_file=alerts_file)
    ensure_demo_users(settings)
    upsert_account(open_engine(settings.db_url), AccountSnapshot.model_validate({
        "account_id": "acc-1", "hospital": "杭州市第一人民医院", "rep_id": "rep-07", "journey_node": "demo_scheduled",
        "node_entered_at": "2026-01-01T09:00:00", "last_updated_at": "2026-01-01T09:00:00"}))
    return settings


def test_slots_are_the_latest_scheduled_moment():
    assert JobSchedule(at="02:00").slot(D(2026, 3, 5, 1, 59)) == D(2026, 3, 4, 2, 0)
    assert JobSchedule(at="02:00").slot(D(2026, 3, 5, 2, 0)) == D(2026, 3, 5, 2, 0)
    assert JobSchedule(day=1, at="06:00").slot(D(2026, 3, 1, 5)) == D(2026, 2, 1, 6)
    assert JobSchedule(day=1, at="06:00").slot(D(2026, 3, 20)) == D(2026, 3, 1, 6)
    assert JobSchedule(every="5m").slot(D(2026, 3, 5, 10, 7, 30)) == D(2026, 3, 5, 10, 5)


def test_each_slot_runs_once_and_a_missed_night_is_caught_up_once(tmp_path):
    settings = _settings(tmp_path)
    now = D(2026, 1, 10, 9, 0)
    first = run_due_jobs(settings, now)  # a fresh service: every job's current slot is due
    assert sorted(r.name for r in first) == ["deliver", "monthly_phi", "playbook_refresh", "stall_check"]
    assert all(r.ok for r in first), [(r.name, r.error) for r in first]
    stall = next(r for r in first if r.name == "stall_check")
    assert stall.summary == {"stalls": 1, "triggers": 0, "messages": 2, "queued": 2}
    assert run_due_jobs(settings, now + dt.timedelta(seconds=30)) == []       # same slots: a restart runs nothing
    assert [r.name for r in run_due_jobs(settings, now + dt.timedelta(minutes=3))] == ["deliver"]
    next_night = run_due_jobs(settings, D(2026, 1, 11, 2, 1))
    assert sorted(r.name for r in next_night) == ["deliver", "stall_check"]
    assert next(r for r in next_night if r.name == "stall_check").summary["queued"] == 0  # the episode was told
    assert unread_count(open_engine(settings.db_url), "demo-manager") == 1


def test_two_workers_at_the_same_moment_run_each_job_once(tmp_path):
    settings = _settings(tmp_path)
    now = D(2026, 1, 10, 9, 0)
    results: list[list] = []
    workers = [threading.Thread(target=lambda: results.append(run_due_jobs(settings, now))) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    ran = sorted(r.name for batch in results for r in batch)
    assert ran == ["deliver", "monthly_phi", "playbook_refresh", "stall_check"]
    assert unread_count(open_engine(settings.db_url), "demo-rep") == 1


def test_a_failing_job_is_recorded_with_its_error_and_the_others_go_on(tmp_path):
    settings = _settings(tmp_path)
    run_job_now(settings, "deliver")
    with open_engine(settings.db_url).begin() as conn:  # the outbox lost: delivery cannot work
        conn.execute(text("DROP TABLE alerts_outbox"))
    failed = run_job_now(settings, "deliver")
    assert failed.ok is False and "alerts_outbox" in (failed.error or "") and failed.trigger == "manual"
    state = next(s for s in job_states(settings) if s.name == "deliver")
    assert state.last is not None and state.last.ok is False and state.next_at is not None
    assert run_job_now(settings, "playbook_refresh").ok
    assert [r.name for r in recent_runs(settings, limit=3)] == ["playbook_refresh", "deliver", "deliver"]


def test_an_unknown_job_is_not_found(tmp_path):
    with pytest.raises(NotFound) as err:
        run_job_now(_settings(tmp_path), "backup")
    assert err.value.field == "job"


def test_the_thread_runs_the_schedule_and_stops(tmp_path):
    settings = _settings(tmp_path, (
        "tick_seconds: 0.1\nschedule:\n  stall_check: {every: 1s}\n  deliver: {every: 1s}\n"
        "  playbook_refresh: {at: '02:30', enabled: false}\n  monthly_phi: {day: 1, at: '06:00', enabled: false}\n"))
    stop = start_scheduler(settings)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and unread_count(open_engine(settings.db_url), "demo-manager") == 0:
            time.sleep(0.1)
    finally:
        started = time.monotonic()
        stop()
        stopped_in = time.monotonic() - started
    assert unread_count(open_engine(settings.db_url), "demo-manager") == 1
    assert stopped_in < 5
    names = {r.name for r in recent_runs(settings, limit=50)}
    assert names == {"stall_check", "deliver"}
    assert not any(t.name == "jinnang-scheduler" and t.is_alive() for t in threading.enumerate())


def test_a_requested_run_is_started_once_by_the_next_tick_of_whichever_process_schedules(tmp_path):
    # the admin page's button where web processes leave the jobs to workers
    settings = _settings(tmp_path)
    now = D(2026, 1, 10, 9, 0)
    run_due_jobs(settings, now)  # this slot's scheduled runs are done
    asked = request_job(settings, "stall_check", now)
    assert asked.trigger == "requested" and asked.ok is None
    assert request_job(settings, "stall_check", now) == asked  # asked twice before a worker took it: one run
    state = next(j for j in job_states(settings, now) if j.name == "stall_check")
    assert state.last is not None and state.last.trigger == "requested"
    ran = run_due_jobs(settings, now + dt.timedelta(seconds=30))
    assert [(r.name, r.trigger, r.ok) for r in ran] == [("stall_check", "manual", True)]
    assert run_due_jobs(settings, now + dt.timedelta(seconds=60)) == []
    with pytest.raises(NotFound):
        request_job(settings, "backup")
