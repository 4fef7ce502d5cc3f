"""A fitted TfidfVectorizer's `transform` without scikit-learn's input checks.

`TfidfVectorizer.transform` counts the n-grams, then hands the counts to `TfidfTransformer`, which
validates and copies the matrix and normalises it through `normalize`'s checks: over the five
small models' calls a note makes, those checks took about as long as the counting. The counting
is scikit-learn's own; the weighting and the l2 norm are the same steps on the same numbers, and
the row norm is scikit-learn's own routine (tests/nlp/test_tfidf.py holds every shipped
vectorizer to `transform`)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def tfidf_transform(vectorizer: Any, texts: Sequence[str]) -> Any:
    """`vectorizer.transform(texts)` for a fitted TfidfVectorizer with l2 norm or none."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

    if vectorizer.norm not in ("l2", None):
        return vectorizer.transform(texts)
    x = CountVectorizer.transform(vectorizer, texts)
    if x.dtype != np.float64:
        x = x.astype(np.float64)
    if vectorizer.sublinear_tf:
        np.log(x.data, out=x.data)
        x.data += 1.0
    if vectorizer.use_idf:
        x.data *= vectorizer.idf_[x.indices]
    if vectorizer.norm == "l2":
        inplace_csr_row_normalize_l2(x)
    return x
