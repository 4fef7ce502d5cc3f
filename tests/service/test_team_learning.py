"""The `learn` job: the managers' reviewed records teach the data dir's objection models from the
admin page's button (or a schedule sales operations turns on); it refits only when there is
something new and says in its summary whether the refit was kept and why."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from jinnang.core.records import ExtractionRecord, Objection
from jinnang.core.settings import Settings
from jinnang.nlp.learning import stored_notes
from jinnang.nlp.store import mark_reviewed, records_engine, save_record
from jinnang.service.scheduler import job_states, run_due_jobs, run_job_now

# learning reads a slice of the shipped sets (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("few_shipped_sets")


def _review(settings: Settings, document_id: str, text: str, objections: list[Objection]) -> None:
    with Session(records_engine(settings)) as session:
        row = save_record(session, document_id=document_id, kind="visit_note", reference_date=dt.date(2026, 3, 2),
                          text=text, record=ExtractionRecord(objections=objections))
        mark_reviewed(session, row, "mgr-1")
        session.commit()


def test_the_job_learns_what_managers_reviewed_and_says_whether_the_refit_was_kept(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data")
    assert run_job_now(settings, "learn").summary == {"skipped": "no reviewed records yet"}

    text = "科主任觉得每个病人多花两百块，病人不一定愿意自费。"
    _review(settings, "doc-1", text, [Objection(category="price", evidence="病人不一定愿意自费", start=15, end=24)])
    run = run_job_now(settings, "learn")
    assert run.ok, run.error
    summary = run.summary or {}
    assert summary["notes"] == 1 and summary["new"] == 1 and isinstance(summary["kept"], bool)
    assert 0.5 < summary["f1_refit"] <= 1 and 0.5 < summary["f1_current"] <= 1
    assert [n["id"] for n in stored_notes(settings.data_dir)] == ["review:doc-1"]
    # the same records again: nothing to refit
    assert run_job_now(settings, "learn").summary == {"skipped": "nothing new since the last refit", "notes": 1}


def test_it_is_off_by_default_and_runs_on_the_schedule_once_turned_on(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data")
    state = next(j for j in job_states(settings) if j.name == "learn")
    assert not state.enabled
    assert "learn" not in [r.name for r in run_due_jobs(settings, dt.datetime(2026, 3, 5, 3, 30))]
    alerts = tmp_path / "alerts.yaml"
    alerts.write_text("schedule:\n  learn: {at: '03:00'}\n", encoding="utf-8")
    turned_on = Settings(data_dir=tmp_path / "data", alerts_file=alerts)
    ran = [r for r in run_due_jobs(turned_on, dt.datetime(2026, 3, 5, 3, 30)) if r.name == "learn"]
    assert len(ran) == 1 and ran[0].ok and ran[0].summary == {"skipped": "no reviewed records yet"}


def test_a_new_review_after_a_refit_is_learned_at_the_next_run(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data")
    _review(settings, "doc-1", "设备科说今年没有预算了。", [Objection(category="budget", evidence="今年没有预算了", start=4, end=11)])
    assert run_job_now(settings, "learn").summary["new"] == 1  # type: ignore[index]
    _review(settings, "doc-2", "科主任担心和现在的HIS接不上。", [Objection(category="integration", evidence="和现在的HIS接不上",
                                                                       start=5, end=15)])
    second = run_job_now(settings, "learn").summary or {}
    assert second["notes"] == 2 and second["new"] == 1
