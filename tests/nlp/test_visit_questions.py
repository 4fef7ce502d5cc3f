"""The learned count of questions answered on the spot: what it reads, when it overrules the rules,
and that the rules stand alone where its file is missing."""
import json

import pytest

from jinnang.nlp.visit import find_visit_facts
from jinnang.nlp.visit_questions import (
    MODEL_FILE,
    MODELS,
    find_visit,
    load_questions_model,
    passage_text,
    question_passages,
    train,
)


def test_question_passages_are_the_sentences_with_a_question_word_and_the_sentence_after():
    text = "带了彩页。主任问保修几年？我说整机三年。下周再去。"
    assert passage_text(text) == "主任问保修几年？我说整机三年"
    assert [text[s:e] for s, e in question_passages(text)] == ["主任问保修几年？我说整机三年"]
    assert passage_text("带了彩页，下周再去。") == ""


def test_the_packaged_model_counts_zero_to_three_or_more_with_a_threshold_chosen_held_out():
    card = json.loads((MODELS / MODEL_FILE).with_suffix(".json").read_text(encoding="utf-8"))
    model = load_questions_model()
    assert model is not None
    assert list(model.model.classes_) == [0, 1, 2, 3]
    assert model.threshold == card["threshold"]
    assert "leave-one-set-out" in card["chosen_on"] and card["cases"] > 1000


def _tiny_model(threshold: float):
    answered = ["主任问能不能兼容？我说可以，当场给他看了参数表。", "科长问价格能不能降？我答复按集采价执行。"]
    open_ = ["主任问能不能兼容？回去问研发再答复。", "科长问价格能不能降？这个得回公司申请。"]
    passages = answered * 6 + open_ * 6
    return train(passages, [0] * len(passages), [1] * 12 + [0] * 12, c=10.0, threshold=threshold)


def test_a_model_overrules_the_rules_only_where_it_disagrees_past_its_threshold():
    eager, shy = _tiny_model(0.5), _tiny_model(0.999)
    text = "护士长问能不能兼容？我说可以，当场给她看了参数表。"
    assert eager.count(text, 0) == 1  # the rules said none; the model reads an answer
    assert eager.count(text, 1) is None  # it agrees with the rules: nothing to overrule
    assert shy.count(text, 0) is None  # not sure enough
    assert eager.count("带了彩页，下周再去。", 0) is None  # no question: nothing to read


def test_without_its_file_the_rules_count_alone(tmp_path):
    text = "主任问保修几年？我说整机三年，主任点头了。"
    missing = str(tmp_path / "none.joblib")
    assert find_visit(text, missing) == find_visit_facts(text)


@pytest.mark.parametrize("text", [
    "设备科长问配套耗材贵不贵，我把报价单给他过了一遍，他说价格还行。",
    "护士长问探头多久保养一次，我说半年一次，我们工程师上门。",
])
def test_an_answer_written_plainly_counts_with_its_question_passage_as_evidence(text):
    assert find_visit_facts(text).questions_resolved == 0  # no cue of the rules names the answer
    facts = find_visit(text)
    assert facts.questions_resolved == 1
    assert any(ev.text.startswith(text[:5]) for ev in facts.evidence)


def test_an_answer_put_off_is_no_answer():
    assert find_visit("主任问能不能便宜点，我说回去申请。").questions_resolved == 0
