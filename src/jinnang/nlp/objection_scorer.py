"""A learned objection scorer beside the cue rules: one probability per category for each clause.

Rules are precise but every new writer brings phrasings no cue list has seen (objection recall
on blind sets is 0.55–0.6). The scorer reads a clause's characters (1–3-grams) and, more
lightly, those of the clause before it, and gives each of the 8 categories a probability
(one-vs-rest logistic regression). `nlp/objections.py` adds a category the rules missed when a
clause scores at least the configured threshold (`scorer` in nlp/config/objections.yaml) and
the rules' negation and speaker filters do not cancel that clause.

Trained once, offline, from the labelled extraction sets by `python training/train_objections.py`;
the fitted model is a joblib file under nlp/models/ with a JSON card naming its data.

>>> scorer = load_scorer()
>>> [(c.text, max(p, key=p.get)) for _, c, p in scorer.clause_probs("科里觉得这个东西太贵了")]  # doctest: +SKIP
[('科里觉得这个东西太贵了', 'price')]
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from jinnang.core.records import OBJECTION_CATEGORIES
from jinnang.nlp.model_files import ChangedFileCache, learned_dir, packaged_path, save_joblib
from jinnang.nlp.tfidf import tfidf_transform
from jinnang.nlp.vocab import Unit, clauses, sentences

MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILE = "objection_scorer.joblib"
PREVIOUS_CLAUSE_WEIGHT = 0.5


def clause_units(text: str) -> list[Unit]:
    """The comma-level clauses of every sentence, in text order (whole-text offsets)."""
    return [c for s in sentences(text) for c in clauses(s)]


class ClauseScore(NamedTuple):
    """One clause of a text, its sentence, and each category's probability for it."""

    sentence: Unit
    clause: Unit
    probs: dict[str, float]


@dataclass
class ObjectionScorer:
    clause_vectorizer: Any
    previous_vectorizer: Any
    model: Any  # OneVsRestClassifier over OBJECTION_CATEGORIES, in that order

    def _matrix(self, texts: Sequence[str], previous: Sequence[str]):
        from scipy.sparse import hstack

        return hstack([tfidf_transform(self.clause_vectorizer, texts),
                       PREVIOUS_CLAUSE_WEIGHT * tfidf_transform(self.previous_vectorizer, previous)]).tocsr()

    def _probabilities(self, matrix) -> np.ndarray:
        # the eight regressions as one product: predict_proba's per-estimator overhead was
        # half of the scorer's time per note; same numbers (tests/nlp/test_objection_scorer.py)
        if not hasattr(self, "_weights"):
            self._weights = np.column_stack([e.coef_.ravel() for e in self.model.estimators_])
            self._bias = np.array([e.intercept_[0] for e in self.model.estimators_])
        from scipy.special import expit

        return expit(matrix @ self._weights + self._bias)

    def clause_probs(self, text: str) -> list[ClauseScore]:
        """(sentence, clause, {category: probability}) for every clause of `text`."""
        pairs = [(s, c) for s in sentences(text) for c in clauses(s)]
        if not pairs:
            return []
        texts = [c.text for _, c in pairs]
        probs = self._probabilities(self._matrix(texts, ["", *texts[:-1]]))
        return [ClauseScore(s, c, {cat: float(p) for cat, p in zip(OBJECTION_CATEGORIES, row)})
                for (s, c), row in zip(pairs, probs)]

    def clause_probs_many(self, texts: Sequence[str]) -> list[list[ClauseScore]]:
        """`clause_probs` of each text, the clauses of all of them scored at once (a refit's check
        scores 1,800 notes twice: one matrix instead of one a note)."""
        pairs = [[(s, c) for s in sentences(text) for c in clauses(s)] for text in texts]
        clause_texts = [[c.text for _, c in note] for note in pairs]
        flat = [t for note in clause_texts for t in note]
        if not flat:
            return [[] for _ in texts]
        probs = self._probabilities(self._matrix(flat, [p for note in clause_texts for p in ["", *note[:-1]]]))
        out, at = [], 0
        for note in pairs:
            out.append([ClauseScore(s, c, {cat: float(p) for cat, p in zip(OBJECTION_CATEGORIES, row)})
                        for (s, c), row in zip(note, probs[at:at + len(note)])])
            at += len(note)
        return out


def training_rows(cases: Iterable[dict]) -> tuple[list[str], list[str], np.ndarray]:
    """Clauses, the clause before each, and their categories (a clause is labelled with every gold
    objection whose evidence it overlaps) from gold-format extraction cases."""
    texts: list[str] = []
    previous: list[str] = []
    labels: list[list[bool]] = []
    for case in cases:
        text = case["text"]
        units = clause_units(text)
        marked: list[set[str]] = [set() for _ in units]
        for objection in (case.get("gold") or {}).get("objections") or []:
            at = text.find(objection["evidence"])
            if at < 0:
                continue
            end = at + len(objection["evidence"])
            for k, u in enumerate(units):
                if u.start < end and at < u.end:
                    marked[k].add(objection["category"])
        texts += [u.text for u in units]
        previous += ["", *[u.text for u in units[:-1]]]
        labels += [[cat in m for cat in OBJECTION_CATEGORIES] for m in marked]
    return texts, previous, np.array(labels, dtype=bool)


def train(cases: Iterable[dict], c: float = 4.0) -> ObjectionScorer:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    texts, previous, y = training_rows(cases)
    missing = [cat for cat, n in zip(OBJECTION_CATEGORIES, y.sum(axis=0)) if n == 0]
    if missing:
        raise ValueError(f"no labelled clause for {', '.join(missing)}: the scorer needs every category")
    scorer = ObjectionScorer(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True).fit(texts),
        TfidfVectorizer(analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(previous),
        OneVsRestClassifier(LogisticRegression(C=c, class_weight="balanced", max_iter=2000)),
    )
    scorer.model.fit(scorer._matrix(texts, previous), y)
    return scorer


def save(scorer: ObjectionScorer, path: Path, card: dict[str, Any]) -> None:
    save_joblib({"clause_vectorizer": scorer.clause_vectorizer, "previous_vectorizer": scorer.previous_vectorizer,
                 "model": scorer.model}, path, card)


def model_path(model: str) -> Path:
    return packaged_path(MODELS, model)


@lru_cache(maxsize=4)
def load_scorer(model: str = MODEL_FILE) -> ObjectionScorer:
    """The fitted scorer; a missing file is a FileNotFoundError naming the training command."""
    import joblib

    path = model_path(model)
    if not path.is_file():
        raise FileNotFoundError(f"objection scorer {path} is missing: run `python training/train_objections.py` once")
    return ObjectionScorer(**joblib.load(path))


def learned_path(data_dir: Path | None = None) -> Path:
    """Where a data dir keeps its own refit of the scorer (`jinnang learn`, nlp/learning.py)."""
    return learned_dir(data_dir) / MODEL_FILE


def _read_scorer(path: Path) -> ObjectionScorer:
    import joblib

    return ObjectionScorer(**joblib.load(path))


_learned: ChangedFileCache[ObjectionScorer] = ChangedFileCache()


def learned_scorer(data_dir: Path | None = None) -> ObjectionScorer | None:
    """The data dir's own refit, re-read when its file changes; None when it has none."""
    return _learned.get(learned_path(data_dir), _read_scorer)
