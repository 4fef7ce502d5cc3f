"""The clause-level objection classifier: what it adds beside the rules, what it may not add, which model it reads."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from jinnang.core.records import OBJECTION_CATEGORIES
from jinnang.core.settings import get_settings
from jinnang.nlp.objection_clauses import (
    MODEL_FILE,
    MODELS,
    ClauseModel,
    fit,
    gold_labels,
    learned_dir,
    load_model,
    model_path,
    note_features,
    save,
)
from jinnang.nlp.objections import ObjectionFinder, default_finder

OUT_OF_POCKET = "科主任觉得每个病人多花两百块，病人不一定愿意自费。"


@pytest.fixture
def finder() -> ObjectionFinder:
    return ObjectionFinder(default_finder().vocab)


def test_the_packaged_model_is_small_and_its_threshold_was_chosen_high():
    path = MODELS / MODEL_FILE
    assert path.stat().st_size < 500_000
    model = load_model(path)
    assert model is not None and 0.8 <= model.threshold < 1.0
    # three embeddings (clause, previous, next), then the character scorer's and the cues' eight
    # categories and the term groups
    groups = model.term_groups
    assert groups == sorted(default_finder().term_rx) and "brand" in groups
    assert model.context == 3
    assert model.weights.shape == (1536 + 2 * len(OBJECTION_CATEGORIES) + len(groups), len(OBJECTION_CATEGORIES))
    assert "leave-one-set-out" in model.card["threshold_chosen_on"]


def test_a_clause_is_positive_for_each_gold_objection_whose_evidence_it_overlaps():
    text = "主任说价格偏高，预算也紧张。科里挺喜欢"
    pairs, rows, x = note_features(text)
    y = gold_labels(text, [c for _, c in pairs], [{"category": "price", "evidence": "价格偏高"},
                                                  {"category": "budget", "evidence": "预算也紧张"}])
    assert [c.text for _, c in pairs] == ["主任说价格偏高", "预算也紧张", "科里挺喜欢"]
    assert rows == [0, 1, 2] and x.shape == (3, 1536)
    assert [r.nonzero()[0].tolist() for r in y] == [[0], [1], []]
    # then half the previous clause's vector, and half the next one's
    assert np.allclose(x[1, 512:1024], 0.5 * x[0, :512]) and not x[0, 512:1024].any()
    assert np.allclose(x[1, 1024:], 0.5 * x[2, :512]) and not x[2, 1024:].any()


def test_the_rules_findings_in_each_clause_are_read_beside_its_embeddings(finder):
    text = "主任说价格偏高，奥林巴斯的人也来过。科里挺喜欢"
    pairs, _, _ = note_features(text)
    groups = sorted(finder.term_rx)
    extras = finder.clause_extras(pairs, finder.scorer.clause_probs(text), finder.hits(text), [*groups, "gone"])
    cats = list(OBJECTION_CATEGORIES)
    price, competitor = cats.index("price"), cats.index("competitor")
    cued = extras[:, len(cats):2 * len(cats)]
    named = extras[:, 2 * len(cats):]
    assert cued[0, price] == 1 and cued[1, competitor] == 1 and not cued[2].any()
    assert named[1, groups.index("brand")] == 1 and not named[0, groups.index("brand")]
    assert not named[:, -1].any()  # a term group the vocabulary no longer has reads as absent
    assert extras[0, price] > extras[2, price]  # the character scorer's probability
    _, _, x = note_features(text, extras=extras)
    assert x.shape == (3, 1536 + extras.shape[1]) and np.array_equal(x[:, 1536:], extras)


def test_it_adds_a_concern_the_rules_and_the_character_scorer_missed_with_the_clause_as_evidence(finder):
    finder.clause_override = False
    without = {o.category for o in finder.find(OUT_OF_POCKET)}
    finder.clause_override = None
    added = [o for o in finder.find(OUT_OF_POCKET) if o.category not in without]
    assert [(o.category, o.evidence) for o in added] == [("price", "病人不一定愿意自费")]
    assert OUT_OF_POCKET[added[0].start:added[0].end] == added[0].evidence
    assert added[0].confidence <= 0.8  # its probability × 0.8: below a rule's


def test_the_rules_filters_still_judge_its_clauses(finder):
    # a distributor's view is no objection (gold-format.md), whatever the model thinks of the clause
    text = "经销商觉得每个病人多花两百块，病人不一定愿意自费。"
    assert "price" not in {o.category for o in finder.find(text)}


def test_a_data_dirs_refit_is_preferred_and_reread_when_it_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("JINNANG_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert model_path() == MODELS / MODEL_FILE
        x = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
        y = np.zeros((40, len(OBJECTION_CATEGORIES)), dtype=bool)
        y[:20, 0] = True
        save(fit(x, y, threshold=0.9), learned_dir() / MODEL_FILE)
        assert model_path() == tmp_path / "learning" / "models" / MODEL_FILE
        first = load_model()
        assert first is not None and first.threshold == 0.9
        save(ClauseModel(first.weights, first.bias, 0.95, {}), model_path())
        os.utime(model_path(), ns=(1, 10**18))  # a new stamp even within the clock's resolution
        second = load_model()
        assert second is not None and second.threshold == 0.95
    finally:
        get_settings.cache_clear()


def test_a_model_of_other_categories_is_refused(tmp_path):
    path = tmp_path / MODEL_FILE
    data = json.loads((MODELS / MODEL_FILE).read_text(encoding="utf-8"))
    data["categories"] = data["categories"][:-1]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="categories"):
        load_model(path)


def test_a_clause_voicing_a_gold_category_elsewhere_in_its_note_is_left_out_of_that_categorys_fit():
    # two rows alike; the gold names the first as price's evidence. Read as a negative, the second
    # would cancel the first; marked unknown, the fit sees only the positive and the other notes
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], dtype=np.float32)
    y = np.zeros((4, len(OBJECTION_CATEGORIES)), dtype=bool)
    y[0, 0] = True
    unknown = np.zeros_like(y)
    unknown[1, 0] = True
    rows = np.array([[1.0, 0.0]], dtype=np.float32)
    with_unknown = fit(x, y, c=100.0, unknown=unknown).probabilities(rows)[0, 0]
    as_negative = fit(x, y, c=100.0).probabilities(rows)[0, 0]
    assert with_unknown > 0.95 and as_negative < 0.8


def test_a_model_fitted_before_the_next_clause_was_read_still_reads_its_own_columns():
    rng = np.random.default_rng(1)
    old = ClauseModel(rng.normal(size=(1024 + 3, len(OBJECTION_CATEGORIES))).astype(np.float32),
                      np.zeros(len(OBJECTION_CATEGORIES), dtype=np.float32), 0.9, {"term_groups": ["a"]})
    assert old.context == 2 and old.term_groups == ["a"]
    x = rng.normal(size=(2, 1536 + 3)).astype(np.float32)  # rows as this version builds them
    expected = 1 / (1 + np.exp(-(np.hstack([x[:, :1024], x[:, 1536:]]) @ old.weights)))
    assert np.allclose(old.probabilities(x), expected, atol=1e-5)
