"""The entity layer: spaCy pipeline from config, entity offsets, `jinnang ner` and `jinnang eval ner`."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import jinnang.cli.ner_cmds  # noqa: F401  (registers the commands)
from jinnang.cli.app import app
from jinnang.nlp.ner import find_entities
from jinnang.nlp.pipeline import get_nlp


def labelled(text):
    return [(e.label, e.text) for e in find_entities(text)]


def test_pipeline_is_built_from_config_with_lac_tokens():
    nlp = get_nlp()
    assert nlp.pipe_names == ["jinnang_crf_ner", "jinnang_gazetteer_aligner", "span_ruler", "jinnang_entity_resolver"]
    doc = nlp("宁波市第二医院关节外科")
    assert doc.text == "宁波市第二医院关节外科"
    assert all(t.tag_ for t in doc)  # LAC's tag on every token


def test_offsets_are_end_exclusive_slices_of_the_text():
    text = "昨天在绍兴市人民医院财务处见了饶处长，她说预算年底前批。"
    entities = find_entities(text)
    assert entities
    for e in entities:
        assert text[e.start:e.end] == e.text


def test_department_title_and_surname_are_separate_entities():
    ents = labelled("下午去器械科找了卞科长")
    assert ("department", "器械科") in ents and ("position", "科长") in ents and ("name", "卞") in ents


def test_hospital_abbreviations_are_organizations():
    assert ("organization", "常州二院") in labelled("常州二院手术室的项目还在等预算")
    assert ("organization", "蚌埠医学院一附院") in labelled("明天去蚌埠医学院一附院拜访")


def test_general_text_keeps_the_cluener_reading():
    ents = labelled("布鲁京斯研究所桑顿中国中心研究部主任李成说，东亚的和平与安全很重要。")
    assert ("name", "李成") in ents
    assert ("position", "研究部主任") in ents


def test_a_title_word_inside_an_organization_name_does_not_split_it():
    ents = labelled("对此，鼎泰律师事务所律师杨功涵表示")
    assert ("organization", "鼎泰律师事务所") in ents
    assert ("position", "律师") in ents and ("name", "杨功涵") in ents


def test_tagged_spans_lose_spaces_and_unpaired_brackets_at_their_edges():
    from jinnang.nlp.components import trim_span

    text = "（工程师 凌浩）：国药（集团）"
    assert trim_span(text, "name", 4, 8) == ("name", 5, 7)  # " 凌浩）" → 凌浩
    assert trim_span(text, "organization", 9, 15) == ("organization", 9, 15)  # 国药（集团） keeps its pair
    assert trim_span(text, "name", 4, 5) is None


def test_dictionary_priors_reach_the_tagger():
    from jinnang.nlp.crf_features import char_features

    feats = char_features("司马光说", [("司马光", "PER"), ("说", "v")])
    assert feats[0]["sur"] == "1"  # 司 is in the surname gazetteer
    assert any(k.startswith("lxB") for k in feats[0])  # 司马光 is a jieba dictionary word
    assert feats[3]["sur"] == "0" and not any(k.startswith("lx") for k in feats[3])


def test_ner_cli_answers_each_line_and_names_the_bad_field(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "设备科沈科长"}, ensure_ascii=False) + "\n"
                   + json.dumps({"id": "b", "text": ""}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["ner", "--jsonl", str(src)])
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert result.exit_code == 1
    assert lines[0]["id"] == "a" and {"label": "position", "text": "科长", "start": 4, "end": 6} in lines[0]["entities"]
    assert lines[1]["error"]["field"] == "text" and lines[1]["error"]["status"] == 422


def test_eval_ner_scores_a_cluener_file(tmp_path):
    gold = tmp_path / "dev.json"
    gold.write_text(json.dumps({"text": "浙商银行企业信贷部叶老桂博士认为", "label": {"name": {"叶老桂": [[9, 11]]}}},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "ner", str(gold), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["cluener"]
    assert scores["name"]["gold"] == 1 and set(scores) >= {"name", "position", "organization"}


def test_eval_ner_missing_file_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["eval", "ner", str(tmp_path / "nope.json")])
    assert result.exit_code == 2


def test_eval_ner_missing_decision_maker_set_exits_2_naming_the_option(tmp_path):
    result = CliRunner().invoke(app, ["eval", "ner", "--decision-makers", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "--decision-makers" in result.output


def test_gazetteer_mistake_names_file_line_and_field(tmp_path):
    from jinnang.core.config import ConfigError
    from jinnang.nlp.gazetteers import Titles, load

    bad = tmp_path / "titles.yaml"
    bad.write_text("titles:\n  - {written: 主任, bare: 主任, kind: post}\n  - {written: 科长, bare: 科长, kind: boss}\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match=r"titles.yaml, line 3, field titles\[1\]\.kind"):
        load(Titles, bad)


def test_a_conjunction_before_a_title_is_no_surname():
    # 和 and 经 are surnames in the YAML list, but here LAC reads them as function words
    assert not any(label == "name" for label, _ in labelled("几位教授和专家已经说了"))
    assert ("name", "卞") in labelled("下午去器械科找了卞科长")
