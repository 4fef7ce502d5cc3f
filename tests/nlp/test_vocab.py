"""Cue vocabularies: validated on load, errors name file, line and field; text units."""
from __future__ import annotations

import pytest

from jinnang.core.config import ConfigError, ConfigFile, load_yaml_model
from jinnang.nlp.journey import JourneyVocab
from jinnang.nlp.objections import ObjectionVocab
from jinnang.nlp.visit import VisitVocab
from jinnang.nlp.vocab import CONFIG_DIR, CompiledRule, CueRule, clauses, sentences

GOOD = """\
terms:
  brand: [美敦力, 强生]
categories:
  price:
    cues:
      - id: price_too_high
        any: [太贵]
        examples: [太贵了]
"""


def _write(tmp_path, text, name="objections.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name, model", [
    ("objections.yaml", ObjectionVocab), ("visit.yaml", VisitVocab), ("journey_signals.yaml", JourneyVocab),
])
def test_shipped_configs_load(name, model):
    assert load_yaml_model(CONFIG_DIR / name, model)


def test_minimal_config_loads(tmp_path):
    vocab = load_yaml_model(_write(tmp_path, GOOD), ObjectionVocab)
    assert vocab.categories["price"].cues[0].id == "price_too_high"


def test_bad_regex_names_file_line_and_field(tmp_path):
    path = _write(tmp_path, GOOD.replace("any: [太贵]", "any: [太贵, '贵(']"))
    with pytest.raises(ConfigError) as err:
        load_yaml_model(path, ObjectionVocab)
    assert err.value.file.endswith("objections.yaml")
    assert err.value.line == 7
    assert err.value.field == "categories.price.cues[0].any[1]"
    assert "bad phrase" in str(err.value)


def test_unknown_term_list_is_named(tmp_path):
    path = _write(tmp_path, GOOD.replace("any: [太贵]", "any: ['@brands']"))
    with pytest.raises(ConfigError, match=r"objections.yaml, line 7, field categories.price.cues\[0\].any\[0\]: .*@brands"):
        load_yaml_model(path, ObjectionVocab)


def test_unknown_category_is_named(tmp_path):
    path = _write(tmp_path, GOOD.replace("  price:", "  pricing:"))
    with pytest.raises(ConfigError) as err:
        load_yaml_model(path, ObjectionVocab)
    assert err.value.line == 4 and "pricing" in err.value.field


def test_rule_without_examples_is_refused(tmp_path):
    path = _write(tmp_path, GOOD.replace("        examples: [太贵了]\n", ""))
    with pytest.raises(ConfigError) as err:
        load_yaml_model(path, ObjectionVocab)
    assert err.value.line == 6 and err.value.field.endswith("examples")


def test_rule_with_both_any_and_all_is_refused(tmp_path):
    path = _write(tmp_path, GOOD.replace("any: [太贵]", "any: [太贵]\n        all: [[价格], [高]]"))
    with pytest.raises(ConfigError, match="exactly one of"):
        load_yaml_model(path, ObjectionVocab)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = _write(tmp_path, GOOD.replace("any: [太贵]", "any: [太贵, 进口(的)?, x]"))
    with pytest.raises(ConfigError) as err:
        load_yaml_model(path, ObjectionVocab)
    assert err.value.line == 7 and "not valid YAML" in str(err.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_yaml_model(tmp_path / "nope.yaml", ObjectionVocab)


def test_unknown_journey_node_is_refused(tmp_path):
    text = (CONFIG_DIR / "journey_signals.yaml").read_text(encoding="utf-8").replace("  legal_review:", "  legal_check:")
    with pytest.raises(ConfigError, match="unknown journey node 'legal_check'"):
        load_yaml_model(_write(tmp_path, text, "journey_signals.yaml"), JourneyVocab)


def _rule(**kw) -> CompiledRule:
    return CompiledRule(CueRule(id="r", examples=["x"], **kw), {"it": ["HIS", "SPD"]})


def test_all_groups_must_be_close_together():
    rule = _rule(all=[["@it"], ["掉线"]], within=6)
    assert list(rule.search("SPD接口偶尔掉线"))
    assert not list(rule.search("SPD接口运行了一整个月之后才偶尔掉线"))


@pytest.mark.parametrize("gap,fires", [(7, True), (8, False)])
def test_all_groups_reach_exactly_within_chars(gap, fires):
    # 掉线 starts `gap` chars after SPD ends: within=8 reaches a start < 3 + 8
    rule = _rule(all=[["@it"], ["掉线"]], within=8)
    text = "SPD" + "接" * gap + "掉线"
    assert bool(list(rule.search(text))) is fires


def test_all_groups_pick_the_nearest_partner_among_many():
    rule = _rule(all=[["价格"], ["高"]], within=4)
    text = "高" + "。" * 10 + "价格偏高" + "。" * 10 + "高"
    assert [(h.start, h.end) for h in rule.search(text)] == [(11, 15)]


def test_ordered_rule_needs_its_groups_in_order():
    rule = _rule(all=[["响应"], ["慢"]], ordered=True)
    assert list(rule.search("售后响应太慢"))
    assert not list(rule.search("识别慢，已报修，响应及时"))


def test_terms_match_case_insensitively():
    assert list(_rule(any=["@it"]).search("院内his系统"))


def test_sentences_split_items_and_keep_offsets():
    text = "刘主任问了3个问题：①钉尾高度 ②长尾钉。①②当场答了\n- 带了样品；没提价格"
    units = sentences(text)
    assert [u.text for u in units] == ["刘主任问了3个问题：", "①钉尾高度", "②长尾钉", "①②当场答了", "- 带了样品", "没提价格"]
    assert all(text[u.start:u.end] == u.text for u in units)


def test_a_wrapped_form_line_stays_one_sentence():
    text = "信息科意见\n与HIS对接正常；SPD接口需按我院新SPD供应商\n标准重新开发。\n护士长意见：\n总体满意。"
    assert "SPD接口需按我院新SPD供应商\n标准重新开发" in [u.text for u in sentences(text)]
    assert "护士长意见：" in [u.text for u in sentences(text)]


def test_clauses_split_on_commas():
    unit = sentences("预算不是问题，医院钱够，关键是价格。")[0]
    assert [c.text for c in clauses(unit)] == ["预算不是问题", "医院钱够", "关键是价格"]


def test_an_edited_config_file_is_read_again_and_a_broken_edit_keeps_the_last_good_one(tmp_path, caplog):
    import os
    import shutil

    from jinnang.nlp.objections import ObjectionFinder

    path = tmp_path / "objections.yaml"
    shutil.copy(CONFIG_DIR / "objections.yaml", path)
    finder = ConfigFile(path, ObjectionVocab, ObjectionFinder)
    text = "主任说这台机器颜值一般"
    assert [o.category for o in finder().find(text)] == []

    def edit(old: str, new: str, version: int) -> None:
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        os.utime(path, ns=(version, version))  # a new modification time, as an editor's save gives

    # sales operations add a clinical cue while the service runs
    edit("  clinical:\n    cues:\n", "  clinical:\n    cues:\n      - id: looks\n        any: [颜值一般]\n"
         "        examples: [颜值一般]\n", 10**18)
    assert [o.category for o in finder().find(text)] == ["clinical"]
    # a broken edit is reported with its line, and the last good rules stay in use
    edit("threshold: 0.7", "threshold: 7", 2 * 10**18)
    assert [o.category for o in finder().find(text)] == ["clinical"]
    assert "line" in caplog.text and "threshold" in caplog.text


def test_a_config_that_never_loaded_raises_its_error(tmp_path):
    from jinnang.nlp.objections import ObjectionFinder

    path = tmp_path / "objections.yaml"
    path.write_text("categories: {}\nnonsense: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nonsense"):
        ConfigFile(path, ObjectionVocab, ObjectionFinder)()


def test_no_config_example_quotes_a_labelled_note(shared_dev):
    """Examples are invented phrasings of a rule's family: a sentence copied from an evaluation
    note would make the rule look (or be) keyed to that note's wording."""
    import json
    from pathlib import Path

    import yaml

    sets = [shared_dev / "extraction.jsonl",
            *sorted((Path(__file__).resolve().parents[2] / "eval" / "data" / "generalisation").glob("*.jsonl"))]
    notes = [json.loads(line)["text"] for path in sets if path.is_file()
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def examples(node):
        if isinstance(node, dict):
            yield from (e for e in node.get("examples") or [] if isinstance(e, str))
            for value in node.values():
                yield from examples(value)
        elif isinstance(node, list):
            for value in node:
                yield from examples(value)

    quoted = [(path.name, e) for path in sorted(CONFIG_DIR.glob("*.yaml"))
              for e in examples(yaml.safe_load(path.read_text(encoding="utf-8")))
              if len(e) >= 8 and any(e in note for note in notes)]
    assert quoted == []
