"""Our own engineers told from the customer's (issue 15: learned parts where the rules overfit).

范工跟车过去装, 让黎工下午过去看了, 苗工给内镜室做了上机培训: a rep's notes name our own engineers by
surname and 工 as often as the hospital's (设备科柴工, 信息科姚工), and nothing in the title tells them
apart. Over 3,225 retired notes 81 of the 374 engineers read were ours, 22% of the engineers listed.
What tells them apart is around each mention: who sends them (让, 派, 叫), what they do (装机, 跟台, 驻场,
培训), whose department stands before them. A logistic regression over the characters (1–3-grams)
around every mention of the person, and whether the rules found a department, gives the probability
that the engineer is the customer's; under the packaged threshold the person is left out.

Trained offline by `python training/train_own_engineers.py` (C and threshold chosen by pooled
leave-one-set-out over the retired blind sets); a joblib file under nlp/models/ with a JSON card.
Without the file every engineer the rules read is kept.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from jinnang.core.records import DecisionMaker
from jinnang.nlp.logistic import logistic_proba
from jinnang.nlp.model_files import load_joblib
from jinnang.nlp.tfidf import tfidf_transform

MODELS = Path(__file__).resolve().parents[1] / "models"
MODEL_FILE = "own_engineers.joblib"
TITLE = "工程师"
WINDOW = 12  # characters on either side of a mention
DEPARTMENT_WEIGHT = 3.0  # a department the rules found weighs as much as a few telling characters


def person_context(text: str, person: DecisionMaker) -> str:
    """The characters around each of the person's mentions, the mention itself as ⟨P⟩, one line each."""
    return "\n".join(f"{text[max(0, e.start - WINDOW):e.start]}⟨P⟩{text[e.end:e.end + WINDOW]}"
                     for e in person.evidence if e.start is not None and e.end is not None)


def _matrix(vectorizer: Any, contexts: Sequence[str], with_department: Sequence[bool]) -> Any:
    from scipy.sparse import csr_matrix, hstack

    column = csr_matrix(np.array([[DEPARTMENT_WEIGHT if d else 0.0] for d in with_department]))
    return hstack([tfidf_transform(vectorizer, contexts), column]).tocsr()


@dataclass
class OwnEngineersModel:
    vectorizer: Any  # TfidfVectorizer over characters of the contexts
    model: Any  # LogisticRegression: True = the customer's engineer
    threshold: float  # an engineer under this probability of being the customer's is left out

    def customer_probability(self, contexts: Sequence[str], with_department: Sequence[bool]) -> np.ndarray:
        if not contexts:
            return np.zeros(0)
        probs = logistic_proba(self.model, _matrix(self.vectorizer, contexts, with_department))
        return probs[:, list(self.model.classes_).index(True)]

    def keep(self, text: str, people: list[DecisionMaker]) -> list[DecisionMaker]:
        """`people` less the engineers it reads as our own."""
        engineers = [i for i, p in enumerate(people) if p.title == TITLE]
        if not engineers:
            return people
        probs = self.customer_probability([person_context(text, people[i]) for i in engineers],
                                          [people[i].department is not None for i in engineers])
        ours = {i for i, p in zip(engineers, probs) if p < self.threshold}
        return [p for i, p in enumerate(people) if i not in ours]


def fit(contexts: Sequence[str], with_department: Sequence[bool], customer: Sequence[bool], c: float,
        threshold: float = 0.0) -> OwnEngineersModel:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True).fit(contexts)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(
        _matrix(vectorizer, contexts, with_department), list(customer))
    return OwnEngineersModel(vectorizer, model, threshold)


@lru_cache(maxsize=1)
def packaged_model() -> OwnEngineersModel | None:
    """The packaged model; None when its file is missing or unreadable (every engineer is kept)."""
    return load_joblib(MODELS / MODEL_FILE, OwnEngineersModel, "own engineers model")
