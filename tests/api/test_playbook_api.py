"""GET /v1/playbook/search and the playbook routes over real HTTP (TestClient), real index."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jinnang.api.app import create_app
from jinnang.core.settings import Settings

_corpus = Path(__file__).resolve().parents[1] / "coaching" / "corpus_small.py"
_spec = importlib.util.spec_from_file_location("coaching_corpus_small_api", _corpus)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:
    from jinnang.coaching import index_documents

    settings = Settings(data_dir=tmp_path_factory.mktemp("api-store"),
                        api_keys="rep7:rep:rep-07,mgr2:manager:mgr-02:rep-07,crm1:crm:crm,adm:admin:root")
    index_documents(settings, _module.DOCS)
    return TestClient(create_app(settings))


def test_rep_search_returns_source_ids_and_highlighted_snippets(client):
    r = client.get("/v1/playbook/search", params={"q": "器械科要注册证"}, headers={"X-API-Key": "rep7"})
    assert r.status_code == 200
    top = r.json()["results"][0]
    assert top["doc_id"] == "t-reg-won"
    assert "<mark>" in top["snippet_html"] and "注册证" in top["snippet_html"]


def test_filters_narrow_the_results(client):
    r = client.get("/v1/playbook/search", params={"q": "接口", "outcome": "won", "department": "信息中心"},
                   headers={"X-API-Key": "mgr2"})
    assert r.status_code == 200
    assert [h["doc_id"] for h in r.json()["results"]] == ["t-it-won"]


def test_crm_keys_are_refused_and_missing_key_is_401(client):
    assert client.get("/v1/playbook/search", params={"q": "价格"}, headers={"X-API-Key": "crm1"}).status_code == 403
    assert client.get("/v1/playbook/search", params={"q": "价格"}).status_code == 401


def test_missing_query_and_bad_outcome_name_the_field(client):
    r = client.get("/v1/playbook/search", headers={"X-API-Key": "rep7"})
    assert r.status_code == 422 and r.json()["field"] == "q"
    r = client.get("/v1/playbook/search", params={"q": "价格", "outcome": "maybe"}, headers={"X-API-Key": "rep7"})
    assert r.status_code == 422 and r.json()["field"] == "outcome"


def test_manager_builds_and_rep_reads_a_scenario(client):
    assert client.post("/v1/playbook/build", headers={"X-API-Key": "rep7"}).status_code == 403
    built = client.post("/v1/playbook/build", headers={"X-API-Key": "mgr2"})
    assert built.status_code == 200 and built.json()["tips"] > 0
    scenarios = client.get("/v1/playbook/scenarios", params={"category": "price"}, headers={"X-API-Key": "rep7"})
    sid = scenarios.json()["scenarios"][0]["id"]
    detail = client.get(f"/v1/playbook/scenarios/{sid}", headers={"X-API-Key": "rep7"}).json()
    assert all(tip["sources"] for tip in detail["tips"])
    md = client.get(f"/v1/playbook/scenarios/{sid}", params={"format": "markdown"}, headers={"X-API-Key": "rep7"})
    assert md.status_code == 200 and md.text.startswith("# 锦囊")
    missing = client.get("/v1/playbook/scenarios/none", headers={"X-API-Key": "rep7"})
    assert missing.status_code == 404 and missing.json()["field"] == "scenario"


def test_talk_tracks_route_gives_evidence(client):
    r = client.get("/v1/playbook/talk-tracks/clinical", headers={"X-API-Key": "rep7"})
    assert r.json()["evidence"][0]["id"] == "t-ease-track"
    assert client.get("/v1/playbook/talk-tracks/weather", headers={"X-API-Key": "rep7"}).status_code == 422


def test_search_without_an_index_is_404_not_500(tmp_path):
    settings = Settings(data_dir=tmp_path, api_keys="rep7:rep:rep-07")
    r = TestClient(create_app(settings)).get("/v1/playbook/search", params={"q": "价格"},
                                             headers={"X-API-Key": "rep7"})
    assert r.status_code == 404 and r.json()["field"] == "store"
