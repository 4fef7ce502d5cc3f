"""The 看板's numbers over real stored accounts: per-node in time vs overdue, each rep's high-quality
share, the top overdue accounts, filters, drill-down, team visibility and the PHI trend."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from jinnang.core.access import Viewer
from jinnang.core.db import open_engine
from jinnang.core.settings import Settings
from jinnang.core.users import add_user
from jinnang.rules.accounts import upsert_account
from jinnang.rules.models import AccountSnapshot
from jinnang.service.dashboard import Filters, dashboard, drill_down, months_back
from jinnang.service.demo import ensure_demo_users

NOW = dt.datetime(2026, 3, 20, 9)
MANAGER = Viewer(role="manager", subject="mgr-02", team=frozenset({"rep-07", "rep-08"}))
ADMIN = Viewer(role="admin", subject="admin")


def account(account_id: str, rep: str, node: str, entered: dt.datetime, visits=(), **extra) -> AccountSnapshot:
    return AccountSnapshot.model_validate({
        "account_id": account_id, "rep_id": rep, "journey_node": node, "node_entered_at": entered.isoformat(),
        "last_updated_at": entered.isoformat(), "visits": list(visits), **extra})


@pytest.fixture
def engine(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data")
    ensure_demo_users(settings)
    engine = open_engine(settings.db_url)
    add_user(engine, "west-rep", role="rep", rep_id="rep-21", password="west-pass-123", teams=["west"])
    good = {"date": "2026-03-10", "questions_resolved": 2}             # 6 points: high quality
    poor = {"date": "2026-03-12", "questions_resolved": 0}             # 0 points: coach
    # demo_scheduled allows 72 h without progress: entered 10 days ago is overdue by 168 h
    upsert_account(engine, account("acc-late", "rep-07", "demo_scheduled", NOW - dt.timedelta(days=10),
                                   [good, {**poor, "date": "2026-03-05"}], hospital="金华市人民医院", province="浙江",
                                   hospital_tier="三甲"))
    upsert_account(engine, account("acc-fresh", "rep-08", "first_contact", NOW - dt.timedelta(days=2), [poor],
                                   hospital="宁波市第二医院", province="浙江", city="宁波"))
    upsert_account(engine, account("acc-west", "rep-21", "demo_scheduled", NOW - dt.timedelta(days=30), [good],
                                   hospital="成都市第一医院", province="四川"))
    return engine


def test_nodes_split_in_time_and_overdue_for_the_managers_team_only(engine):
    board = dashboard(engine, MANAGER, Filters(), now=NOW)
    by_node = {n["id"]: n for n in board["nodes"]}
    assert by_node["demo_scheduled"] == {**by_node["demo_scheduled"], "in_time": 0, "overdue": 1}
    assert by_node["first_contact"]["in_time"] == 1 and by_node["first_contact"]["overdue"] == 0
    assert board["accounts"] == 2                                     # acc-west is another team's
    assert [r["account_id"] for r in board["top5"]] == ["acc-late"]
    late = board["top5"][0]
    assert late["hours_over"] == 10 * 24 - 72 and late["customer"] == "金华市人民医院" and late["node_label"]
    assert dashboard(engine, ADMIN, Filters(), now=NOW)["accounts"] == 3


def test_each_reps_share_of_high_quality_visits(engine):
    quality = {q["rep"]: q for q in dashboard(engine, MANAGER, Filters(window="all"), now=NOW)["quality"]}
    assert (quality["rep-07"]["high"], quality["rep-07"]["low"], quality["rep-07"]["share"]) == (1, 1, 50)
    assert (quality["rep-08"]["high"], quality["rep-08"]["low"], quality["rep-08"]["share"]) == (0, 1, 0)
    assert set(quality) == {"rep-07", "rep-08"}


def test_filters_come_from_the_accounts_and_narrow_the_board(engine):
    board = dashboard(engine, MANAGER, Filters(), now=NOW)
    assert [o["value"] for o in board["options"]["province"]] == ["浙江"]       # not 四川: another team's
    assert [o["value"] for o in board["options"]["city"]] == ["宁波"]
    assert [o["value"] for o in board["options"]["hospital_type"]] == ["三甲"]   # from the tier
    assert board["options"]["product_line"] == []                               # no account has one
    assert dashboard(engine, MANAGER, Filters(city="宁波"), now=NOW)["accounts"] == 1
    assert dashboard(engine, MANAGER, Filters(rep="rep-07"), now=NOW)["accounts"] == 1
    assert dashboard(engine, MANAGER, Filters(team="demo-east"), now=NOW)["accounts"] == 2
    assert dashboard(engine, MANAGER, Filters(province="四川"), now=NOW)["accounts"] == 0
    assert dashboard(engine, MANAGER, Filters(team="west"), now=NOW)["accounts"] == 0   # not a team they see


def test_drill_down_lists_the_accounts_behind_a_bar_or_ring(engine):
    assert [r["account_id"] for r in drill_down(engine, MANAGER, Filters(), node="demo_scheduled", state="overdue",
                                                now=NOW)] == ["acc-late"]
    assert drill_down(engine, MANAGER, Filters(), node="demo_scheduled", state="in_time", now=NOW) == []
    low = drill_down(engine, MANAGER, Filters(window="all"), quality="low", now=NOW)
    assert {r["account_id"] for r in low} == {"acc-late", "acc-fresh"}
    assert drill_down(engine, MANAGER, Filters(rep="rep-21"), now=NOW) == []   # asking for another team's rep


def test_phi_trend_says_no_data_for_empty_months_never_100(engine):
    phi = dashboard(engine, MANAGER, Filters(), now=NOW)["phi"]
    assert [m["month"] for m in phi["trend"]] == months_back(NOW, 6) == ["2025-10", "2025-11", "2025-12", "2026-01",
                                                                          "2026-02", "2026-03"]
    assert all(m["value"] is None for m in phi["trend"][:-1])
    # March: 1 of 3 visits high quality (33 %), both accounts first touched and met (100 %)
    assert phi["value"] == pytest.approx((100 / 3 * .3 + 100 * .2) / .5, abs=.1)
    assert set(phi["missing"]) == {"stall_resolution_rate", "work_orders_on_time"}
    assert "高质量拜访占比" in phi["diagnosis"] and "high_quality" not in phi["diagnosis"]
