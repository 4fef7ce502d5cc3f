"""POST /v1/next-actions and its batch form over real HTTP (TestClient)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jinnang.api.app import create_app

BASE = json.loads((Path(__file__).parents[1] / "rules" / "data" / "healthy_account.json").read_text(encoding="utf-8"))


@pytest.fixture
def client(settings):
    return TestClient(create_app(settings))


@pytest.fixture
def account():
    return copy.deepcopy(BASE["account"])


def _post(client, key, body, now=BASE["now"]):
    return client.post("/v1/next-actions", json=body, params={"now": now}, headers={"X-API-Key": key})


def test_crm_gets_ranked_suggestions(client, account):
    account["open_objections"] = [{"category": "price", "raised_on": "2026-03-16"}]
    res = _post(client, "crm1", account)
    assert res.status_code == 200
    body = res.json()
    assert body["account_id"] == "acc-t1" and [s["action"] for s in body["suggestions"]] == ["handle_objection"]
    assert body["suggestions"][0]["evidence"][0]["source"] == "rules_default"


def test_app_wired_talk_tracks_reach_the_suggestion(settings, account):
    app = create_app(settings)
    app.state.talk_tracks = lambda category: [{"source": "playbook", "id": f"tt-{category}", "snippet": "…"}]
    account["open_objections"] = [{"category": "budget", "raised_on": "2026-03-16"}]
    res = _post(TestClient(app), "crm1", account)
    assert res.json()["suggestions"][0]["evidence"][0]["id"] == "tt-budget"


def test_malformed_snapshot_is_422_naming_field_and_path(client, account):
    account["visits"][1]["questions_resolved"] = -2
    res = _post(client, "crm1", account)
    assert res.status_code == 422
    assert res.json() | {"message": ""} == {"status": 422, "field": "questions_resolved",
                                            "path": "visits[1].questions_resolved", "message": ""}
    account["visits"][1]["questions_resolved"] = 1
    account["last_updated_at"] = "2026-02-30T09:00:00"
    assert _post(client, "crm1", account).json()["field"] == "last_updated_at"
    assert _post(client, "crm1", None).status_code == 422
    assert client.post("/v1/next-actions", content=b"{not json", headers={"X-API-Key": "crm1",
                                                                           "Content-Type": "application/json"}).status_code == 422


def test_rep_sees_own_accounts_only_and_manager_their_team(client, account):
    assert _post(client, "rep7", account).status_code == 200
    assert _post(client, "rep8", account).status_code == 403
    assert _post(client, "mgr2", account).status_code == 200
    account["rep_id"] = "rep-99"
    assert _post(client, "mgr2", account).status_code == 403


def test_batch_is_crm_only_and_answers_each_item(client, account):
    bad = copy.deepcopy(account)
    del bad["account_id"]
    body = {"items": [{"id": "a", "now": BASE["now"], "account": account}, {"id": "b", "account": bad}]}
    assert client.post("/v1/next-actions:batch", json=body, headers={"X-API-Key": "rep7"}).status_code == 403
    assert client.post("/v1/next-actions:batch", json=body, headers={"X-API-Key": "mgr2"}).status_code == 403
    res = client.post("/v1/next-actions:batch", json=body, headers={"X-API-Key": "crm1"})
    assert res.status_code == 200
    results = res.json()["results"]
    assert results[0]["id"] == "a" and results[0]["suggestions"] == []
    assert results[1] == {"id": "b", "error": {"status": 422, "field": "account_id", "path": "account_id",
                                               "message": results[1]["error"]["message"]}}
    assert client.post("/v1/next-actions:batch", json={"accounts": []}, headers={"X-API-Key": "crm1"}).json()["field"] == "items"


def test_missing_key_is_401(client, account):
    assert client.post("/v1/next-actions", json=account).status_code == 401
