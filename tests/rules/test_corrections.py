"""A reviewer's correction of one extracted item reaches the account, with who and when kept."""
import datetime as dt

import pytest
from sqlalchemy import create_engine

from jinnang.core.records import DecisionMaker, Evidence, ExtractionRecord, KeyDate, Objection, VisitFacts
from jinnang.rules.accounts import apply_extraction, load_account, transitions
from jinnang.rules.accounts.corrections import apply_correction, corrections_of_account

AT = dt.datetime(2026, 3, 2, 12)
LATER = dt.datetime(2026, 3, 5, 9)
WU = DecisionMaker(name="吴", title="主任", organization="金华市人民医院", role="clinical_lead",
                   evidence=[Evidence(text="吴主任", start=40, end=43, document_id="doc-1")])


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'accounts.db'}")
    record = ExtractionRecord(decision_makers=[WU], objections=[Objection(category="price", evidence="一直用强生")],
                              key_dates=[KeyDate(type="demo", date=dt.date(2026, 3, 20))],
                              visit=VisitFacts(sample_brought=True, evidence=[Evidence(text="带了样品", start=5, end=9,
                                                                                       document_id="doc-1")]),
                              journey_node="first_contact", journey_evidence="首次拜访")
    apply_extraction(engine, "acc-1", record, document_id="doc-1", by="rep-07", at=AT)
    return engine


def _dump(model) -> dict:
    return model.model_dump(mode="json")


def test_a_corrected_department_reaches_the_contact_and_keeps_its_evidence(engine):
    after = {**_dump(WU), "name": "吴国栋", "department": "关节外科"}
    applied = apply_correction(engine, "acc-1", "doc-1", "decision_makers", "correct", _dump(WU), after,
                               by="mgr-02", at=LATER)
    assert applied is not None and applied.changed == ["contact 吴国栋 corrected"]
    contact, = load_account(engine, "acc-1").contacts
    assert (contact.name, contact.department, contact.title) == ("吴国栋", "关节外科", "主任")
    assert [e.text for e in contact.evidence] == ["吴主任"]
    kept, = corrections_of_account(engine, "acc-1")
    assert (kept["by"], kept["at"], kept["field"], kept["after"]["department"]) == ("mgr-02", LATER.isoformat(),
                                                                                   "decision_makers", "关节外科")


def test_a_correction_that_names_a_known_person_merges_the_two_contacts(engine):
    known = ExtractionRecord(decision_makers=[DecisionMaker(name="吴国栋", department="关节外科")])
    apply_extraction(engine, "acc-1", known, document_id="doc-2", by="rep-07", at=AT)
    assert len(load_account(engine, "acc-1").contacts) == 2  # 吴主任 of the hospital and 吴国栋 of 关节外科: not sure yet
    after = {**_dump(WU), "department": "关节外科"}
    apply_correction(engine, "acc-1", "doc-1", "decision_makers", "correct", _dump(WU), after, by="mgr-02", at=LATER)
    assert [(c.name, c.department, c.title) for c in load_account(engine, "acc-1").contacts] == [
        ("吴国栋", "关节外科", "主任")]


def test_a_rejected_person_leaves_the_account_when_only_this_note_named_them(engine):
    apply_correction(engine, "acc-1", "doc-1", "decision_makers", "reject", _dump(WU), None, by="mgr-02", at=LATER)
    assert load_account(engine, "acc-1").contacts == []


def test_objections_are_corrected_or_withdrawn(engine):
    before = {"category": "price", "evidence": "一直用强生"}
    apply_correction(engine, "acc-1", "doc-1", "objections", "correct", before,
                     {"category": "competitor", "evidence": "一直用强生"}, by="mgr-02", at=LATER)
    assert [o.category for o in load_account(engine, "acc-1").open_objections] == ["competitor"]
    apply_correction(engine, "acc-1", "doc-1", "objections", "reject", {"category": "competitor", "evidence": "x"},
                     None, by="mgr-02", at=LATER)
    assert load_account(engine, "acc-1").open_objections == []


def test_a_corrected_key_date_moves_its_field_and_a_rejected_one_clears_it(engine):
    before = {"type": "demo", "date": "2026-03-20"}
    apply_correction(engine, "acc-1", "doc-1", "key_dates", "correct", before, {"type": "demo", "date": "2026-03-27"},
                     by="mgr-02", at=LATER)
    assert load_account(engine, "acc-1").fields.demo_date == dt.date(2026, 3, 27)
    apply_correction(engine, "acc-1", "doc-1", "key_dates", "reject", {"type": "demo", "date": "2026-03-27"}, None,
                     by="mgr-02", at=LATER)
    assert load_account(engine, "acc-1").fields.demo_date is None


def test_visit_facts_are_corrected_in_place(engine):
    visit = load_account(engine, "acc-1").visits[0]
    before = {"sample_brought": True, "questions_resolved": 0, "cross_dept_needs": [], "evidence": []}
    apply_correction(engine, "acc-1", "doc-1", "visit", "correct", before,
                     {**before, "sample_brought": False, "questions_resolved": 2}, by="mgr-02", at=LATER, visit_date=AT.date())
    corrected, = load_account(engine, "acc-1").visits
    assert (corrected.sample_brought, corrected.questions_resolved, corrected.date) == (False, 2, visit.date)


def test_a_corrected_journey_signal_is_proposed_as_the_reviewers_move(engine):
    applied = apply_correction(engine, "acc-1", "doc-1", "journey_signals", "correct",
                               {"journey_node": "first_contact", "journey_evidence": "首次拜访"},
                               {"journey_node": "tender_monitoring", "journey_evidence": "首次拜访，已挂网"},
                               by="mgr-02", at=LATER, visit_date=AT.date())
    assert applied is not None and applied.transition is not None
    moves = [t for t in transitions(engine, "acc-1") if t["source"] == "review:doc-1"]
    assert moves and moves[0]["by"] == "mgr-02" and moves[0]["to_node"] == "tender_monitoring"
    assert load_account(engine, "acc-1").visits[0].notes == "首次拜访，已挂网"


def test_an_account_not_stored_takes_nothing(engine):
    assert apply_correction(engine, "acc-none", "doc-1", "objections", "reject", {"category": "price",
                                                                                  "evidence": "x"}, None, by="m") is None
