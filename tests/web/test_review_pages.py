"""The managers' review pages: the queue lowest confidence first, one record with its evidence, bulk accept."""
import datetime as dt
import re

import pytest
from sqlalchemy.orm import Session

from jinnang.core.records import DecisionMaker, Evidence, ExtractionRecord, Objection
from jinnang.nlp.calibration import record_confidence
from jinnang.nlp.store import records_engine, save_record

TEXT = "见到了关节外科吴主任。吴主任说价格偏高。"


def _record(confidence: float) -> ExtractionRecord:
    return ExtractionRecord(
        decision_makers=[DecisionMaker(name="吴", title="主任", department="关节外科", confidence=confidence,
                                       evidence=[Evidence(text="吴主任", start=7, end=10)])],
        objections=[Objection(category="price", evidence="价格偏高", start=15, end=19)])


def _store(settings, document_id, rep_id, confidence, hospital="金华市人民医院") -> int:
    record = _record(confidence)
    with Session(records_engine(settings)) as session:
        row = save_record(session, document_id=document_id, kind="visit_note", reference_date=dt.date(2026, 3, 2),
                          text=TEXT, record=record, rep_id=rep_id, hospital=hospital)
        session.commit()
        return row.id


@pytest.fixture
def records(web):
    return {"sure": _store(web.settings, "doc-1", "rep-07", 0.9), "doubtful": _store(web.settings, "doc-2", "rep-08", 0.4),
            "west": _store(web.settings, "doc-3", "rep-21", 0.1, hospital="成都一院")}


def test_the_queue_lists_the_teams_records_lowest_confidence_first(web, records):
    page = web.client("demo-manager").get("/review")
    assert page.status_code == 200
    items = re.findall(r'data-testid="review-item" data-record-id="(\d+)"\s+data-confidence="([0-9.]+)"', page.text)
    # a record's confidence is its least sure item's (here the sure one's journey, as calibrated)
    sure = f"{record_confidence(_record(0.9)):.2f}"
    assert float(sure) > 0.4
    assert items == [(str(records["doubtful"]), "0.40"), (str(records["sure"]), sure)]
    assert "成都一院" not in page.text
    filtered = web.client("demo-manager").get("/review?rep=rep-07&field=objections&status=unreviewed&date_from=2026-03-01")
    assert re.findall(r'data-record-id="(\d+)"', filtered.text) == [str(records["sure"])]


def test_another_team_sees_neither_the_records_nor_the_record_page(web, records):
    west = web.client("west-manager")
    assert re.findall(r'data-record-id="(\d+)"', west.get("/review").text) == [str(records["west"])]
    assert west.get(f"/review/{records['sure']}").status_code == 403
    assert west.get("/review?rep=rep-07").status_code == 403
    assert web.client("demo-rep").get("/review").status_code == 403
    assert web.anonymous().get("/review", follow_redirects=False).status_code == 303


def test_one_record_shows_its_evidence_marked_and_item_actions(web, records):
    page = web.client("demo-manager").get(f"/review/{records['doubtful']}")
    assert page.status_code == 200
    assert '<mark data-field="decision_makers" data-index="0">吴主任</mark>' in page.text
    assert '<mark data-field="objections" data-index="0">价格偏高</mark>' in page.text
    assert page.text.count('data-testid="review-field-item"') == 2
    assert f'href="/review/{records["sure"]}"' in page.text  # the next lowest-confidence record
    assert 'href="/v1/documents/doc-2"' in page.text and "/static/review.js" in page.text
    assert web.client("demo-manager").get("/review/999").status_code == 403


def test_an_item_corrected_from_the_page_shows_as_corrected(web, records):
    manager = web.client("demo-manager")
    answer = manager.post(f"/v1/review/records/{records['sure']}/items", headers={"X-CSRF-Token": manager.csrf},
                          json={"field": "objections", "index": 0, "action": "correct",
                                "value": {"category": "budget"}})
    assert answer.status_code == 200, answer.text
    page = manager.get(f"/review/{records['sure']}")
    assert 'data-field="objections"\n           data-index="0" data-status="corrected"' in page.text
    without_token = manager.post(f"/v1/review/records/{records['sure']}/items",
                                 json={"field": "objections", "index": 0, "action": "accept"})
    assert without_token.status_code == 403


def test_bulk_accept_needs_the_csrf_token_and_accepts_only_the_teams_records(web, records):
    manager = web.client("demo-manager")
    ids = [str(records["sure"]), str(records["west"])]
    assert manager.post("/review/accept", data={"record": ids}).status_code == 403
    done = manager.post("/review/accept", data={"record": ids, "csrf": manager.csrf, "back": "?status=unreviewed"},
                        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/review?status=unreviewed&accepted=1"
    left = manager.get("/review?status=unreviewed")
    assert re.findall(r'data-record-id="(\d+)"', left.text) == [str(records["doubtful"])]
    west = web.client("west-manager").get("/review?status=unreviewed")
    assert re.findall(r'data-record-id="(\d+)"', west.text) == [str(records["west"])]
