"""Objections: every cue rule fires on the phrasing it exists for; negations, favourable
comparisons, the rep's own worries and a distributor's views do not count."""
from __future__ import annotations

import json

import pytest

from jinnang.nlp.objections import default_finder, find_objections

VOCAB = default_finder().vocab


def _categories(text: str) -> set[str]:
    return {o.category for o in find_objections(text)}


CUE_EXAMPLES = [
    pytest.param(cat, rule.id, example, id=f"{cat}-{rule.id}-{i}")
    for cat, rules in VOCAB.categories.items()
    for rule in rules.cues
    for i, example in enumerate(rule.examples)
]


@pytest.mark.parametrize("category, rule_id, example", CUE_EXAMPLES)
def test_each_cue_rule_finds_its_category_in_its_examples(category, rule_id, example):
    finder = default_finder()
    rule = next(r for r in finder.cues[category] if r.id == rule_id)
    assert any(True for _ in rule.search(example)), f"{rule_id} does not match {example!r}"
    assert category in _categories(example)


UNLESS_EXAMPLES = [
    pytest.param(cat, rule.id, example, id=f"{cat}-{rule.id}-{i}")
    for cat, rules in VOCAB.categories.items()
    for rule in rules.unless
    for i, example in enumerate(rule.examples)
]


@pytest.mark.parametrize("category, rule_id, example", UNLESS_EXAMPLES)
def test_each_unless_rule_cancels_its_category_in_its_examples(category, rule_id, example):
    finder = default_finder()
    rule = next(r for r in finder.unless[category] if r.id == rule_id)
    assert any(True for _ in rule.search(example))
    assert category not in _categories(example)


NEAR_EXAMPLES = [
    pytest.param(cat, rule.id, example, id=f"{cat}-{rule.id}-{i}")
    for cat, rules in VOCAB.categories.items()
    for rule in rules.unless_near
    for i, example in enumerate(rule.examples)
]


@pytest.mark.parametrize("category, rule_id, example", NEAR_EXAMPLES)
def test_each_unless_near_rule_cancels_its_category_in_its_examples(category, rule_id, example):
    finder = default_finder()
    rule = next(r for r in finder.unless_near[category] if r.id == rule_id)
    assert any(True for _ in rule.search(example))
    assert category not in _categories(example)


@pytest.mark.parametrize("text", [
    "原来那台进口的用了十年了，经常死机，科里想换新的。",
    "现用的这批监护仪老出故障，所以这次最看重售后响应。",
    "那批输液泵是09年买的 报警太频繁 早该换了",
])
def test_faults_of_the_kit_being_replaced_are_not_objections_to_ours(text):
    assert "clinical" not in _categories(text)


def test_a_fault_feared_in_ours_still_counts():
    assert "clinical" in _categories("之前用过一家的泵 报警太频繁 她担心我们也一样")


@pytest.mark.parametrize("section", ["not_concern", "not_customer"])
def test_speaker_and_no_problem_rules_cancel_every_category(section):
    finder = default_finder()
    assert getattr(VOCAB, section) and len(getattr(finder, section)) == len(getattr(VOCAB, section))
    for rule_cfg, rule in zip(getattr(VOCAB, section), getattr(finder, section)):
        for example in rule_cfg.examples:
            assert any(True for _ in rule.search(example)), (rule_cfg.id, example)
            assert _categories(example) == set(), (rule_cfg.id, example)


@pytest.mark.parametrize("text", [
    "主任没提价格，也没说要拿谁家来比。",
    "钢板一年用量300套左右，预算不是问题，医院钱够。",
    "其他：价格可以接受。院内准入还在走。",
    "关节假体属集采产品，价格方面无意见。",
    "阮院长说评估完再说，全程没提钱。",
])
def test_negated_topics_are_not_objections(text):
    assert _categories(text) == set()


def test_favourable_comparison_with_a_rival_is_not_an_objection():
    assert _categories("与在用的辛迪斯同类产品效果相当，价格略低。") == set()
    assert _categories("与强生同类产品相比，初始稳定性相当，价格更有优势。") == set()


def test_incumbent_brand_as_price_reference_is_price_only():
    text = "现在用的那家国产板集采价比我们低了快两成，主任说没法跟院里解释。"
    assert _categories(text) == {"price"}


@pytest.mark.parametrize("text", [
    "他们科一直用捷迈的，换品牌得有充分的理由。",
    "韩医生：科里用了七八年美敦力，工具都用顺手了。",
    "骨科戚医生私下说大博的人也在跑。",
    "科里习惯用进口的。",
])
def test_brand_loyalty_habit_or_active_rival_is_competitor(text):
    assert "competitor" in _categories(text)


@pytest.mark.parametrize("text", [
    "我担心主任会嫌价格高，要提前准备。",
    "我觉得这家医院价格压力会很大。",
    "经销商说设备科对价格比较敏感，回款也慢。",
])
def test_the_reps_own_worries_and_a_distributors_views_are_not_objections(text):
    assert _categories(text) == set()


@pytest.mark.parametrize("text", [
    "邵主任问取板工具是不是通用的，当场跟他讲了，通用的。",
    "效期提醒只在电脑端显示，希望能推到手机。",
    "护士长建议增加一个扫码后自动打印标签的功能。",
    "设备科要求提交注册证复印件、授权书和营业执照，下周一前交。",
])
def test_plain_questions_feature_wishes_and_routine_documents_are_not_objections(text):
    assert _categories(text) == set()


def test_a_concern_settled_on_the_spot_still_counts():
    text = "俞科长问这个软件算不算医疗器械、要不要注册证——当场解释了，俞科长认可。"
    assert _categories(text) == {"compliance"}


@pytest.mark.parametrize("text, category", [
    ("智能柜门有时关不严，报警声太吵。", "clinical"),  # SaaS hardware fault
    ("2号柜偶尔识别慢，已报修。", "clinical"),
    ("翻修用的加长柄要提前3天订货，满足不了急诊。", "service"),
    ("秦院长嫌我们实施周期太长。", "service"),
    ("按等保和数据安全的要求，业务数据必须存在院内服务器。", "compliance"),
    ("今年的耗材预算已经用完了。", "budget"),
    ("跟医院现在的SPD能不能对接？", "integration"),
    ("院采委开完还要上卫健委的采购平台，今年平台换系统，时间说不准。", "process"),
])
def test_conventions_put_each_concern_in_its_category(text, category):
    assert _categories(text) == {category}


def test_one_objection_per_category_with_evidence_offsets():
    text = "主任说单价偏高。科长也说报价太高，比进口的还贵。信息科问能否跟HIS对接。"
    found = find_objections(text)
    assert [o.category for o in found] == ["price", "integration"]
    for o in found:
        assert text[o.start:o.end] == o.evidence
        assert 0 < o.confidence <= 1


def test_empty_and_plain_text_give_no_objections():
    assert find_objections("") == []
    assert find_objections("送货：桡骨远端板×6套，已入二级库，闵主任签收。") == []


def test_dev_set_objections_micro_f1(shared_dev):
    tp = fp = fn = 0
    for path in (shared_dev / "extraction.jsonl", shared_dev / "ocr" / "manifest.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            got = _categories(case["text"])
            want = {o["category"] for o in case["gold"]["objections"]}
            tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    assert 2 * tp / (2 * tp + fp + fn) >= 0.85


def test_only_the_ticked_option_of_a_check_box_line_counts():
    assert _categories("价格：□可接受 ■偏高") == {"price"}
    assert _categories("价格：■可接受 □偏高") == set()
    assert _categories("操作便利性：■好 □一般 □差") == set()


# ------------------------------------------------------------------ notes in other hands

@pytest.mark.parametrize("text, category", [
    ("柜子还没调通", "clinical"),
    ("2号柜识别速度较慢", "clinical"),
    ("扫码计费多了一步，护士嫌麻烦", "clinical"),
    ("术中工具太多，台上护士不熟悉", "clinical"),
    ("整体满意，手柄偏重", "clinical"),               # praise in another clause does not cancel a fault
    ("配送延误", "service"),
    ("器械送达偶有延迟", "service"),
    ("本地没有常驻工程师", "service"),
    ("就等你们的证", "compliance"),
    ("计费接口仍在调试", "integration"),
    ("Director Feng worries about the HIS interface", "integration"),
    ("the system is not compatible with their PACS", "integration"),
    ("the pump is not compatible with their syringes", "clinical"),
    ("budget frozen till next year", "budget"),
    ("he says it is too expensive", "price"),
])
def test_phrasings_from_other_hands_find_their_category(text, category):
    assert category in _categories(text)


@pytest.mark.parametrize("text", [
    "需要公司派临床培训",                  # the rep's request to our company, a cross-department need
    "已申请公司派临床培训专员跟台",
    "价格也没有异议，说比在用的贵一点但值",
    "带工程师去做设备巡检",                # a plan of ours, no complaint
])
def test_requests_to_our_company_and_settled_points_are_no_objection(text):
    assert _categories(text) == set()


def test_a_pause_in_a_spoken_transcript_ends_a_negation():
    text = "价格他们是没意见的 就是说医生用惯了士卓曼的那套工具盒"
    assert _categories(text) == {"competitor"}


def test_a_distributors_talk_covers_its_whole_sentence_but_not_a_customer_it_quotes():
    assert _categories("跟配送商老周吃饭，老周说医院骨科今年预算很紧，而且他觉得我们价格没有优势。") == set()
    assert _categories("经销商刘总反馈，手术室的护士长觉得我们的吻合器价格贵。") == {"price"}


def test_a_contrast_after_a_settled_point_is_still_a_concern():
    # 价格也可以 in the clause before does not cancel a fault the 但 clause raises
    assert _categories("通量够，价格也可以，但仪器体积太大，实验室放不下。") == {"clinical"}


@pytest.mark.parametrize("text, category", [
    ("总部那边流程上有点难", "process"),
    ("领导那边不好说", "process"),
    ("今年再上新设备不太方便，新设备准入都暂停了", "process"),
    ("嫌价格高、担心售后跟不上、而且医院HIS对接还没谱", "integration"),
    ("只能从集团目录里选，我们还不在目录里", "process"),
    ("国产的他们用得少心里没底", "clinical"),
])
def test_euphemistic_and_listed_concerns_find_their_category(text, category):
    assert category in _categories(text)


def test_a_groups_own_catalogue_is_a_buying_rule_not_a_registration_matter():
    assert "compliance" not in _categories("只能从集团目录里选，我们还不在目录里")
    assert "compliance" in _categories("我们这个型号不在江苏联盟集采目录里")


@pytest.mark.parametrize("text, category", [
    ("做一台手术病人要多掏两千多 医保还不报 主任说推不动", "price"),
    ("院里耗占比考核卡得死死的，这么贵的管路用不起", "price"),
    ("今年的钱都砸到新大楼上了 设备这块只能排到明年", "budget"),
    ("护士长问这个泵的数据能不能直接传进他们的护理信息系统", "integration"),
    ("信息科说医院内网不允许外来设备接入", "integration"),
    ("装一次要二十来分钟 手术间周转跟不上", "clinical"),
    ("主任怕我们的探头也和上一家一样容易坏", "clinical"),
    ("科里一直用Leica的，医生都习惯了", "competitor"),
    ("院里已经有三家的在用了 再加一家很难", "competitor"),
    ("医院在准备三甲复审，新项目都得等复审结束", "process"),
    ("这个科室没有采购权 只能提需求给总院", "process"),
    ("上次设备坏了等了一个礼拜才来人修", "service"),
    ("注册证上没有儿童适应症，儿科用不了", "compliance"),
    ("这个治疗项目省里还没有对应的收费标准", "compliance"),
])
def test_indirect_and_spoken_concerns_are_found(text, category):
    assert category in _categories(text)


@pytest.mark.parametrize("text", [
    "主任对价格没意见，主要看质量",
    "设备科让我们把注册证、授权书交齐，缺一样都不行",
    "经销商说院里今年没钱",
    "主任问保修几年，答了三年",
    "原来的那台呼吸机用了十二年了 经常报警 科里想换新的",
    "院采委会议推迟了，院办通知改到下周三上午",
    "主任说年前不谈了，节后再约",
])
def test_negations_routine_requests_and_replacement_motives_are_not_objections(text):
    assert _categories(text) == set()


def test_a_dictated_note_keeps_each_topic_apart():
    # one unpunctuated sentence: an interface question later on must not cancel the process concern
    text = ("主任说今年的采购计划已经报上去了 要加进去得走追加 很麻烦 然后护士长问了很多 "
            "说要跟现在的系统混用 这个我得回去找研发确认能不能做接口")
    assert {"process", "integration"} <= _categories(text)


def test_several_concerns_in_one_sentence_each_count():
    text = "主任担心售后跟不上，而且耗材单价偏高，医院今年预算也紧张。"
    assert {"service", "price", "budget"} <= _categories(text)
