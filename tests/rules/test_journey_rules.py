"""Every rule of shared/spec/journey.md, each with a test that fails if the rule is removed."""
from __future__ import annotations

import datetime as dt

import pytest

from jinnang.rules.config import default_ruleset

RULES = default_ruleset()
D = dt.datetime


# ---------------------------------------------------------------- evidence per node (table of journey.md)

EVIDENCE = {
    "first_contact": ("contacts", None, "客户联系人及其科室"),
    "tender_monitoring": ("fields", "tender_notice_no", "招标公告链接或编号"),
    "demo_scheduled": ("fields", "demo_date", "演示日期"),
    "admission_filing": ("documents", "admission_filing_form", "院内准入申报表"),
    "trial_confirmation_signed": ("documents", "trial_confirmation", "签字的试用确认书（PDF）"),
    "trial_in_progress": ("documents", "trial_consent", "试用同意书扫描件"),
    "multi_dept_review": ("documents", "trial_feedback", "试用反馈表"),
    "committee_scheduled": ("fields", "committee_meeting_date", "院采委会议日期"),
    "committee_approved": ("documents", "committee_resolution", "院采委决议文件"),
    "health_commission_filing": ("fields", "health_commission_filing_no", "卫健委备案号"),
    "legal_review": ("documents", "contract_draft", "合同草稿"),
    "contract_signed": ("documents", "signed_contract", "签署的合同"),
}


def test_default_journey_has_the_twelve_nodes_in_order():
    assert [n.id for n in RULES.nodes] == list(EVIDENCE)


@pytest.mark.parametrize("node", list(EVIDENCE))
def test_missing_node_evidence_asks_for_upload_naming_it(node, account, h):
    h.in_node(account, node, D(2026, 3, 16, 10))
    assert "upload_missing_evidence" not in h.actions(account)
    kind, key, label = EVIDENCE[node]
    if kind == "documents":
        account["documents"] = [d for d in account["documents"] if d["type"] != key]
    elif kind == "fields":
        del account["fields"][key]
    else:
        for c in account["contacts"]:
            c["department"] = None
    found = [s for s in h.response(account).suggestions if s.action == "upload_missing_evidence"]
    assert found and label in found[0].reason


@pytest.mark.parametrize("key", ["trial_start", "trial_end", "responsible_doctor", "responsible_doctor_title"])
def test_trial_confirmation_needs_period_and_titled_doctor(key, account, h):
    h.in_node(account, "trial_confirmation_signed", D(2026, 3, 16, 10))
    del account["fields"][key]
    assert "upload_missing_evidence" in h.actions(account)


def test_demo_needs_an_equipment_dept_contact(account, h):
    h.in_node(account, "demo_scheduled", D(2026, 3, 16, 10))
    account["contacts"] = [c for c in account["contacts"] if c["role"] != "equipment_dept"]
    found = [s for s in h.response(account).suggestions if s.action == "upload_missing_evidence"]
    assert found and "设备科联系人" in found[0].reason


def test_passed_nodes_are_not_rechecked(account, h):
    h.in_node(account, "committee_scheduled", D(2026, 3, 16, 10))
    account["documents"] = [d for d in account["documents"] if d["type"] != "admission_filing_form"]
    assert "upload_missing_evidence" not in h.actions(account)


def test_unrelated_document_types_are_ignored(account, h):
    h.in_node(account, "admission_filing", D(2026, 3, 16, 10))
    account["documents"] = [{"type": "software_copyright_certificate", "uploaded_at": "2026-03-16T09:00:00"}]
    assert "upload_missing_evidence" in h.actions(account)


# ---------------------------------------------------------------- 预算批复文号


def test_budget_number_with_wrong_brackets_is_a_business_rule_not_a_422(account, h):
    account["fields"]["budget_approval_no"] = "浙卫采(2026)31号"
    found = [s for s in h.response(account).suggestions if s.action == "upload_missing_evidence"]
    assert found and "预算批复文号" in found[0].reason


def test_budget_number_required_for_public_hospital(account, h):
    del account["fields"]["budget_approval_no"]
    assert "upload_missing_evidence" in h.actions(account)


def test_budget_number_not_checked_for_private_hospital(account, h):
    account["is_public"] = False
    account["fields"]["budget_approval_no"] = "whatever"
    assert "upload_missing_evidence" not in h.actions(account)
    del account["fields"]["budget_approval_no"]
    assert "upload_missing_evidence" not in h.actions(account)


def test_province_without_pattern_is_not_pattern_checked(account, h):
    account["province"] = "江苏"
    account["fields"]["budget_approval_no"] = "苏卫财〔2026〕58号"
    assert "upload_missing_evidence" not in h.actions(account)


def test_province_without_pattern_is_not_checked_even_when_the_number_is_missing(account, h):
    account["province"] = "江苏"
    del account["fields"]["budget_approval_no"]
    assert "upload_missing_evidence" not in h.actions(account)


def test_province_written_with_its_suffix_still_finds_its_pattern(account, h):
    account["province"] = "浙江省"
    account["fields"]["budget_approval_no"] = "浙卫采(2026)31号"
    assert "upload_missing_evidence" in h.actions(account)


# ---------------------------------------------------------------- stall: node AND time


def test_stall_fires_only_on_node_and_time(account, h):
    # a year without an update in a node with no stall rule never alerts
    h.in_node(account, "contract_signed", D(2025, 3, 1, 10))
    assert h.response(account, D(2026, 3, 18, 9)).alerts == []
    # demo_scheduled: 71 h idle is fine, 73 h stalls
    h.in_node(account, "demo_scheduled", D(2026, 3, 15, 10))
    assert h.response(account, D(2026, 3, 18, 9)).alerts == []
    alert = h.response(account, D(2026, 3, 18, 11)).alerts[0]
    assert alert.node == "demo_scheduled" and alert.limit_hours == 72


def test_stalled_demo_asks_rep_and_manager_to_confirm_and_escalates(account, h):
    h.in_node(account, "demo_scheduled", D(2026, 3, 12, 10))
    res = h.response(account, D(2026, 3, 16, 10))
    by_action = {s.action: s for s in res.suggestions}
    assert by_action["confirm_demo_time"].notify == ["rep-07", "mgr-02"]
    assert by_action["confirm_demo_time"].message == "请确认演示时间是否变更？若已取消，请选择新节点"
    assert "96 小时" in by_action["confirm_demo_time"].reason and "72 小时" in by_action["confirm_demo_time"].reason
    assert "escalate_to_manager" in by_action
    assert res.alerts[0].notify == ["rep-07", "mgr-02"]


@pytest.mark.parametrize("node,limit_days,manager", [
    ("first_contact", 14, False), ("tender_monitoring", 30, False), ("admission_filing", 15, True),
    ("trial_confirmation_signed", 7, False), ("multi_dept_review", 21, True), ("committee_scheduled", 30, True),
    ("committee_approved", 15, False), ("health_commission_filing", 30, False), ("legal_review", 10, True),
])
def test_stall_limits_and_who_is_told(node, limit_days, manager, account, h):
    entered = D(2026, 1, 1, 9)
    h.in_node(account, node, entered)
    just_under = entered + dt.timedelta(days=limit_days) - dt.timedelta(hours=1)
    assert h.response(account, just_under).alerts == []
    past = entered + dt.timedelta(days=limit_days, hours=1)
    res = h.response(account, past)
    assert res.alerts and res.alerts[0].notify == (["rep-07", "mgr-02"] if manager else ["rep-07"])
    assert ("escalate_to_manager" in [s.action for s in res.suggestions]) == manager


def test_admission_filing_stall_marks_the_account_red(account, h):
    h.in_node(account, "admission_filing", D(2026, 1, 1, 9))
    assert h.response(account, D(2026, 1, 17, 9)).alerts[0].mark == "red"


def test_trial_stall_counts_days_without_a_visit_not_edits(account, h):
    h.in_node(account, "trial_in_progress", D(2026, 3, 1, 9))
    account["last_updated_at"] = "2026-03-17T09:00:00"   # edits keep coming, nobody visits
    res = h.response(account, D(2026, 3, 16, 10))
    assert res.alerts and res.alerts[0].node == "trial_in_progress"
    account["visits"].append({"date": "2026-03-10", "questions_resolved": 1})
    assert h.response(account, D(2026, 3, 16, 10)).alerts == []


# ---------------------------------------------------------------- triggers (snapshot side)


def test_trial_without_open_ticket_suggests_service_ticket_with_engineer(account, h):
    h.in_node(account, "trial_in_progress", D(2026, 3, 17, 10))
    account["service_tickets"] = []
    found = [s for s in h.response(account).suggestions if s.action == "create_service_ticket"]
    assert found and "138-0571-0001" in found[0].message   # 浙江 → the engineer configured for 浙江


def test_open_ticket_means_no_service_ticket_suggestion(account, h):
    h.in_node(account, "trial_in_progress", D(2026, 3, 17, 10))
    account["service_tickets"] = [{"id": "st-9", "status": "open"}]
    assert "create_service_ticket" not in h.actions(account)
    account["service_tickets"] = [{"id": "st-9", "status": "closed"}]
    assert "create_service_ticket" in h.actions(account)


def test_stamped_draft_in_legal_review_locks_signing_date_seven_working_days_on(account, h):
    h.in_node(account, "legal_review", D(2026, 4, 27, 10))
    account["documents"].append({"type": "contract_draft", "uploaded_at": "2026-04-29T15:00:00", "stamped_by_both": True})
    found = [s for s in h.response(account, D(2026, 4, 30, 9)).suggestions if s.action == "lock_signing_date"]
    # 4/30, then 劳动节 5/1–5/5 off, 5/9 is a make-up working day: 4/30, 5/6, 5/7, 5/8, 5/9, 5/11, 5/12
    assert found and found[0].details["predicted_signing_date"] == "2026-05-12"
    assert found[0].details["earliest"] == "2026-05-09" and found[0].details["latest"] == "2026-05-15"


def test_draft_stamped_by_one_party_locks_nothing(account, h):
    h.in_node(account, "legal_review", D(2026, 4, 27, 10))
    assert "lock_signing_date" not in h.actions(account, D(2026, 4, 30, 9))


def test_lock_applies_only_in_legal_review(account, h):
    h.in_node(account, "health_commission_filing", D(2026, 4, 27, 10))
    account["documents"].append({"type": "contract_draft", "uploaded_at": "2026-04-29T15:00:00", "stamped_by_both": True})
    assert "lock_signing_date" not in h.actions(account, D(2026, 4, 30, 9))


# ---------------------------------------------------------------- scores


def test_visit_quality_formula_cap_and_flag(account, h):
    from jinnang.rules.models import Visit
    rule = RULES.scores.visit_quality
    f = rule.function()
    assert f(Visit(date="2026-03-01", questions_resolved=1, cross_dept_needs=["compliance_docs"]), rule).value == 4
    assert f(Visit(date="2026-03-01", questions_resolved=1, sample_brought=True), rule).value == 5
    assert f(Visit(date="2026-03-01", questions_resolved=5, sample_brought=True), rule).value == 10   # cap
    account["visits"][-1] = {"date": "2026-03-16", "questions_resolved": 1, "cross_dept_needs": ["compliance_docs"]}
    assert "coach_visit" in h.actions(account)
    account["visits"][-1]["sample_brought"] = True
    assert "coach_visit" not in h.actions(account)


def test_customer_health_scaling_is_exactly_the_spec(account, h):
    # 2 visits in 30 days → 50; 3 of 5 roles → 60; 1 of 2 orders on time → 50; node 8 of 12 → 66.7
    account["visits"] = account["visits"][-2:]
    account["contacts"] = account["contacts"][:3]
    account["orders"][0]["delivered"] = "2025-10-05"
    health = h.response(account).scores["customer_health"]["value"]
    assert health == pytest.approx(50 * .2 + 60 * .3 + 50 * .25 + 8 / 12 * 100 * .25, abs=0.06)


def test_health_without_orders_renormalises_the_other_weights(account, h):
    account["orders"] = []
    health = h.response(account).scores["customer_health"]["value"]
    assert health == pytest.approx((100 * .2 + 100 * .3 + 8 / 12 * 100 * .25) / .75, abs=0.06)


def test_committee_contact_covers_the_procurement_slot(account, h):
    account["contacts"][2]["role"] = "committee"
    assert "cover_missing_role" not in h.actions(account)
    account["contacts"][2]["role"] = "it"
    assert "cover_missing_role" in h.actions(account)


def test_missing_roles_listed_most_important_first(account, h):
    account["contacts"] = [c for c in account["contacts"] if c["role"] in ("clinical_lead", "procurement")]
    found = [s for s in h.response(account).suggestions if s.action == "cover_missing_role"][0]
    assert found.details["missing_roles"] == ["equipment_dept", "hospital_leader", "finance"]


def _cold(account: dict) -> dict:
    account["visits"] = [{"date": "2026-01-20", "questions_resolved": 2}]
    account["orders"] = [{"due": "2025-10-01", "delivered": "2025-10-20"}]
    return account


def test_health_below_60_starts_wakeup_plan(account, h):
    _cold(account)                            # 0 + 30 + 0 + 16.7 = 46.7
    res = h.response(account)
    assert "start_wakeup_plan" in [s.action for s in res.suggestions]
    assert "远程专家会诊" in [s for s in res.suggestions if s.action == "start_wakeup_plan"][0].message


def test_health_below_40_is_high_risk_and_escalates(account, h):
    _cold(account)
    assert "escalate_to_manager" not in h.actions(account)     # 46.7: wake-up, not high-risk
    account["contacts"] = account["contacts"][:1]              # 0 + 6 + 0 + 16.7 = 22.7
    assert {"escalate_to_manager", "start_wakeup_plan"} <= set(h.actions(account))


def test_stall_beyond_twice_the_limit_is_high_risk_even_on_rep_only_nodes(account, h):
    h.in_node(account, "first_contact", D(2026, 1, 1, 9))
    account["visits"] = [{"date": "2026-01-01", "questions_resolved": 2}]
    assert "escalate_to_manager" not in h.actions(account, D(2026, 1, 20, 9))   # 19 d > 14 d, < 28 d
    assert "escalate_to_manager" in h.actions(account, D(2026, 1, 30, 9))       # 29 d > 2 × 14 d


# ---------------------------------------------------------------- the remaining suggestions


def test_open_objection_carries_default_talk_track_per_category(account, h):
    account["open_objections"] = [{"category": "price", "raised_on": "2026-03-16"}]
    found = [s for s in h.response(account).suggestions if s.action == "handle_objection"][0]
    assert found.evidence[0].source == "rules_default" and found.evidence[0].id == "default-price"


def test_talk_track_provider_supplies_the_playbook_evidence(account, h):
    account["open_objections"] = [{"category": "clinical", "raised_on": "2026-03-16"}]
    asked = []

    def playbook(category):
        asked.append(category)
        return [{"source": "playbook", "id": "tt-07", "snippet": "跟台演示"}]

    found = [s for s in h.response(account, talk_tracks=playbook).suggestions if s.action == "handle_objection"][0]
    assert asked == ["clinical"] and found.evidence[0].id == "tt-07"


def test_follow_up_only_after_fourteen_days_without_visit_and_nothing_urgent(account, h):
    account["visits"] = [{"date": "2026-03-03", "questions_resolved": 2}, {"date": "2026-03-04", "questions_resolved": 2}]
    assert "schedule_follow_up" not in h.actions(account)                       # 14 days: not yet
    account["visits"] = [{"date": "2026-02-25", "questions_resolved": 2}, {"date": "2026-03-02", "questions_resolved": 2}]
    assert h.actions(account) == ["schedule_follow_up"]                         # 16 days
    account["open_objections"] = [{"category": "price", "raised_on": "2026-03-02"}]
    assert "schedule_follow_up" not in h.actions(account)                       # something more urgent


def test_healthy_account_gets_nothing(account, h):
    assert h.actions(account) == []


def test_suggestions_carry_priority_notify_chinese_reason_and_due(account, h):
    account["open_objections"] = [{"category": "price", "raised_on": "2026-03-16"}]
    account["contacts"] = account["contacts"][:4]
    res = h.response(account)
    assert [s.action for s in res.suggestions] == ["handle_objection", "cover_missing_role"]   # high before medium
    for s in res.suggestions:
        assert s.priority in ("high", "medium", "low") and s.notify and s.due >= h.now.date()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in s.reason)


def test_process_health_index_weights_and_diagnosis_naming_weakest_node():
    from jinnang.rules.scores import TeamMonth
    rule = RULES.scores.process_health
    month = TeamMonth(team="mgr-02", month="2026-03", visits=10, high_quality_visits=8, stalls=4, stalls_resolved=2,
                      work_orders_due=5, work_orders_closed_on_time=5, first_touches=4, first_meetings=1,
                      stalls_by_node={"admission_filing": 3, "legal_review": 1})
    result = rule.function()(month, rule, {n.id: n.label for n in RULES.nodes})
    assert result.value == pytest.approx(80 * .3 + 50 * .3 + 100 * .2 + 25 * .2)      # 64
    assert result.details["weakest_node"] == "admission_filing" and "院内准入申报" in result.details["diagnosis"]
    healthy = month.model_copy(update={"first_meetings": 4})                          # 79: no diagnosis
    assert "diagnosis" not in rule.function()(healthy, rule).details


def test_forecast_accuracy_reports_each_segment():
    from jinnang.rules.scores import SigningForecast
    rule = RULES.scores.forecast_accuracy
    result = rule.function()([
        SigningForecast(account_id="a", segment="三甲", predicted="2026-05-12", actual="2026-05-15"),
        SigningForecast(account_id="b", segment="三甲", predicted="2026-05-12", actual="2026-05-11"),
        SigningForecast(account_id="c", segment="民营专科", predicted="2026-06-01", actual="2026-06-11"),
    ], rule)
    assert result.details["segments"]["三甲"]["mean_abs_days"] == 2.0
    assert result.details["segments"]["民营专科"]["mean_abs_days"] == 10.0
