"""The shipped logistic regressions' probabilities by hand are scikit-learn's own."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import random as sparse_random

from jinnang.nlp.date_types import load_model
from jinnang.nlp.logistic import logistic_proba
from jinnang.nlp.people.learned_names import packaged_model
from jinnang.nlp.visit_needs import load_needs_model
from jinnang.nlp.visit_questions import load_questions_model


def shipped_regressions():
    needs = load_needs_model()
    return [("date types", load_model().model), ("questions answered", load_questions_model().model),
            ("names", packaged_model().model),
            *((f"need {name}", fact.model) for name, fact in needs.facts.items())]


@pytest.mark.parametrize("label, model", shipped_regressions())
def test_probabilities_by_hand_match_predict_proba(label, model):
    """Binary models (a sigmoid) and multi-class ones (a softmax), on sparse rows like the notes'."""
    x = sparse_random(7, model.coef_.shape[1], density=0.02, format="csr", random_state=3) * 4.0
    np.testing.assert_allclose(logistic_proba(model, x), model.predict_proba(x), rtol=1e-9, atol=1e-12)
    dense = x.toarray()
    np.testing.assert_allclose(logistic_proba(model, dense), model.predict_proba(dense), rtol=1e-9, atol=1e-12)
