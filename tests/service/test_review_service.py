"""Reviewing one item at a time: the record keeps the machine output, the account takes the correction."""
import datetime as dt

import pytest
from sqlalchemy.orm import Session

from jinnang.core.access import Viewer
from jinnang.core.db import open_engine
from jinnang.core.errors import InputError
from jinnang.core.records import DecisionMaker, Evidence, ExtractionRecord, KeyDate, Objection
from jinnang.nlp.store import records_engine, reviewed_record, save_record
from jinnang.rules.accounts import apply_extraction, load_account
from jinnang.service import review

TEXT = "经张医生引荐，见到了关节外科吴主任。吴主任说价格偏高。约了3月20日演示。"
MANAGER = Viewer(role="manager", subject="mgr-02", team=frozenset({"rep-07"}))
OTHER_MANAGER = Viewer(role="manager", subject="mgr-09", team=frozenset({"rep-21"}))


@pytest.fixture
def record_id(settings) -> int:
    record = ExtractionRecord(
        decision_makers=[DecisionMaker(name="吴", title="主任", organization="金华市人民医院", role="clinical_lead",
                                       confidence=0.55, evidence=[Evidence(text="吴主任", start=14, end=17,
                                                                           document_id="doc-1")])],
        objections=[Objection(category="competitor", evidence="价格偏高", start=22, end=26, confidence=0.6)],
        key_dates=[KeyDate(type="demo", date=dt.date(2026, 3, 20), evidence="3月20日", start=29, end=34)])
    with Session(records_engine(settings)) as session:
        row = save_record(session, document_id="doc-1", kind="visit_note", reference_date=dt.date(2026, 3, 2),
                          text=TEXT, record=record, rep_id="rep-07", account_id="acc-1", hospital="金华市人民医院")
        apply_extraction(session, "acc-1", record, document_id="doc-1", by="rep-07", at=dt.datetime(2026, 3, 2, 12))
        session.commit()
        return row.id


def test_correcting_one_person_keeps_the_others_and_reaches_the_account(settings, record_id):
    answer = review.review_item(settings, MANAGER, record_id, "decision_makers", 0, "correct",
                                {"department": "关节外科"}, by="mgr-02")
    person = answer["reviewed"]["decision_makers"][0]
    assert person["department"] == "关节外科" and person["evidence"][0]["start"] == 14  # evidence kept
    assert answer["reviewed"]["objections"] == answer["machine"]["objections"]  # nothing else re-sent or lost
    assert answer["machine"]["decision_makers"][0]["department"] is None
    assert (answer["review_status"], answer["reviewed_by"]) == ("corrected", "mgr-02")
    assert answer["items"]["decision_makers"][0]["status"] == "corrected"
    contact, = load_account(open_engine(settings.db_url), "acc-1").contacts
    assert contact.department == "关节外科"


def test_a_corrected_objection_with_new_evidence_drops_the_old_offsets(settings, record_id):
    answer = review.review_item(settings, MANAGER, record_id, "objections", 0, "correct",
                                {"category": "price", "evidence": "价格偏高了"}, by="mgr-02")
    fixed = answer["reviewed"]["objections"][0]
    assert (fixed["category"], fixed["start"], fixed["end"]) == ("price", None, None)
    assert [o.category for o in load_account(open_engine(settings.db_url), "acc-1").open_objections] == ["price"]


def test_rejected_and_added_items_keep_stable_indexes(settings, record_id):
    review.review_item(settings, MANAGER, record_id, "key_dates", 0, "reject", None, by="mgr-02")
    answer = review.review_item(settings, MANAGER, record_id, "key_dates", None, "add",
                                {"type": "trial_start", "date": "2026-04-01"}, by="mgr-02")
    assert [i["status"] for i in answer["items"]["key_dates"]] == ["rejected", "added"]
    assert answer["reviewed"]["key_dates"] == [{"type": "trial_start", "date": "2026-04-01", "evidence": None,
                                                "start": None, "end": None, "confidence": 1.0,
                                                "document_id": None, "page": None}]
    fields = load_account(open_engine(settings.db_url), "acc-1").fields
    assert fields.demo_date is None and fields.trial_start == dt.date(2026, 4, 1)
    with Session(records_engine(settings)) as session:
        from jinnang.nlp.store import ExtractionRow

        assert [d["type"] for d in reviewed_record(session, session.get(ExtractionRow, record_id))["key_dates"]] == [
            "trial_start"]


@pytest.mark.parametrize("field,index,action,value,named", [
    ("decision_makers", 5, "accept", None, "index"),
    ("decision_makers", None, "correct", {"name": "王"}, "index"),
    ("objections", 0, "correct", {"category": "weather"}, "category"),
    ("key_dates", 0, "correct", {"date": "2026-02-30"}, "date"),
    ("visit", None, "accept", None, "index"),
    ("journey_signals", None, "add", {"journey_node": ""}, "journey_node"),
    ("colour", 0, "accept", None, "field"),
])
def test_bad_item_reviews_name_their_field(settings, record_id, field, index, action, value, named):
    with pytest.raises(InputError) as refused:
        review.review_item(settings, MANAGER, record_id, field, index, action, value, by="mgr-02")
    assert refused.value.field == named


def test_another_teams_manager_cannot_see_or_review(settings, record_id):
    with pytest.raises(review.NotVisible) as refused:
        review.review_item(settings, OTHER_MANAGER, record_id, "objections", 0, "accept", None, by="mgr-09")
    assert refused.value.exists
    assert review.queue(settings, OTHER_MANAGER, review.RecordFilters()) == []


def test_bulk_accept_marks_records_accepted_and_the_page_marks_evidence(settings, record_id):
    assert review.bulk_accept(settings, OTHER_MANAGER, [record_id], by="mgr-09") == 0
    assert review.bulk_accept(settings, MANAGER, [record_id], by="mgr-02") == 1
    view = review.record_page(settings, MANAGER, record_id)
    assert view["record"]["review_status"] == "accepted"
    marked = {(s["field"], s["text"]) for s in view["segments"] if s["field"]}
    assert marked == {("decision_makers", "吴主任"), ("objections", "价格偏高"), ("key_dates", "3月20日")}
    assert "".join(s["text"] for s in view["segments"]) == TEXT


def test_the_queue_is_lowest_confidence_first_and_filters_by_field(settings, record_id):
    with Session(records_engine(settings)) as session:
        save_record(session, document_id="doc-2", kind="visit_note", reference_date=dt.date(2026, 3, 9), text="设备科",
                    record=ExtractionRecord(key_dates=[KeyDate(type="demo", date=dt.date(2026, 3, 30),
                                                               confidence=0.3)]), rep_id="rep-07")
        session.commit()
    assert [i["confidence"] for i in review.queue(settings, MANAGER, review.RecordFilters())] == [0.3, 0.55]
    assert [i["id"] for i in review.queue(settings, MANAGER, review.RecordFilters(field="objections"))] == [record_id]


def test_a_list_page_reads_all_its_records_corrections_in_one_query(settings, record_id):
    """Same answer as one record at a time (corrections in order, other teams' records left out), with a
    number of queries that does not grow with the page."""
    from sqlalchemy import event

    with Session(records_engine(settings)) as session:
        for n in range(2, 7):
            save_record(session, document_id=f"doc-{n}", kind="visit_note", reference_date=dt.date(2026, 3, n),
                        text=TEXT, record=ExtractionRecord(), rep_id="rep-21" if n == 3 else "rep-07")
        session.commit()
    review.review_item(settings, MANAGER, record_id, "decision_makers", 0, "correct", {"department": "骨科"}, by="mgr-02")
    review.review_item(settings, MANAGER, record_id, "objections", 0, "reject", None, by="mgr-02")
    fourth = review.queue(settings, MANAGER, review.RecordFilters(document_id="doc-4"))[0]["id"]
    review.review_item(settings, MANAGER, fourth, "visit", None, "correct", {"sample_brought": True}, by="mgr-02")
    engine = records_engine(settings)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with Session(engine) as session:
        event.listen(engine, "before_cursor_execute", note)
        try:
            rows = review.find_records(session, MANAGER, review.RecordFilters(), order="date", limit=5)
            page = review.public_records(session, rows)
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert len(statements) == 2  # the records, then every listed record's corrections
        assert page == [review.public_record(session, row) for row in rows]
    assert [r["document_id"] for r in page] == ["doc-6", "doc-5", "doc-4", "doc-2", "doc-1"]  # doc-3: another team's
    assert [c["field"] for c in page[2]["corrections"]] == ["visit"]
    assert [(c["field"], c["action"]) for c in page[4]["corrections"]] == [("decision_makers", "correct"),
                                                                           ("objections", "reject")]
    assert page[4]["items"]["objections"][0]["status"] == "rejected"
