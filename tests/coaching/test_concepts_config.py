"""The concept lexicon and search/playbook YAML: validation errors, and one phrasing per concept."""
from __future__ import annotations

from pathlib import Path

import pytest

from jinnang.coaching.config import (
    ConceptLexicon,
    load_concepts,
    load_playbook_config,
    load_search_config,
    load_yaml_model,
)
from jinnang.coaching.text import concept_matcher, normalise
from jinnang.core.config import ConfigError

# For every concept: a phrase (as a rep or customer would say it, not from any evaluation set) it exists for.
EXAMPLES = {
    "price": "科长嫌我们报价高", "budget": "院里说今年没钱了", "competitor": "他们一直用外资品牌",
    "habit": "主任说用惯了老的", "ease_of_use": "护士说上手难", "clinical_performance": "临床说结果偏低",
    "compatibility": "他们是封闭系统", "registration": "要看注册证", "vbp_catalogue": "不在带量采购目录",
    "admission_docs": "准入要哪些东西", "billing_code": "物价科问能不能收费", "process_delay": "会议又推迟了",
    "committee": "等院采委开会", "multi_dept_objection": "别的科室有意见", "integration": "HIS接口怎么对",
    "it_capacity": "他们人手不够", "cold_chain": "冷链运输怎么保证", "supply_stock": "担心断货",
    "onsite_support": "跟台的人迟到", "product_failure": "仪器出故障了", "payment_terms": "账期太长",
    "negotiation": "议价还要再降", "roi": "院长问投入产出", "leadership_access": "想见分管院长",
    "personnel_change": "主任退休了新主任接任", "first_visit": "初次拜访科长", "trial_feedback": "反馈表没人填",
    "trial_period": "试用快结束了", "tender": "招标公告出来了", "contract_legal": "合同在法务那里",
    "health_commission": "卫健委备案", "demo": "约了演示", "private_hospital": "私立医院的老板",
    "hesitation": "客户一直说再考虑", "brand_awareness": "没听说过你们公司", "low_volume": "标本少用不完",
    "reference_cases": "想看看别的医院怎么用", "price_war": "对手主动降价", "scanning": "扫码太麻烦",
    "nursing": "护士长不同意", "dept_equipment": "器械科的科长", "dept_it": "信息中心主任",
    "dept_procurement": "招标办", "dept_finance": "计财处", "dept_insurance": "医保处", "dept_lab": "检验中心",
    "dept_ortho": "关节外科", "dept_or": "手术部", "dept_legal": "法规科", "wants_data": "有没有比对数据",
    "wants_howto": "这种情况怎么回应",
    "procedure_time": "主任怕手术时间变长", "instrument_placement": "科里想让厂家投放一台仪器",
    "stakeholder_coverage": "除了主任还要找哪些人搞好关系", "trial_entry": "能不能先让我们试两台",
    "post_signing": "合同签了以后先做什么", "wants_lesson": "这单为什么丢 有什么教训",
}


def test_every_concept_has_an_example_phrase_it_tags():
    ids = {c.id for c in load_concepts().concepts}
    assert ids == set(EXAMPLES), f"add an example for {sorted(ids ^ set(EXAMPLES))}"
    matcher = concept_matcher()
    for cid, phrase in EXAMPLES.items():
        assert cid in matcher.concepts(normalise(phrase)), (cid, phrase)


def test_department_synonyms_share_one_concept():
    matcher = concept_matcher()
    for name in ("设备科", "器械科", "医学工程处"):
        assert "dept_equipment" in matcher.concepts(normalise(name))


def test_traditional_script_and_full_width_match_plain_terms():
    matcher = concept_matcher()
    assert "registration" in matcher.concepts(normalise("注冊證快過期"))
    assert "integration" in matcher.concepts(normalise("ＨＩＳ对接"))


def test_latin_terms_match_whole_words_only():
    matcher = concept_matcher()
    assert "competitor" in matcher.concepts(normalise("price vs imported"))
    assert "competitor" not in matcher.concepts(normalise("canvas"))


def test_bad_concept_file_names_file_line_and_field(tmp_path: Path):
    bad = tmp_path / "concepts.yaml"
    bad.write_text("concepts:\n  - id: price\n    kind: objection\n    objection: expensive\n    terms: [太贵]\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_yaml_model(bad, ConceptLexicon)
    message = str(err.value)
    assert str(bad) in message and "line 4" in message and "concepts[0].objection" in message


def test_related_concept_must_exist(tmp_path: Path):
    bad = tmp_path / "concepts.yaml"
    bad.write_text("concepts:\n  - id: price\n    kind: objection\n    related: [nothing]\n    terms: [太贵]\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown concept 'nothing'"):
        load_yaml_model(bad, ConceptLexicon)


def test_shipped_search_and_playbook_configs_load():
    assert load_search_config().channels.concepts > 0
    assert "我们提出" in load_playbook_config().tip_cues


def test_pinyin_initials_stand_for_lexicon_terms_but_english_words_do_not():
    from jinnang.coaching.text import expand_query

    assert expand_query("sbk要资质").endswith("设备科")
    assert "集采" in expand_query("jc目录里没有")
    assert expand_query("call him by phone") == "call him by phone"  # `by` is not 便宜
    assert expand_query("his接口") == "his接口"  # a Latin term of the lexicon is itself


def test_a_stuck_project_is_a_stall_not_a_product_failure():
    concepts = concept_matcher().concepts(normalise("项目卡住了"))
    assert "process_delay" in concepts and "product_failure" not in concepts


def test_english_budget_freeze_and_it_department_are_recognised():
    assert "budget" in concept_matcher().concepts(normalise("budget freeze"))
    assert "dept_it" in concept_matcher().concepts(normalise("IT那边不配合"))


def test_label_classes_field_must_be_a_document_label(tmp_path: Path):
    from jinnang.coaching.config import SearchConfig

    bad = tmp_path / "search.yaml"
    bad.write_text("channels: {words: 1, chars: 1, concepts: 1, dense: 1}\n"
                   "prior: {talk_track: 0, won: 0, lost: 0, open: 0}\n"
                   "label_classes:\n  weight: 0.3\n  fields: [hospital]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_yaml_model(bad, SearchConfig)
    assert str(bad) in str(err.value) and "label_classes.fields" in str(err.value)


def test_a_concept_may_signal_a_journey_variant_node_but_not_a_malformed_id(tmp_path: Path):
    good = tmp_path / "concepts.yaml"
    good.write_text("concepts:\n  - id: owner\n    kind: journey\n    journey_node: owner_approval\n"
                    "    terms: [老板拍板]\n", encoding="utf-8")
    assert load_yaml_model(good, ConceptLexicon).concepts[0].journey_node == "owner_approval"
    bad = tmp_path / "bad.yaml"
    bad.write_text("concepts:\n  - id: owner\n    kind: journey\n    journey_node: Owner Approval\n"
                   "    terms: [老板拍板]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_yaml_model(bad, ConceptLexicon)
    assert "line 4" in str(err.value) and "concepts[0].journey_node" in str(err.value)


def test_an_edited_lexicon_is_followed_and_a_broken_edit_keeps_the_last_good_one(tmp_path: Path, monkeypatch):
    from jinnang.coaching import config
    from jinnang.core.config import FILES, ConfigFile

    path = tmp_path / "concepts.yaml"
    path.write_text("concepts:\n  - id: price\n    kind: objection\n    objection: price\n    terms: [太贵]\n",
                    encoding="utf-8")
    lexicon_file = ConfigFile(path, ConceptLexicon)
    monkeypatch.setattr(config, "CONCEPTS", lexicon_file)
    try:
        assert concept_matcher().concepts(normalise("报价太贵")) == {"price"}
        path.write_text("concepts:\n  - id: price\n    kind: objection\n    objection: price\n"
                        "    terms: [太贵, 价格高]\n", encoding="utf-8")
        assert concept_matcher().concepts(normalise("价格高了")) == {"price"}  # the matcher was rebuilt
        path.write_text("concepts:\n  - id: price\n    kind: objection\n    objection: expensive\n    terms: [贵]\n",
                        encoding="utf-8")
        assert concept_matcher().concepts(normalise("价格高了")) == {"price"}  # last good version in use
        assert lexicon_file.last_error is not None and "concepts[0].objection" in str(lexicon_file.last_error)
    finally:
        FILES.remove(lexicon_file)
