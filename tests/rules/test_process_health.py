"""The process health index: a month with nothing to count is "no data" (None), never 100; the
index uses only the components that have data and names the others; the diagnosis is Chinese."""
from __future__ import annotations

import datetime as dt

import pytest

from jinnang.rules.accounts import process_health_index, upsert_account
from jinnang.rules.config import default_ruleset
from jinnang.rules.models import AccountSnapshot
from jinnang.rules.scores import TeamMonth

RULES = default_ruleset()
RULE = RULES.scores.process_health
LABELS = {n.id: n.label for n in RULES.nodes}


def phi(**counts):
    return RULE.function()(TeamMonth(team="t", month="2026-03", **counts), RULE, LABELS)


def test_a_month_with_nothing_to_count_has_no_value_and_no_diagnosis():
    result = phi()
    assert result.value is None and result.flags == ["no_data"]
    assert set(result.missing_components) == set(RULE.params["weights"])
    assert "diagnosis" not in result.details and "无数据" in result.details["no_data"]


def test_the_index_uses_the_components_with_data_and_names_the_missing_ones():
    result = phi(visits=4, high_quality_visits=1, first_touches=2, first_meetings=2)
    assert result.value == pytest.approx((25 * .3 + 100 * .2) / .5)
    assert result.missing_components == ["stall_resolution_rate", "work_orders_on_time"]
    assert "停滞客户解决率" in result.details["missing_note"] and "跨部门工单按时关闭率" in result.details["missing_note"]


def test_the_diagnosis_names_the_weakest_component_in_chinese():
    result = phi(visits=4, high_quality_visits=1, first_touches=2, first_meetings=2)
    text = result.details["diagnosis"]
    assert "最弱的一项是「高质量拜访占比」" in text and "high_quality" not in text
    assert result.details["weakest_component"] == "high_quality_visit_share"
    with_stalls = phi(visits=4, high_quality_visits=3, stalls=3, stalls_resolved=0, stalls_by_node={"admission_filing": 3})
    assert "「停滞客户解决率」" in with_stalls.details["diagnosis"] and "院内准入申报" in with_stalls.details["diagnosis"]


def test_an_account_stored_today_from_old_notes_is_a_first_touch_of_the_notes_month(tmp_path):
    """The account's first touch is its earliest visit, not the day jinnang stored it: otherwise
    this month would count a first touch (100 %) for an account met in March."""
    from jinnang.core.db import open_engine

    engine = open_engine(tmp_path / "j.sqlite3")
    upsert_account(engine, AccountSnapshot.model_validate({
        "account_id": "acc-old", "rep_id": "rep-07", "journey_node": "demo_scheduled",
        "node_entered_at": "2026-03-20T09:00:00", "last_updated_at": "2026-03-20T09:00:00",
        "visits": [{"date": "2026-03-02", "questions_resolved": 2}]}))
    this_month = dt.date.today().strftime("%Y-%m")
    if this_month != "2026-03":
        assert process_health_index(engine, "t", {"rep-07"}, this_month).value is None
    march = process_health_index(engine, "t", {"rep-07"}, "2026-03")
    assert march.components[3].input == {"first_meetings": 1, "first_touches": 1}
    assert march.value == pytest.approx(100.0)
