"""Managers review extracted records field by field; corrections never overwrite the machine output."""
import datetime as dt
import json
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from jinnang.api.app import create_app
from jinnang.core.records import DecisionMaker, ExtractionRecord, Objection, VisitFacts
from jinnang.nlp.store import records_engine, save_record

REP7, REP8, MANAGER = {"X-API-Key": "rep7"}, {"X-API-Key": "rep8"}, {"X-API-Key": "mgr2"}


def _store(settings, document_id, rep_id, confidence=0.9, hospital="扬州一院"):
    record = ExtractionRecord(
        decision_makers=[DecisionMaker(name="王", title="主任", department="骨科", role="clinical_lead",
                                       confidence=confidence)],
        objections=[Objection(category="price", evidence="价格偏高")],
        visit=VisitFacts(sample_brought=False, questions_resolved=1), journey_node="first_contact")
    with Session(records_engine(settings)) as session:
        row = save_record(session, document_id=document_id, kind="visit_note", reference_date=dt.date(2026, 3, 2),
                          text="王主任说价格偏高。", record=record, rep_id=rep_id, hospital=hospital)
        session.commit()
        return row.id


@pytest.fixture
def client(settings):
    return TestClient(create_app(settings))


def test_manager_corrects_a_field_and_the_machine_value_is_kept(settings, client):
    record_id = _store(settings, "doc-a", "rep-07")
    fixed = [{"category": "budget", "evidence": "今年预算用完了"}]
    response = client.post(f"/v1/review/records/{record_id}/fields/objections", headers=MANAGER,
                           json={"action": "correct", "value": fixed})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["machine"]["objections"][0]["category"] == "price"
    assert body["reviewed"]["objections"][0]["category"] == "budget"
    assert body["corrections"][0]["reviewer"] == "mgr-02" and body["review_status"] == "corrected"


def test_accepting_a_field_marks_the_record_accepted(settings, client):
    record_id = _store(settings, "doc-a", "rep-07")
    body = client.post(f"/v1/review/records/{record_id}/fields/journey_node", headers=MANAGER,
                       json={"action": "accept"}).json()
    assert body["review_status"] == "accepted" and body["reviewed"]["journey_node"] == "first_contact"


def test_a_correction_of_the_wrong_type_is_a_422_naming_the_field(settings, client):
    record_id = _store(settings, "doc-a", "rep-07")
    response = client.post(f"/v1/review/records/{record_id}/fields/objections", headers=MANAGER,
                           json={"action": "correct", "value": [{"category": "weather", "evidence": "x"}]})
    assert response.status_code == 422 and response.json()["field"] == "category"
    response = client.post(f"/v1/review/records/{record_id}/fields/colour", headers=MANAGER,
                           json={"action": "accept"})
    assert response.status_code == 422 and response.json()["field"] == "field"


def test_rep_sees_only_their_own_records(settings, client):
    mine, theirs = _store(settings, "doc-a", "rep-07"), _store(settings, "doc-b", "rep-08")
    listed = client.get("/v1/review/records", headers=REP7).json()
    assert [r["id"] for r in listed] == [mine]
    assert client.get(f"/v1/review/records/{theirs}", headers=REP7).status_code == 403
    assert client.get("/v1/review/records?rep_id=rep-08", headers=REP7).status_code == 403


def test_manager_sees_their_team_only_and_reps_cannot_correct(settings, client):
    team, outside = _store(settings, "doc-a", "rep-07"), _store(settings, "doc-b", "rep-08")
    assert [r["id"] for r in client.get("/v1/review/records", headers=MANAGER).json()] == [team]
    assert client.get(f"/v1/review/records/{outside}", headers=MANAGER).status_code == 403
    assert client.post(f"/v1/review/records/{outside}/fields/visit", headers=MANAGER,
                       json={"action": "accept"}).status_code == 403
    assert client.post(f"/v1/review/records/{team}/fields/visit", headers=REP7,
                       json={"action": "accept"}).status_code == 403


def test_low_confidence_filter_finds_doubtful_records(settings, client):
    doubtful = _store(settings, "doc-a", "rep-07", confidence=0.4)
    _store(settings, "doc-c", "rep-07", confidence=0.95, hospital="常州二院")
    listed = client.get("/v1/review/records?low_confidence=0.6", headers=MANAGER).json()
    assert [r["id"] for r in listed] == [doubtful]
    assert len(client.get("/v1/review/records?hospital=常州", headers=MANAGER).json()) == 1


def test_export_writes_reviewed_records_as_gold_lines(settings, client, tmp_path):
    record_id = _store(settings, "doc-a", "rep-07")
    _store(settings, "doc-b", "rep-07")  # never reviewed: not exported
    client.post(f"/v1/review/records/{record_id}/fields/journey_node", headers=MANAGER,
                json={"action": "correct", "value": "demo_scheduled"})
    env = {"JINNANG_DATA_DIR": str(settings.data_dir), "PATH": "",
           **({"JINNANG_DATABASE_URL": settings.database_url} if settings.database_url else {})}
    out = subprocess.run([sys.executable, "-c", "from jinnang.cli import main; main()", "review", "export"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 1
    assert lines[0]["gold"]["journey_node"] == "demo_scheduled"
    assert lines[0]["gold"]["decision_makers"] == [{"name": "王", "title": "主任", "department": "骨科",
                                                    "organization": None, "role": "clinical_lead"}]


def _item(client, record_id, headers, **body):
    return client.post(f"/v1/review/records/{record_id}/items", headers=headers, json=body)


def test_one_item_is_corrected_without_resending_the_list(settings, client):
    record_id = _store(settings, "doc-a", "rep-07")
    response = _item(client, record_id, MANAGER, field="decision_makers", index=0, action="correct",
                     value={"name": "王建国"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reviewed"]["decision_makers"][0]["name"] == "王建国"
    assert body["reviewed"]["decision_makers"][0]["department"] == "骨科"  # the rest of the person is kept
    assert body["reviewed"]["objections"] == body["machine"]["objections"]
    assert body["items"]["decision_makers"][0]["by"] == "mgr-02" and body["document_id"] == "doc-a"


def test_a_rep_confirms_or_fixes_items_of_their_own_records_only(settings, client):
    mine, theirs = _store(settings, "doc-a", "rep-07"), _store(settings, "doc-b", "rep-08")
    fixed = _item(client, mine, REP7, field="objections", index=0, action="reject")
    assert fixed.status_code == 200 and fixed.json()["reviewed"]["objections"] == []
    refused = _item(client, theirs, REP7, field="objections", index=0, action="accept")
    assert refused.status_code == 403 and refused.json()["field"] == "caller"
    assert _item(client, mine, MANAGER, field="journey_signals", action="accept").status_code == 200
    assert _item(client, theirs, MANAGER, field="journey_signals", action="accept").status_code == 403
    assert _item(client, 999, MANAGER, field="visit", action="accept").status_code == 403


@pytest.mark.parametrize("body,field", [
    ({"field": "colour", "index": 0, "action": "accept"}, "field"),
    ({"field": "objections", "index": 0, "action": "shout"}, "action"),
    ({"field": "objections", "index": 7, "action": "accept"}, "index"),
    ({"field": "objections", "index": "x", "action": "accept"}, "index"),
    ({"field": "objections", "index": 0, "action": "correct", "value": {"category": "weather"}}, "category"),
    ({"field": "key_dates", "action": "add", "value": {"type": "demo", "date": "2026-02-30"}}, "date"),
    ({"field": "objections", "index": 0, "action": "correct", "value": "budget"}, "value"),
])
def test_bad_item_reviews_are_422_in_the_error_shape(settings, client, body, field):
    record_id = _store(settings, "doc-a", "rep-07")
    response = client.post(f"/v1/review/records/{record_id}/items", headers=MANAGER, json=body)
    assert response.status_code == 422, response.text
    assert set(response.json()) >= {"status", "field", "path", "message"} and response.json()["field"] == field


def test_records_are_found_by_their_document(settings, client):
    wanted = _store(settings, "doc-a", "rep-07")
    _store(settings, "doc-b", "rep-07")
    listed = client.get("/v1/review/records?document_id=doc-a", headers=MANAGER).json()
    assert [(r["id"], r["document_id"]) for r in listed] == [(wanted, "doc-a")]
    assert client.get("/v1/review/records?document_id=doc-a", headers=REP8).json() == []
