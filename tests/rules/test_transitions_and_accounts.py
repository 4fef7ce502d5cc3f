"""Evidence-gated moves, entry triggers, signing-date lock and accounts fed by extraction (real SQLite)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from jinnang.core.db import open_engine
from jinnang.core.errors import InputError
from jinnang.core.records import DecisionMaker, Evidence, ExtractionRecord, KeyDate, Objection, VisitFacts
from jinnang.core.workdays import add_workdays
from jinnang.rules import accounts as store
from jinnang.rules.journey import adjust_signing_date, propose_transition, record_document
from jinnang.rules.models import Document

D = dt.datetime


@pytest.fixture
def engine(settings):
    return open_engine(settings.db_url)


@pytest.fixture
def stored(engine, account, h):
    """The healthy account stored at trial_confirmation_signed, without any ticket."""
    h.in_node(account, "trial_confirmation_signed", D(2026, 3, 10, 10))
    account["service_tickets"] = []
    store.upsert_account(engine, h.snapshot(account))
    return account


# ---------------------------------------------------------------- gate


def test_move_refused_without_target_evidence_says_what_is_missing(account, h):
    h.in_node(account, "trial_confirmation_signed", D(2026, 3, 10, 10))
    account["documents"] = [d for d in account["documents"] if d["type"] != "trial_consent"]
    outcome = propose_transition(h.snapshot(account), "trial_in_progress", by="rep-07", at=D(2026, 3, 17, 9))
    assert not outcome.accepted and [m["key"] for m in outcome.missing] == ["trial_consent"]
    assert "试用同意书扫描件" in outcome.message and outcome.account.journey_node == "trial_confirmation_signed"


def test_rep_cannot_simply_pick_a_later_stage(account, h):
    h.in_node(account, "first_contact", D(2026, 3, 10, 10))
    account["documents"] = []
    outcome = propose_transition(h.snapshot(account), "legal_review", by="rep-07", at=D(2026, 3, 17, 9))
    assert not outcome.accepted and [m["key"] for m in outcome.missing] == ["contract_draft"]


def test_accepted_move_records_who_when_and_which_evidence(account, h):
    h.in_node(account, "committee_approved", D(2026, 3, 10, 10))
    at = D(2026, 3, 17, 9)
    outcome = propose_transition(h.snapshot(account), "health_commission_filing", by="rep-07", at=at)
    assert outcome.accepted and outcome.record.by == "rep-07" and outcome.record.at == at
    assert outcome.record.evidence == [{"kind": "field", "key": "health_commission_filing_no", "value": "杭卫备〔2026〕0001号"}]
    assert outcome.account.journey_node == "health_commission_filing" and outcome.account.node_entered_at == at


def test_moving_back_checks_only_the_target_node(account, h):
    h.in_node(account, "admission_filing", D(2026, 3, 10, 10))
    account["documents"] = []           # the current node's form is gone: irrelevant for going back
    account["contacts"] = []
    assert propose_transition(h.snapshot(account), "first_contact", by="rep-07", at=D(2026, 3, 17, 9)).accepted is False
    account["contacts"] = [{"name": "钱", "department": "设备科", "role": "equipment_dept"}]
    assert propose_transition(h.snapshot(account), "first_contact", by="rep-07", at=D(2026, 3, 17, 9)).accepted


def test_unknown_target_node_is_an_input_error(account, h):
    with pytest.raises(InputError) as err:
        propose_transition(h.snapshot(account), "negotiation", by="rep-07")
    assert err.value.field == "to_node"


# ---------------------------------------------------------------- triggers


def test_entering_trial_creates_exactly_one_work_order_and_tells_the_rep(engine, stored):
    at = D(2026, 3, 17, 9)
    first = store.move_account(engine, "acc-t1", "trial_in_progress", "rep-07", at, event_id="crm-evt-1")
    assert first.accepted and len(first.work_orders) == 1
    wo = first.work_orders[0]
    assert (wo.customer, wo.device_model, wo.expected_start.isoformat()) == ("测试市第一人民医院", "KL-300", "2026-01-20")
    assert wo.engineer_phone == "138-0571-0001" and first.rep_messages[0].startswith("服务已就绪")
    again = store.move_account(engine, "acc-t1", "trial_in_progress", "rep-07", at, event_id="crm-evt-1")
    same = store.move_account(engine, "acc-t1", "trial_in_progress", "rep-07", at + dt.timedelta(hours=1))
    assert again.work_orders == [] and same.work_orders == []
    assert len(store.work_orders(engine, "acc-t1")) == 1
    # the stored open work order means no create_service_ticket suggestion
    from jinnang.rules.next_action import suggest
    assert "create_service_ticket" not in [s.action for s in suggest(store.load_account(engine, "acc-t1"), at).suggestions]


def test_refused_moves_are_recorded_too(engine, stored, h):
    stored["fields"].pop("committee_meeting_date")
    store.upsert_account(engine, h.snapshot(stored))
    store.move_account(engine, "acc-t1", "committee_scheduled", "rep-07", D(2026, 3, 17, 9))
    history = store.transitions(engine, "acc-t1")
    assert history[-1]["accepted"] is False and history[-1]["to_node"] == "committee_scheduled"
    assert history[-1]["missing"][0]["key"] == "committee_meeting_date" and history[-1]["by"] == "rep-07"
    assert store.load_account(engine, "acc-t1").journey_node == "trial_confirmation_signed"


def test_stamped_draft_upload_locks_signing_date_and_person_may_move_it_three_days(account, h):
    h.in_node(account, "legal_review", D(2026, 4, 20, 10))
    draft = Document(type="contract_draft", uploaded_at=D(2026, 4, 29, 15), stamped_by_both=True)
    snap, locked = record_document(h.snapshot(account), draft)
    assert locked.predicted == dt.date(2026, 5, 12) and snap.signing_date == locked
    moved = adjust_signing_date(snap, dt.date(2026, 5, 15), by="mgr-02")
    assert moved.predicted == dt.date(2026, 5, 15) and moved.adjusted_by == "mgr-02"
    with pytest.raises(InputError):
        adjust_signing_date(snap, dt.date(2026, 5, 16), by="mgr-02")


def test_workdays_cross_spring_festival_and_fall_back_to_weekends_with_warning():
    warnings: list[str] = []
    assert add_workdays(dt.date(2026, 2, 10), 7, warnings) == dt.date(2026, 2, 26)   # counts make-up Sat 2/14
    assert warnings == []
    assert add_workdays(dt.date(2031, 1, 30), 7, warnings) == dt.date(2031, 2, 10)    # a year the calendar lacks
    assert warnings and "2031" in warnings[0]


# ---------------------------------------------------------------- extraction → account


def _note(**kw) -> ExtractionRecord:
    return ExtractionRecord(**kw)


def test_extraction_updates_contacts_objections_visits_and_fields(engine):
    record = _note(decision_makers=[DecisionMaker(name="章文斌", title="主任", department="骨科", role="clinical_lead")],
                   objections=[Objection(category="price", evidence="主任嫌贵")],
                   key_dates=[KeyDate(type="demo", date=dt.date(2026, 3, 20))],
                   visit=VisitFacts(sample_brought=True, questions_resolved=1))
    applied = store.apply_extraction(engine, "acc-n1", record, document_id="doc-1", by="rep-07", at=D(2026, 3, 12, 15))
    assert applied.created and applied.contacts_added == ["章文斌"] and applied.objections_opened == ["price"]
    acc = store.load_account(engine, "acc-n1")
    assert acc.contacts[0].department == "骨科" and acc.visits[0].sample_brought
    assert acc.fields.demo_date == dt.date(2026, 3, 20) and acc.open_objections[0].category == "price"
    assert store.apply_extraction(engine, "acc-n1", record, document_id="doc-1", by="rep-07").already_applied
    assert len(store.load_account(engine, "acc-n1").visits) == 1


def test_an_extracted_contact_and_visit_keep_everything_the_note_said(engine):
    said = Evidence(text="浙江省人民医院王科长", start=3, end=13, document_id="doc-1")
    dm = DecisionMaker(name="王", title="科长", organization="浙江省人民医院", role="equipment_dept",
                       confidence=0.8, evidence=[said])
    visit = VisitFacts(questions_resolved=2, evidence=[Evidence(text="现场解答了两个问题", start=20, end=29)])
    store.apply_extraction(engine, "acc-n4", _note(decision_makers=[dm], visit=visit), document_id="doc-1",
                           by="rep-07", at=D(2026, 3, 2, 10))
    acc = store.load_account(engine, "acc-n4")
    contact = acc.contacts[0]
    assert isinstance(contact, DecisionMaker) and isinstance(acc.visits[0], VisitFacts)
    assert (contact.organization, contact.department, contact.confidence) == ("浙江省人民医院", "浙江省人民医院", 0.8)
    assert contact.evidence == [said] and acc.visits[0].evidence == visit.evidence
    # a later note adds to the contact; nothing said before is dropped
    again = Evidence(text="设备科王科长", document_id="doc-2")
    updated = store.apply_extraction(engine, "acc-n4", _note(decision_makers=[DecisionMaker(name="王", department="设备科",
                                                                                            evidence=[again])]),
                                     document_id="doc-2", by="rep-07", at=D(2026, 3, 9, 10))
    assert updated.contacts_updated == ["王"]
    contact = store.load_account(engine, "acc-n4").contacts[0]
    assert (contact.department, contact.organization, contact.role, contact.title) == ("设备科", "浙江省人民医院",
                                                                                     "equipment_dept", "科长")
    assert contact.evidence == [said, again]


def test_later_note_saying_resolved_closes_the_objection(engine):
    store.apply_extraction(engine, "acc-n2", _note(objections=[Objection(category="service", evidence="担心冷链")]),
                           document_id="doc-1", by="rep-07", at=D(2026, 3, 2, 10))
    closed = store.apply_extraction(engine, "acc-n2",
                                    _note(objections=[Objection(category="service", evidence="冷链方案讲清楚后打消了顾虑")]),
                                    document_id="doc-2", by="rep-07", at=D(2026, 3, 9, 10))
    assert closed.objections_closed == ["service"] and store.load_account(engine, "acc-n2").open_objections == []


def test_journey_signal_is_only_a_proposal_the_gate_decides(engine):
    dm = DecisionMaker(name="鲍", title="科长", department="设备科", role="equipment_dept")
    refused = store.apply_extraction(engine, "acc-n3", _note(decision_makers=[dm], journey_node="demo_scheduled"),
                                     document_id="doc-1", by="rep-07", at=D(2026, 3, 2, 10))
    assert refused.transition is not None and not refused.transition.accepted   # no demo date yet
    assert store.load_account(engine, "acc-n3").journey_node == "first_contact"
    accepted = store.apply_extraction(engine, "acc-n3", _note(key_dates=[KeyDate(type="demo", date=dt.date(2026, 3, 12))],
                                                              journey_node="demo_scheduled"),
                                      document_id="doc-2", by="rep-07", at=D(2026, 3, 4, 10))
    assert accepted.transition.accepted and store.load_account(engine, "acc-n3").journey_node == "demo_scheduled"
    assert store.transitions(engine, "acc-n3")[-1]["source"] == "extraction:doc-2"


def test_uploaded_document_counts_as_evidence(engine, stored):
    store.move_account(engine, "acc-t1", "trial_in_progress", "rep-07", D(2026, 3, 11, 9))
    with Session(engine) as session:
        store.apply_extraction(session, "acc-t1", _note(), document_id="doc-fb", document_type="trial_feedback",
                               by="rep-07", at=D(2026, 3, 12, 9))
        session.commit()
    docs = [d for d in store.load_account(engine, "acc-t1").documents if d.id == "doc-fb"]
    assert docs and docs[0].type == "trial_feedback"


# ---------------------------------------------------------------- PHI and forecast accuracy from stored history


def test_monthly_phi_from_stored_data_names_the_weakest_node(engine, account, h):
    for i, node in enumerate(["admission_filing", "admission_filing", "multi_dept_review"]):
        a = h.in_node(dict(account, account_id=f"acc-p{i}"), node, D(2026, 2, 1, 9))
        a["visits"] = [{"date": "2026-03-02" if node == "multi_dept_review" else "2026-02-01",
                        "questions_resolved": 0}]
        store.upsert_account(engine, h.snapshot(a))
    alerts = store.scan_stalls(engine, D(2026, 3, 10, 9))
    assert {a["account_id"] for a in alerts} == {"acc-p0", "acc-p1"}     # multi_dept_review: 8 d < 21 d
    store.scan_stalls(engine, D(2026, 3, 11, 9))                         # same episodes, recorded once
    phi = store.process_health_index(engine, "mgr-02", {"rep-07"}, "2026-03")
    assert phi.components[1].input == {"resolved": 0, "stalled": 2}
    assert phi.value < 65 and phi.details["weakest_node"] == "admission_filing"
    assert "院内准入申报" in phi.details["diagnosis"]


def test_forecast_accuracy_by_segment(engine, account, h):
    h.in_node(account, "legal_review", D(2026, 4, 20, 10))
    store.upsert_account(engine, h.snapshot(account))
    store.add_document(engine, "acc-t1", Document(type="contract_draft", uploaded_at=D(2026, 4, 29, 15), stamped_by_both=True))
    assert store.load_account(engine, "acc-t1").signing_date.predicted == dt.date(2026, 5, 12)
    store.move_account(engine, "acc-t1", "contract_signed", "rep-07", D(2026, 5, 14, 10))
    result = store.signing_forecasts(engine)
    assert result.details["segments"]["三甲"] == {"n": 1, "mean_abs_days": 2.0, "median_abs_days": 2, "max_abs_days": 2}
