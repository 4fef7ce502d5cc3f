"""Visit facts: sample brought, questions answered on the spot, cross-department needs."""
from __future__ import annotations

import json

import pytest

from jinnang.nlp.visit import default_reader, find_visit_facts

VOCAB = default_reader().vocab


@pytest.mark.parametrize("example", [e for r in VOCAB.sample_brought.signals for e in r.examples])
def test_sample_signals_mark_the_sample_brought(example):
    assert find_visit_facts(example).sample_brought is True


@pytest.mark.parametrize("text", [
    "样品这次没带，约了下周四早交班后再过去，带钉棒样品和骨模型给他们科看看。",
    "样机没带，下次补上。",
    "我带全套工具箱过去跟台。",  # instruments for a case are not a sample
    "潘主任让我明天再过来一趟，把伪影的资料带上。",
])
def test_negated_planned_or_non_sample_items_are_not_a_sample(text):
    assert find_visit_facts(text).sample_brought is False


@pytest.mark.parametrize("example, count", [
    (e, None) for r in VOCAB.questions.answered + VOCAB.questions.answered_after_question for e in r.examples
])
def test_each_answer_rule_counts_its_examples(example, count):
    text = example if any(w in example for w in ("问", "担心", "疑问")) else "主任问了一个问题。" + example
    assert find_visit_facts(text).questions_resolved >= 1


@pytest.mark.parametrize("text, count", [
    ("刘主任问了3个问题：①钉尾高度怎么样 ②有没有长尾复位钉 ③集采中选价多少\n①②当场答了，③要回去跟商务确认。", 2),
    ("问了涂层厚度、能不能用在翻修上，这两个当场都答了。", 2),
    ("主任问了三个问题，都当场解答了。", 3),
    ("第一个当场说明了；第二个要回公司确认。", 1),
    ("问能不能先免费试用。我说可以申请试用。", 1),
    ("潘主任问术后CT伪影大不大，这个我答不上来，得回去问技术。", 0),
    ("我把5年随访数据给他看，他说样本量太小，不算数。", 0),
    ("宋Director关心能不能开专票 —— 这几个我说回去跟商务确认后答复。", 0),
    ("现场演示了万向钉置钉和锁紧。", 0),  # a demo nobody asked about answers nothing
    ("主要问了三个问题：报警能否推送，电池续航多久，能不能对接PDA。前两个我当场答了；PDA对接需要回去问研发。", 2),
])
def test_questions_resolved_counts_answers_given_on_the_spot(text, count):
    assert find_visit_facts(text).questions_resolved == count


@pytest.mark.parametrize("need", list(VOCAB.cross_dept_needs))
def test_each_cross_department_rule_finds_its_need(need):
    assert VOCAB.cross_dept_needs[need]
    for rule in VOCAB.cross_dept_needs[need]:
        assert rule.examples
        for example in rule.examples:
            assert need in find_visit_facts(example).cross_dept_needs, example


@pytest.mark.parametrize("text", [
    "今天和我们服务工程师老蔡一起去骨科，下一台老蔡全程跟。",
    "公司技术支持杜工一起（讲导航适配）。",
    "会前要交产品介绍PPT和报价单。",
    "①③要公司法务和财务评估。",
    "我们跟国药SPD有现成的标准接口，接口费我们承担。",
    "我们答应请公司培训中心出具培训证书。",  # a certificate is a document, not a trainer
])
def test_own_team_work_is_not_a_cross_department_need(text):
    assert find_visit_facts(text).cross_dept_needs == []


def test_evidence_spans_point_into_the_text():
    text = "带了髋臼杯样品。主任问了两个问题，这两个当场都答了。要让研发评估SPD接口。"
    facts = find_visit_facts(text)
    assert (facts.sample_brought, facts.questions_resolved, facts.cross_dept_needs) == (True, 2, ["custom_interface"])
    assert facts.evidence
    assert all(text[e.start:e.end] == e.text for e in facts.evidence)


def test_dev_set_visit_field_accuracy(shared_dev):
    ok = total = 0
    for line in (shared_dev / "extraction.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        gold = case["gold"]["visit"]
        if gold is None:
            continue
        facts = find_visit_facts(case["text"])
        ok += facts.sample_brought == gold["sample_brought"]
        ok += facts.questions_resolved == gold["questions_resolved"]
        ok += set(facts.cross_dept_needs) == set(gold["cross_dept_needs"])
        total += 3
    assert ok / total >= 0.90


@pytest.mark.parametrize("text", [
    "护士长问保修几年，答了整机三年。",
    "主任问有没有测评报告——有，当场给他看了电子版。",
    "科长问能不能和现有系统联网，答复可以。",
    "主任问有没有一次性的版本——目前没有，如实说了。",
    "主任担心售后。我解释了省里有服务站，他说那就放心了。",
])
def test_terse_answers_after_a_question_count_once(text):
    assert find_visit_facts(text).questions_resolved == 1


def test_a_question_put_off_is_not_answered():
    assert find_visit_facts("主任问能不能接HIS，这个没法答，回去问研发。").questions_resolved == 0


def test_training_already_in_the_contract_is_no_request_to_our_trainers():
    facts = find_visit_facts("到货后厂家做两次全员培训（合同里写了），不用另外申请。")
    assert facts.cross_dept_needs == []


@pytest.mark.parametrize("text, count", [
    # a voice transcript without punctuation: one answer per question asked
    ("主任问 这个钉子能不能用在翻修上 我说不能 只能初次置换 他又问 有没有短柄的 我说有 他说那还行", 2),
    # a dialogue-style note: each ；-part of the rep's turn answers one point
    ("科长：你们的系统能不能本地部署？HIS是东华的你们接过没有？\n我：可以本地部署；东华的我们在两家医院接过。\n科长说那发案例看看。", 2),
    ("王主任：能不能开发票到明年？\n我：可以。", 1),
    # negative answers given still count as answered
    ("护士长问导管能不能重复消毒，我说不可以，是一次性的。", 1),
    ("有个技师问最大能扫多重的病人，我答两百公斤，她说够了。", 1),
    ("主任提了一点：夜班人少，开机要快。我们当场演示了一键开机，他说可以。", 1),
    ("科长关心跟LIS能不能对接，我们说公司有现成接口，她没再问。", 1),
    ("护士长一见面就问我们是不是中选产品，当场查了中选目录给她看，打消了她的顾虑。", 1),
    ("主任提了两个要求：一是一周内培训完；二是冷链坏了包换。两条都写进了补充协议。", 2),
    ("我跟主任解释了可以走科研合作的模式，他说“好的，你先出个方案”。", 1),
])
def test_answers_in_the_writers_own_forms_are_counted(text, count):
    assert find_visit_facts(text).questions_resolved == count


@pytest.mark.parametrize("text", [
    "我：今天先到这儿，下周再来。",  # a turn of the rep that answers nothing asked
    "护士长说好的，下周来看看。",  # agreement without an explanation from us
    "我介绍了产品线，主任听完没表态。",
    "主任担心报警太多，我解释了新算法，但没能打消他的顾虑。",
    "我们打算把保修条款写进合同。",  # a plan, not an agreed request
])
def test_talk_that_answers_no_question_is_not_counted(text):
    assert find_visit_facts(text).questions_resolved == 0


def test_a_standard_interface_in_english_is_no_custom_work_for_rd():
    text = "He asked if it plugs into their Mindray monitors - yes via the standard interface, confirmed on site."
    facts = find_visit_facts(text)
    assert (facts.questions_resolved, facts.cross_dept_needs) == (1, [])


def test_applying_for_a_trainer_without_naming_the_company_is_clinical_training():
    assert find_visit_facts("当场答应申请省里的跟台工程师驻点两周。").cross_dept_needs == ["clinical_training"]
