"""A fitted logistic regression's probabilities without scikit-learn's input checks.

Per call, `predict_proba` checks its input for data frames and feature names; over the handful of
calls a note makes that was about 5 % of extraction. The shipped models are lbfgs regressions: a
sigmoid for two classes, a softmax over more (tests/nlp/test_logistic.py holds them to
`predict_proba`)."""
from __future__ import annotations

from typing import Any

import numpy as np


def logistic_proba(model: Any, x: Any) -> np.ndarray:
    """`model.predict_proba(x)` for a fitted LogisticRegression and a dense or sparse `x`."""
    from scipy.special import expit, softmax

    z = np.asarray(x @ model.coef_.T) + model.intercept_
    if z.shape[1] == 1:
        p = expit(z[:, 0])
        return np.column_stack([1.0 - p, p])
    return softmax(z, axis=1)
