"""The weekly report is made of what is stored: the week's visits with their quality score, accounts that
moved, open objections, questions left unanswered, and next week's key dates — one rep's, not another's."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jinnang.core.db import open_engine
from jinnang.core.errors import InputError
from jinnang.core.settings import Settings
from jinnang.nlp.store import ExtractionRow
from jinnang.rules.accounts import load_account, move_account, upsert_account
from jinnang.service.demo import ensure_demo_users
from jinnang.service.visits import file_visit
from jinnang.service.weekly import IsoWeek, parse_week, weekly_report

WEEK = IsoWeek(2026, 11)  # 2026-03-09 … 2026-03-15
NOTE_1 = ("今天见了关节外科吴主任，带了髋关节样品。吴主任问陶瓷内衬有没有长期随访数据，我当场给了两篇文章。"
          "他说价格比进口的还贵。约了3月18日下午再来。")
NOTE_2 = "设备科郑科长问能不能对接HIS，这个我答不上来，回去跟研发确认后答复。"
OTHER_REP_NOTE = "宁波市第二医院 见了心内科陈主任，聊了导管的试用安排。"


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data")
    ensure_demo_users(settings)
    return settings


def _file(settings: Settings, rep: str, account: str, hospital: str, text: str, day: dt.date):
    return file_visit(settings, rep_id=rep, account_id=account, hospital=hospital, text=text, visit_date=day)


def test_a_reps_week_from_the_database(settings):
    first = _file(settings, "rep-07", "acc-w-01", "金华市人民医院", NOTE_1, dt.date(2026, 3, 10))
    second = _file(settings, "rep-07", "acc-w-01", "金华市人民医院", NOTE_2, dt.date(2026, 3, 12))
    _file(settings, "rep-08", "acc-w-02", "宁波市第二医院", OTHER_REP_NOTE, dt.date(2026, 3, 11))
    _file(settings, "rep-07", "acc-w-01", "金华市人民医院", "下周再联系吴主任，跟进试用。", dt.date(2026, 3, 20))  # next week
    engine = open_engine(settings.db_url)
    account = load_account(engine, "acc-w-01")  # the tender notice the next node asks for, as the CRM sends it
    upsert_account(engine, account.model_copy(update={"fields": account.fields.model_copy(
        update={"tender_notice_no": "ZJ-2026-0311"})}))
    moved = move_account(engine, "acc-w-01", "tender_monitoring", "rep-07", dt.datetime(2026, 3, 13, 10))
    assert moved.accepted, moved.missing

    report = weekly_report(settings, {"rep-07"}, WEEK, now=dt.datetime(2026, 3, 16, 9))

    with Session(open_engine(settings.db_url)) as session:
        stored = session.scalar(select(func.count()).select_from(ExtractionRow).where(
            ExtractionRow.rep_id == "rep-07", ExtractionRow.reference_date.between(WEEK.start, WEEK.end)))
    assert [v.document_id for v in report.visits] == [first.note_id, second.note_id]
    assert len(report.visits) == stored == 2
    assert {v.name for v in report.visits} == {"金华市人民医院"}
    # sample brought (2) + one question answered on the spot (3) by the rules' formula
    assert report.visits[0].quality == 5 and not report.visits[0].coach
    assert [(m.name, m.from_label, m.to_label) for m in report.moves] == [("金华市人民医院", "初步接触", "招标公告监测")]
    assert "price" in {o.category for o in report.objections}
    assert all(o.name == "金华市人民医院" for o in report.objections)
    assert any("答不上来" in q.sentence for q in report.questions)
    assert [(k.type, k.date) for k in report.plan_dates] == [("next_meeting", dt.date(2026, 3, 18))]
    assert report.summaries[0].visits == 2 and report.summaries[0].moves == 1
    assert report.plan_actions, "an account with an open objection has a next action"


def test_a_team_report_covers_every_rep_given(settings):
    _file(settings, "rep-07", "acc-w-01", "金华市人民医院", NOTE_1, dt.date(2026, 3, 10))
    _file(settings, "rep-08", "acc-w-02", "宁波市第二医院", OTHER_REP_NOTE, dt.date(2026, 3, 11))
    report = weekly_report(settings, {"rep-07", "rep-08"}, WEEK, now=dt.datetime(2026, 3, 16))
    assert {v.rep_id for v in report.visits} == {"rep-07", "rep-08"}
    assert {s.rep_id: s.visits for s in report.summaries} == {"rep-07": 1, "rep-08": 1}
    assert report.rep_names["rep-08"] == "李娜 (rep-08)"


def test_weeks_are_iso_weeks():
    assert parse_week("2026-W01").start == dt.date(2025, 12, 29)
    assert parse_week(None, dt.date(2026, 3, 15)) == WEEK
    assert WEEK.shifted(1).label == "2026-W12" and WEEK.end == dt.date(2026, 3, 15)
    for bad in ("2026-11", "2026-W54", "W11"):
        with pytest.raises(InputError) as refused:
            parse_week(bad)
        assert refused.value.field == "week"
