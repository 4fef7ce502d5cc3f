"""Stored accounts over HTTP: moves between nodes, evidence uploads, signing date, stalls, PHI."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jinnang.api.app import create_app

BASE = json.loads((Path(__file__).parents[1] / "rules" / "data" / "healthy_account.json").read_text(encoding="utf-8"))
KEY = {"rep": {"X-API-Key": "rep7"}, "other_rep": {"X-API-Key": "rep8"}, "manager": {"X-API-Key": "mgr2"},
       "crm": {"X-API-Key": "crm1"}}


@pytest.fixture
def client(settings):
    c = TestClient(create_app(settings))
    account = copy.deepcopy(BASE["account"])
    account.update(journey_node="trial_confirmation_signed", node_entered_at="2026-03-10T10:00:00", service_tickets=[])
    assert c.put("/v1/accounts/acc-t1", json=account, headers=KEY["crm"]).status_code == 200
    return c


def test_only_crm_stores_snapshots_and_body_must_match_path(client):
    account = copy.deepcopy(BASE["account"])
    assert client.put("/v1/accounts/acc-t1", json=account, headers=KEY["rep"]).status_code == 403
    res = client.put("/v1/accounts/acc-other", json=account, headers=KEY["crm"])
    assert res.status_code == 422 and res.json()["field"] == "account_id"


def test_move_with_evidence_creates_one_work_order_and_history(client):
    body = {"to_node": "trial_in_progress", "event_id": "evt-1", "at": "2026-03-17T09:00:00"}
    res = client.post("/v1/accounts/acc-t1/transitions", json=body, headers=KEY["rep"])
    assert res.status_code == 200 and res.json()["accepted"] and len(res.json()["work_orders"]) == 1
    assert res.json()["rep_messages"][0].startswith("服务已就绪")
    again = client.post("/v1/accounts/acc-t1/transitions", json=body, headers=KEY["rep"])
    assert again.status_code == 200 and again.json()["work_orders"] == []
    history = client.get("/v1/accounts/acc-t1/transitions", headers=KEY["manager"]).json()["transitions"]
    assert [(t["to_node"], t["by"], t["accepted"]) for t in history] == [("trial_in_progress", "rep-07", True)]
    assert history[0]["evidence"][0]["type"] == "trial_consent"


def test_move_without_evidence_is_409_naming_what_is_missing(client):
    account = copy.deepcopy(BASE["account"])
    account.update(journey_node="multi_dept_review", node_entered_at="2026-03-10T10:00:00")
    account["fields"].pop("committee_meeting_date")
    client.put("/v1/accounts/acc-t1", json=account, headers=KEY["crm"])
    res = client.post("/v1/accounts/acc-t1/transitions", json={"to_node": "committee_scheduled"}, headers=KEY["rep"])
    assert res.status_code == 409 and res.json()["missing"][0]["key"] == "committee_meeting_date"
    assert "院采委会议日期" in res.json()["message"]


def test_bad_transition_bodies_are_422(client):
    res = client.post("/v1/accounts/acc-t1/transitions", json={"to": "x"}, headers=KEY["rep"])
    assert res.status_code == 422 and res.json()["field"] in ("to_node", "to")
    res = client.post("/v1/accounts/acc-t1/transitions", json={"to_node": "negotiation"}, headers=KEY["rep"])
    assert res.status_code == 422 and res.json()["field"] == "to_node"


def test_other_rep_cannot_see_or_move_the_account(client):
    assert client.get("/v1/accounts/acc-t1", headers=KEY["other_rep"]).status_code == 403
    assert client.get("/v1/accounts/acc-t1/transitions", headers=KEY["other_rep"]).status_code == 403
    assert client.post("/v1/accounts/acc-t1/transitions", json={"to_node": "trial_in_progress"},
                       headers=KEY["other_rep"]).status_code == 403
    assert client.post("/v1/accounts/acc-t1/documents", json={"type": "trial_feedback", "uploaded_at": "2026-03-12T09:00:00"},
                       headers=KEY["other_rep"]).status_code == 403
    assert client.get("/v1/accounts/acc-t1/next-actions", headers=KEY["other_rep"]).status_code == 403
    assert client.post("/v1/accounts/acc-t1/signing-date", json={"date": "2026-05-14"},
                       headers=KEY["other_rep"]).status_code == 403
    assert client.get("/v1/accounts/acc-unknown", headers=KEY["crm"]).status_code == 404


def test_stamped_draft_locks_signing_date_and_adjustment_is_bounded(client):
    account = copy.deepcopy(BASE["account"])
    account.update(journey_node="legal_review", node_entered_at="2026-04-20T10:00:00")
    client.put("/v1/accounts/acc-t1", json=account, headers=KEY["crm"])
    doc = {"type": "contract_draft", "uploaded_at": "2026-04-29T15:00:00", "stamped_by_both": True}
    res = client.post("/v1/accounts/acc-t1/documents", json=doc, headers=KEY["rep"])
    assert res.json()["signing_date"]["predicted"] == "2026-05-12"
    assert client.post("/v1/accounts/acc-t1/signing-date", json={"date": "2026-05-14"}, headers=KEY["crm"]).status_code == 403
    ok = client.post("/v1/accounts/acc-t1/signing-date", json={"date": "2026-05-14"}, headers=KEY["manager"])
    assert ok.status_code == 200 and ok.json()["signing_date"]["adjusted_by"] == "mgr-02"
    too_far = client.post("/v1/accounts/acc-t1/signing-date", json={"date": "2026-05-20"}, headers=KEY["rep"])
    assert too_far.status_code == 422 and too_far.json()["field"] == "date"


def test_stored_account_next_actions_and_stalls(client):
    res = client.get("/v1/accounts/acc-t1/next-actions", params={"now": "2026-03-20T10:00:00"}, headers=KEY["rep"])
    assert res.status_code == 200 and res.json()["account_id"] == "acc-t1"
    assert client.get("/v1/accounts:stalls", headers=KEY["rep"]).status_code == 403
    alerts = client.get("/v1/accounts:stalls", params={"now": "2026-03-25T10:00:00"}, headers=KEY["manager"]).json()["alerts"]
    assert [a["node"] for a in alerts] == ["trial_confirmation_signed"]    # 7 d limit, 9 d since the last visit


def _stalls_counted(client) -> int:
    res = client.get("/v1/accounts:process-health", params={"month": "2026-03"}, headers=KEY["manager"])
    return next(c for c in res.json()["components"] if c["name"] == "stall_resolution_rate")["input"]["stalled"]


def test_reading_stalls_records_nothing_and_the_nightly_post_records_each_episode_once(client):
    at = {"now": "2026-03-25T10:00:00"}
    client.get("/v1/accounts:stalls", params=at, headers=KEY["manager"])
    assert _stalls_counted(client) == 0
    assert client.post("/v1/accounts:stalls", params=at, headers=KEY["rep"]).status_code == 403
    first = client.post("/v1/accounts:stalls", params=at, headers=KEY["crm"])
    assert [a["node"] for a in first.json()["alerts"]] == ["trial_confirmation_signed"]
    client.post("/v1/accounts:stalls", params={"now": "2026-03-26T10:00:00"}, headers=KEY["crm"])
    assert _stalls_counted(client) == 1


def test_process_health_is_for_managers(client):
    assert client.get("/v1/accounts:process-health", params={"month": "2026-03"}, headers=KEY["crm"]).status_code == 403
    res = client.get("/v1/accounts:process-health", params={"month": "2026-03"}, headers=KEY["manager"])
    assert res.status_code == 200 and res.json()["name"] == "process_health"
    bad = client.get("/v1/accounts:process-health", params={"month": "March"}, headers=KEY["manager"])
    assert bad.status_code == 422 and bad.json()["field"] == "month"


def test_move_time_with_an_offset_is_recorded_as_china_time(client):
    body = {"to_node": "trial_in_progress", "at": "2026-03-17T01:00:00Z"}
    res = client.post("/v1/accounts/acc-t1/transitions", json=body, headers=KEY["rep"])
    assert res.status_code == 200 and res.json()["record"]["at"] == "2026-03-17T09:00:00"
    far = client.post("/v1/accounts/acc-t1/transitions", json={"to_node": "trial_in_progress", "at": 1710000000},
                      headers=KEY["rep"])
    assert far.status_code == 422 and far.json()["field"] == "at"


def test_process_health_for_the_last_representable_month_is_422_not_500(client):
    res = client.get("/v1/accounts:process-health", params={"month": "9999-12"}, headers=KEY["manager"])
    assert res.status_code == 422 and res.json()["field"] == "month"


def test_a_rep_cannot_tell_a_missing_account_from_someone_elses(client):
    missing = client.get("/v1/accounts/acc-unknown", headers=KEY["other_rep"])
    theirs = client.get("/v1/accounts/acc-t1", headers=KEY["other_rep"])
    assert missing.status_code == theirs.status_code == 403
    assert missing.json() == theirs.json()
    assert client.get("/v1/accounts/acc-unknown", headers=KEY["manager"]).status_code == 403


def test_put_stores_hospital_type_as_public_and_the_reps_manager(settings):
    from jinnang.core.db import open_engine
    from jinnang.core.users import add_user

    engine = open_engine(settings.db_url)
    add_user(engine, "r7", role="rep", rep_id="rep-07", password=None, teams=["east"])
    add_user(engine, "m2", role="manager", rep_id="mgr-02", password=None, teams=["east"])
    c = TestClient(create_app(settings))
    account = copy.deepcopy(BASE["account"])
    for key in ("is_public", "hospital_tier", "manager_id"):
        account.pop(key, None)
    account.update(hospital="浙江省人民医院", province="浙江", city="杭州", hospital_type="公立三甲",
                   product_line="orthopaedic_implants", fields={**account["fields"], "budget_approval_no": "无"})
    stored = c.put("/v1/accounts/acc-t9", json={**account, "account_id": "acc-t9"}, headers=KEY["crm"]).json()
    assert (stored["is_public"], stored["hospital_tier"], stored["manager_id"]) == (True, "三甲", "mgr-02")
    assert stored["field_sources"]["hospital_type"] == "crm"
    # public now, so the budget-approval-number rule runs on it
    warnings = c.get("/v1/accounts/acc-t9/next-actions", headers=KEY["manager"]).json()
    assert "budget_approval_no" in json.dumps(warnings, ensure_ascii=False)
    # a later snapshot that leaves the profile out keeps it
    account.pop("hospital"), account.pop("hospital_type"), account.pop("city")
    again = c.put("/v1/accounts/acc-t9", json={**account, "account_id": "acc-t9"}, headers=KEY["crm"]).json()
    assert (again["hospital"], again["city"], again["is_public"]) == ("浙江省人民医院", "杭州", True)
