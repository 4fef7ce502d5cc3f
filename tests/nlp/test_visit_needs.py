"""The learned sample brought and cross-department needs: what they read, that they only add to the
rules past their threshold, and that the rules stand alone where the file is missing."""
import json

import pytest

from jinnang.core.records import VisitFacts
from jinnang.nlp.visit import find_visit_facts
from jinnang.nlp.visit_needs import (
    FACTS,
    MODEL_FILE,
    MODELS,
    NeedsModel,
    fit_fact,
    load_needs_model,
    passage_text,
    with_learned_needs,
)


def test_each_fact_reads_the_sentences_with_its_words_and_the_sentence_after():
    text = "下午见了主任。样机我们自己带去的，开机演示了半小时。主任很满意。信息科说要对接HIS。"
    assert passage_text(text, "sample_brought") == "样机我们自己带去的，开机演示了半小时。主任很满意"
    assert passage_text(text, "custom_interface") == "信息科说要对接HIS"
    assert passage_text(text, "clinical_training") == ""


def test_the_packaged_model_covers_the_four_facts_with_a_threshold_chosen_held_out():
    card = json.loads((MODELS / MODEL_FILE).with_suffix(".json").read_text(encoding="utf-8"))
    model = load_needs_model()
    assert model is not None and set(model.facts) == set(FACTS)
    assert model.thresholds == {f: card["facts"][f]["threshold"] for f in FACTS}
    assert "leave-one-set-out" in card["chosen_on"] and card["cases"] > 1000


def _tiny_model(threshold: float) -> NeedsModel:
    brought = ["样机我们带过去了，现场开机看了图像。", "把演示机推到科里，主任上手试了。"]
    not_brought = ["样机下次再带，这次先送彩页。", "演示机还在别的医院，等下个月。"]
    texts = brought * 6 + not_brought * 6
    sample = fit_fact(texts, [False] * len(texts), [True] * 12 + [False] * 12, c=10.0)
    others = {f: fit_fact(texts, [False] * len(texts), [False, True] * 12, c=1.0) for f in FACTS[1:]}
    return NeedsModel({"sample_brought": sample, **others}, dict.fromkeys(FACTS, threshold))


def test_a_model_adds_a_fact_only_past_its_threshold_and_never_takes_one_away():
    eager, shy = _tiny_model(0.6), _tiny_model(0.999)
    text = "样机我们带过去了，主任上手试了。"
    rules = VisitFacts()
    assert eager.added(text, rules).keys() == {"sample_brought"}
    assert shy.added(text, rules) == {}
    assert eager.added(text, VisitFacts(sample_brought=True)) == {}  # the rules found it already
    assert eager.added("下午见了主任，聊了价格。", rules) == {}  # nothing written about a sample


def test_without_its_file_the_rules_answer_alone(tmp_path):
    text = "样机我们自己带去的，主任上手试了。"
    facts = find_visit_facts(text)
    assert with_learned_needs(text, facts, str(tmp_path / "none.joblib")) == facts


@pytest.mark.parametrize("text, fact", [
    ("今天下午把便携样机带到急诊科，主任和两个住院医都上手扫了一遍。", "sample_brought"),
    ("护士长说新机器她们不会用，我答应下周让公司的应用专家过来给护士做一次操作培训。", "clinical_training"),
])
def test_a_fact_written_plainly_is_added_with_its_passage_as_evidence(text, fact):
    facts = with_learned_needs(text, find_visit_facts(text))
    found = facts.sample_brought if fact == "sample_brought" else fact in facts.cross_dept_needs
    assert found
    assert any(ev.start is not None and text[ev.start:ev.end] == ev.text for ev in facts.evidence)
