"""schemathesis over the API's own OpenAPI, as the admin and as a rep: no request it can generate
(valid or not) gets a 5xx, and every answer's status is one the operation documents.

Bounded for the suite: `JINNANG_SCHEMATHESIS_EXAMPLES` (default 8) examples per operation, each
sent as both callers; set it higher, e.g. 200, for the long campaign.
"""
from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from jinnang.api.app import create_app
from jinnang.core.settings import Settings

EXAMPLES = int(os.environ.get("JINNANG_SCHEMATHESIS_EXAMPLES", "8"))
KEYS = "rep7:rep:rep-07,rep8:rep:rep-08,mgr2:manager:mgr-02:rep-07,crm1:crm:crm,adm:admin:root"


def _spec() -> dict:
    """The OpenAPI document, read at collection (schemathesis makes one test per operation from it)."""
    with tempfile.TemporaryDirectory(prefix="jinnang-openapi-") as tmp:
        return create_app(Settings(data_dir=Path(tmp) / "data", api_keys=KEYS)).openapi()


# /readyz answers 503 by design until the models are loaded, which this run never waits for
schema = schemathesis.openapi.from_dict(_spec()).exclude(path="/readyz")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """One service for the whole run, so uploads made by one operation are there for the next."""
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("schemathesis") / "data", api_keys=KEYS))


@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_only_documented_statuses(case, app):
    for key in ("adm", "rep7"):  # every generated request as the admin and as a rep
        case.call_and_validate(app=app, headers={"X-API-Key": key},
                               checks=[not_a_server_error, status_code_conformance])


# what the campaign found or the document now promises, pinned one request at a time

BASE = json.loads((Path(__file__).parents[1] / "rules" / "data" / "healthy_account.json").read_text(encoding="utf-8"))


@pytest.fixture
def client(settings) -> TestClient:
    return TestClient(create_app(settings))


def test_every_v1_operation_documents_its_refusals_in_the_error_shape():
    spec = _spec()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert set(spec["components"]["schemas"]["ApiError"]["required"]) == {"status", "field", "path", "message"}
    operations = [(path, op) for path, ops in spec["paths"].items() if path.startswith("/v1") for op in ops.values()]
    assert len(operations) >= 24
    for path, op in operations:
        refusals = {code: r for code, r in op["responses"].items() if code.startswith("4")}
        assert {"401", "403"} <= set(refusals), path
        for response in refusals.values():
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ApiError"}
    for ref in re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(spec)):
        assert ref in spec["components"]["schemas"]  # the bodies' nested schemas came along


def test_a_date_query_takes_only_an_iso_day(client):
    refused = client.get("/v1/review/records", params={"date_to": "0"}, headers={"X-API-Key": "mgr2"})
    assert refused.status_code == 422 and refused.json()["field"] == "date_to"
    assert client.get("/v1/review/records", params={"date_to": "2026-03-10"}, headers={"X-API-Key": "mgr2"}).status_code == 200


def test_upload_meta_may_be_json_null(client):
    # an empty file is refused after meta is read, so no ingest job runs here
    def upload(meta: str):
        return client.post("/v1/documents", files={"file": ("n.txt", b"")}, data={"meta": meta},
                           headers={"X-API-Key": "rep7"})
    assert upload("null").json()["field"] == "file"
    assert upload("[1]").json() == {"status": 422, "field": "meta", "path": "meta", "message": "meta must be a JSON object"}


def test_a_record_id_past_sqlite_integers_is_refused_not_a_500(client):
    res = client.get(f"/v1/review/records/{2**63}", headers={"X-API-Key": "adm"})
    assert res.status_code == 422 and res.json()["field"] == "record_id"


def test_a_snapshot_at_an_unknown_journey_node_is_not_stored(client):
    account = {**copy.deepcopy(BASE["account"]), "journey_node": "nowhere"}
    res = client.put(f"/v1/accounts/{account['account_id']}", json=account, headers={"X-API-Key": "crm1"})
    assert res.status_code == 422 and res.json()["field"] == "journey_node"
    assert client.get(f"/v1/accounts/{account['account_id']}", headers={"X-API-Key": "adm"}).status_code == 404


@pytest.mark.parametrize("body", [b"\xff{", b"[" * 5000])  # not UTF-8; nested past the recursion limit
def test_a_body_that_cannot_be_parsed_is_400_in_the_error_shape(client, body):
    res = client.post("/v1/next-actions", content=body, headers={"X-API-Key": "crm1", "Content-Type": "application/json"})
    assert res.status_code == 400 and res.json()["field"] == "body" and set(res.json()) == {"status", "field", "path", "message"}
