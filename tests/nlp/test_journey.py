"""Journey node: the furthest node whose entry event the text reports; plans are not events."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from jinnang.core.config import ConfigError, load_yaml_model
from jinnang.core.records import JOURNEY_NODES
from jinnang.nlp.journey import JourneyReader, JourneyVocab, default_reader, find_journey_node, journey_reader

VOCAB = default_reader().vocab

SIGNAL_EXAMPLES = [
    pytest.param(node, rule.id, example, id=f"{node}-{rule.id}-{i}")
    for node, sig in VOCAB.nodes.items()
    for rule in sig.signals
    for i, example in enumerate(rule.examples)
]


@pytest.mark.parametrize("node, rule_id, example", SIGNAL_EXAMPLES)
def test_each_signal_reports_its_node(node, rule_id, example):
    rule = next(r for r in default_reader().signals[node] if r.id == rule_id)
    assert any(True for _ in rule.search(example))
    assert find_journey_node(example, "visit_note")[0] == node


UNLESS_EXAMPLES = [
    pytest.param(node, rule.id, example, id=f"{node}-{rule.id}-{i}")
    for node, sig in VOCAB.nodes.items()
    for rule in sig.unless
    for i, example in enumerate(rule.examples)
]


@pytest.mark.parametrize("node, rule_id, example", UNLESS_EXAMPLES)
def test_plans_drafts_and_past_demos_do_not_enter_the_node(node, rule_id, example):
    rule = next(r for r in default_reader().unless[node] if r.id == rule_id)
    assert any(True for _ in rule.search(example))
    assert find_journey_node(example, "visit_note")[0] != node


@pytest.mark.parametrize("example", VOCAB.trial_feedback.interim[0].examples)
def test_interim_form_markers_keep_the_form_at_trial_in_progress(example):
    form = f"临床试用反馈\n{example}\n问题：撑开钳偏重。\n日期：2026-03-01"
    assert find_journey_node(form, "trial_feedback")[0] == "trial_in_progress"


def test_furthest_node_wins():
    text = "院采委已经通过。卫健委备案今天批下来了，备案号：盐卫信备〔2026〕23号。接下来走医院法务审合同。"
    assert find_journey_node(text, "visit_note")[0] == "health_commission_filing"


@pytest.mark.parametrize("text", [
    "今天拜访骨科王主任，聊了下近况。",
    "初次置换11例，翻修1例。",  # 初次 is a surgery here, not a first visit
    "送货：桡骨远端板×6套，已入二级库。",
    "饶处长说今年的信息化预算年初就定了，要做只能等明年。",
])
def test_routine_notes_show_no_node(text):
    assert find_journey_node(text, "visit_note") == (None, None)


def test_first_contact_only_when_the_text_says_first_visit():
    assert find_journey_node("首次拜访，见了骨科李主任。", "visit_note")[0] == "first_contact"
    assert find_journey_node("见了骨科李主任，聊了二十分钟。", "visit_note")[0] is None


def test_a_demo_held_during_the_visit_is_not_demo_scheduled():
    held = "带了演示柜去设备科，现场演示了批量盘点，沈科长认可。"
    future = "和设备科沈科长约定：下周二下午在设备科会议室做系统演示。"
    assert find_journey_node(held, "visit_note")[0] is None
    assert find_journey_node(future, "visit_note")[0] == "demo_scheduled"


def test_contract_signing_planned_is_not_signed():
    assert find_journey_node("合同草稿已交法务，预计7个工作日后签正式合同。", "visit_note")[0] == "legal_review"
    assert find_journey_node("争取8月14日签约。", "visit_note")[0] is None


FINAL_FORM = """医疗器械临床试用反馈表
试用时间：2026年2月24日至
2026年3月24日
存在问题：器械盒较重。
科室意见：同意提交设备科组织多部门评审。
日期：2026年3月27日"""


def test_final_feedback_form_reaches_multi_dept_review():
    assert find_journey_node(FINAL_FORM, "trial_feedback")[0] == "multi_dept_review"


def test_feedback_form_whose_trial_period_is_still_running_is_interim():
    form = FINAL_FORM.replace("2026年3月24日", "2026年4月24日")
    assert find_journey_node(form, "trial_feedback")[0] == "trial_in_progress"
    assert find_journey_node(form, "trial_feedback", reference_date=dt.date(2026, 5, 1))[0] == "multi_dept_review"


def test_final_form_with_committee_meeting_date_is_committee_scheduled():
    form = FINAL_FORM + "\n设备处意见：拟提交7月8日院医疗器械管理委员会审议。"
    assert find_journey_node(form, "trial_feedback")[0] == "committee_scheduled"


def test_node_ids_are_the_specs():
    assert set(VOCAB.nodes) <= set(JOURNEY_NODES)
    assert len(JOURNEY_NODES) == 12


def test_dev_set_journey_accuracy(shared_dev):
    ok = total = 0
    for path in (shared_dev / "extraction.jsonl", shared_dev / "ocr" / "manifest.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            ref = dt.date.fromisoformat(case["reference_date"])
            node, _ = find_journey_node(case["text"], case["kind"], reference_date=ref)
            ok += node == case["gold"]["journey_node"]
            total += 1
    assert ok / total >= 0.75


def test_an_unticked_interim_box_does_not_make_a_final_form_interim():
    form = ("临床试用评价表\n试用期：2026年4月7日至2026年5月15日\n试用阶段：□中期 ■结束\n"
            "结论：同意进入科室论证。\n日期：2026-05-20")
    assert find_journey_node(form, "trial_feedback", dt.date(2026, 5, 20))[0] == "multi_dept_review"


@pytest.mark.parametrize("text, node", [
    ("样机在病房试用了两周，护士反馈不错", "trial_in_progress"),
    ("招标文件已经挂网了，月底开标", "tender_monitoring"),
    ("合同初稿月底会发过来", None),
])
def test_trial_running_and_tender_posted_but_a_draft_to_come_is_no_legal_review(text, node):
    assert find_journey_node(text)[0] == node


@pytest.mark.parametrize("node, example", [
    (node, e) for node, rules in VOCAB.named_contact.items() for r in rules.signals for e in r.examples
])
def test_a_demo_with_a_person_named_for_the_equipment_department_elsewhere_is_scheduled(node, example):
    assert find_journey_node(example, "visit_note")[0] == node


@pytest.mark.parametrize("text", [
    "参会：骨科 骆主任。下周三在手术室试机，骆主任到场。",  # no equipment-department contact
    "设备科 骆科长说预算没批。下周三在手术室试机，护士长到场。",  # the equipment contact is not at the demo
])
def test_a_demo_without_an_equipment_department_contact_is_not_scheduled(text):
    assert find_journey_node(text, "visit_note")[0] != "demo_scheduled"


@pytest.mark.parametrize("text, node", [
    ("回访超声刀试用情况：试用期至9月30日，目前做了8台，护士反馈顺手。", "trial_in_progress"),
    ("三个月的试用已经结束，今天收回了科室的试用评价表。", "multi_dept_review"),
    ("院医学装备管理委员会会议安排在5个工作日后，我们排第二个。", "committee_scheduled"),
    ("科室意见：同意采购，报设备科提交院采委。院采委会议：11月3日", "committee_scheduled"),
])
def test_journey_signals_in_new_writers_words(text, node):
    assert find_journey_node(text, "visit_note")[0] == node


def test_a_first_phase_trial_form_with_its_period_still_running_stays_in_trial():
    form = "智能药柜试运行反馈（第一阶段）\n试运行：2026年3月2日起，至2026年5月29日\n问题：指纹识别慢。\n填报：2026年3月20日"
    assert find_journey_node(form, "trial_feedback", dt.date(2026, 3, 20))[0] == "trial_in_progress"


# rules/config/variants/private_specialty_seven_stage.yaml
PRIVATE_ORDER = ("first_contact", "needs_assessment", "product_demo", "trial_in_progress", "price_negotiation",
                 "owner_approval", "contract_signed")
PRIVATE_SIGNALS = """\
nodes:
  first_contact:
    signals:
      - {id: first_visit, any: [首次拜访], examples: [首次拜访院长]}
  price_negotiation:
    signals:
      - {id: price_talks, any: [议价, 谈价格], examples: [今天和院长议价]}
trial_feedback:
  interim_node: trial_in_progress
  final_node: owner_approval
"""


def test_a_variant_journeys_nodes_are_read_in_its_own_order(tmp_path):
    path = tmp_path / "journey_signals.yaml"
    path.write_text(PRIVATE_SIGNALS, encoding="utf-8")
    reader = journey_reader(PRIVATE_ORDER, path)()
    assert reader.read("首次拜访院长，顺便议价。") == ("price_negotiation", "议价")
    assert reader.read("试用反馈表：效果好。", "trial_feedback").node == "owner_approval"
    assert JourneyReader(load_yaml_model(path, JourneyVocab.for_order(PRIVATE_ORDER))).order == [
        "first_contact", "price_negotiation"]


def test_signals_are_checked_against_the_node_order_they_are_given(tmp_path):
    path = tmp_path / "journey_signals.yaml"
    path.write_text(PRIVATE_SIGNALS, encoding="utf-8")
    with pytest.raises(ConfigError, match="line 5, field nodes.price_negotiation: unknown journey node"):
        load_yaml_model(path, JourneyVocab)
    with pytest.raises(ConfigError, match="unknown journey node 'tender_monitoring'"):
        find_journey_node("首次拜访院长", node_order=PRIVATE_ORDER)  # the spec's signals name the spec's nodes


def test_the_spec_order_given_explicitly_reads_as_the_default():
    text = "院采委已经通过。卫健委备案今天批下来了。"
    assert find_journey_node(text, node_order=JOURNEY_NODES) == find_journey_node(text) == (
        "health_commission_filing", "备案今天批下来")
    assert journey_reader(list(JOURNEY_NODES)) is default_reader
