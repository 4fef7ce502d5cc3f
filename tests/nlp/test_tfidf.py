"""The shipped character n-gram vectorizers' weights by hand are scikit-learn's own."""
from __future__ import annotations

import json

import numpy as np
import pytest

from jinnang.nlp.date_types import load_model
from jinnang.nlp.journey_model import load_journey_model
from jinnang.nlp.objection_scorer import load_scorer
from jinnang.nlp.tfidf import tfidf_transform
from jinnang.nlp.visit_needs import load_needs_model
from jinnang.nlp.visit_questions import load_questions_model


def shipped_vectorizers():
    scorer = load_scorer()
    return [("date types", load_model().vectorizer), ("questions answered", load_questions_model().vectorizer),
            ("journey", load_journey_model().vectorizer), ("objection clauses", scorer.clause_vectorizer),
            ("objection previous clauses", scorer.previous_vectorizer),
            *((f"need {name}", fact.vectorizer) for name, fact in load_needs_model().facts.items())]


@pytest.fixture
def texts(shared_dev):
    lines = (shared_dev / "extraction.jsonl").read_text(encoding="utf-8").splitlines()
    notes = [json.loads(line)["text"] for line in lines[:40]]
    # whole notes, their lines, an empty text, English and whitespace runs the analyzer folds
    return notes + [line for note in notes[:5] for line in note.splitlines()] + ["", "Dr. Li  said\tOK", "　 \n"]


@pytest.mark.parametrize("label, vectorizer", shipped_vectorizers())
def test_weights_by_hand_are_the_vectorizers_own(label, vectorizer, texts):
    expected, got = vectorizer.transform(texts), tfidf_transform(vectorizer, texts)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got.toarray(), expected.toarray())
