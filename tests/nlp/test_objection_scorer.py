"""The learned objection scorer beside the cue rules: what it adds, what it may not add, its config."""
from __future__ import annotations

from pathlib import Path

import pytest

from jinnang.core.config import ConfigError, load_yaml_model
from jinnang.nlp.objection_scorer import load_scorer, train, training_rows
from jinnang.nlp.objections import ObjectionFinder, ObjectionVocab, find_objections

CONFIG = Path(__file__).resolve().parents[2] / "src" / "jinnang" / "nlp" / "config" / "objections.yaml"


def test_a_clause_is_labelled_with_every_objection_whose_evidence_it_overlaps():
    case = {"text": "主任说价格偏高，预算也紧张。科里挺喜欢", "gold": {"objections": [
        {"category": "price", "evidence": "价格偏高"}, {"category": "budget", "evidence": "预算也紧张"}]}}
    texts, previous, labels = training_rows([case])
    assert texts == ["主任说价格偏高", "预算也紧张", "科里挺喜欢"]
    assert previous == ["", "主任说价格偏高", "预算也紧张"]
    assert [row.nonzero()[0].tolist() for row in labels] == [[0], [1], []]  # price, budget, none


def test_training_needs_every_category():
    with pytest.raises(ValueError, match="no labelled clause"):
        train([{"text": "价格偏高", "gold": {"objections": [{"category": "price", "evidence": "价格偏高"}]}}])


def test_the_scorer_adds_a_concern_no_cue_names_with_a_lower_confidence():
    text = "主任说院里今年钱紧得很"
    rules_only = load_yaml_model(CONFIG, ObjectionVocab)
    rules_only.scorer.enabled = False
    assert ObjectionFinder(rules_only).find(text) == []
    found = find_objections(text)
    assert [o.category for o in found] == ["budget"]
    assert found[0].evidence == text and found[0].confidence < 0.8  # a rule's default weight is 0.8


def test_the_scorer_never_overrides_the_negation_and_speaker_filters():
    scorer = load_scorer()
    text = "客户没提预算的事"
    assert max(scorer.clause_probs(text)[0].probs.values()) > 0  # it does score the clause …
    assert find_objections(text) == []                        # … but not_concern cancels it


def test_scorer_settings_are_validated_with_the_line(tmp_path):
    bad = tmp_path / "objections.yaml"
    bad.write_text(CONFIG.read_text(encoding="utf-8").replace("threshold: 0.7", "threshold: 1.5"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+.*scorer.*threshold"):
        load_yaml_model(bad, ObjectionVocab)


def test_an_enabled_scorer_without_its_model_file_is_a_config_error(tmp_path):
    bad = tmp_path / "objections.yaml"
    bad.write_text(CONFIG.read_text(encoding="utf-8").replace("model: objection_scorer.joblib", "model: nowhere.joblib"),
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="train_objections"):
        load_yaml_model(bad, ObjectionVocab)


def test_the_fast_product_gives_the_fitted_models_probabilities():
    import numpy as np

    scorer = load_scorer()
    texts = ["主任说价格偏高", "信息科担心接口", "科里挺喜欢"]
    matrix = scorer._matrix(texts, ["", *texts[:-1]])
    assert np.allclose(scorer._probabilities(matrix), scorer.model.predict_proba(matrix))
