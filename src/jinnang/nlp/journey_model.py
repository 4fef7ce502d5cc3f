"""A learned journey node where the rules name none (issue 15: learned components beside the rules).

The signal rules (nlp/journey.py) are precise — over the 1,255 labelled notes they named a wrong
node 28 times — but silent on 200 notes whose stage a reader sees: "试用收尾", "准入表收到了",
"合同今天上午双方盖章". Team writers label the deal's stage on nearly every note. Where the rules
are silent, a logistic regression over the note's characters (1–3-grams) and the key-date types the
date finder typed (demo, trial_start, committee_meeting …) names a node when its probability passes
the packaged threshold; "no node" is one of its classes, so a routine note stays without one.

The rules win where they speak, unless the model reads another node (or none) with near certainty
and gives theirs next to no chance (`override` and `veto`, chosen with the threshold by the same
leave-one-set-out: a summary's 试用中 over a signed contract). A learned node carries its evidence
(the note's sentence that the model reads as most of that node) and a confidence calibrated on held-out predictions
(Platt scaling over leave-one-set-out folds), lower than a rule's: the evidence gates of
shared/spec/journey.md still decide whether an account moves.

Trained offline by `python training/train_journey.py` (C and threshold chosen by pooled
leave-one-set-out over the retired blind sets); the fitted model is a joblib file under
nlp/models/ with a JSON card.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from jinnang.core.records import JOURNEY_NODES
from jinnang.nlp.journey import find_journey_node
from jinnang.nlp.model_files import packaged_path, save_joblib
from jinnang.nlp.tfidf import tfidf_transform
from jinnang.nlp.vocab import sentences

log = logging.getLogger(__name__)
MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILE = "journey_fallback.joblib"
NO_NODE = "none"
# date types and the trial-form kind weigh as much as a handful of telling characters
DATE_WEIGHT = 2.0


class LearnedNode(NamedTuple):
    node: str
    evidence: str
    probability: float  # calibrated on held-out notes


@dataclass
class JourneyModel:
    vectorizer: Any  # TfidfVectorizer over characters
    model: Any  # LogisticRegression; classes are node ids and NO_NODE
    date_types: tuple[str, ...]
    threshold: float
    platt: tuple[float, float] = (1.0, 0.0)  # calibrated p = sigmoid(a × logit(p) + b)
    # where the rules name a node, the model's own reading replaces it only when it reaches
    # `override` and gives the rules' node no more than `veto` (1.01 / 0: the rules always win)
    override: float = 1.01
    veto: float = 0.0

    def _matrix(self, texts: Sequence[str], kinds: Sequence[str], date_types: Sequence[Iterable[str]]):
        from scipy.sparse import csr_matrix, hstack

        return hstack([tfidf_transform(self.vectorizer, texts), csr_matrix(self._extra(kinds, date_types))]).tocsr()

    def _extra(self, kinds: Sequence[str], date_types: Sequence[Iterable[str]]) -> np.ndarray:
        rows = []
        for kind, types in zip(kinds, date_types):
            found = set(types)
            rows.append([t in found for t in self.date_types] + [kind == "trial_feedback"])
        return np.array(rows, dtype=float) * DATE_WEIGHT

    def _probs(self, texts: Sequence[str], kinds: Sequence[str], date_types: Sequence[Iterable[str]]) -> np.ndarray:
        # predict_proba by hand: the sparse stack and sklearn's checks were a third of the time a note
        from scipy.special import softmax

        coef, n_text = self.model.coef_, len(self.vectorizer.vocabulary_)
        logits = (tfidf_transform(self.vectorizer, texts) @ coef[:, :n_text].T
                  + self._extra(kinds, date_types) @ coef[:, n_text:].T + self.model.intercept_)
        return softmax(np.asarray(logits), axis=1)

    def probabilities(self, texts: Sequence[str], kinds: Sequence[str],
                      date_types: Sequence[Iterable[str]]) -> list[dict[str, float]]:
        return [dict(zip(map(str, self.model.classes_), map(float, row)))
                for row in self._probs(texts, kinds, date_types)]

    def calibrated(self, p: float) -> float:
        p = min(max(p, 1e-6), 1 - 1e-6)
        a, b = self.platt
        return 1.0 / (1.0 + math.exp(-(a * math.log(p / (1 - p)) + b)))

    def predict(self, text: str, kind: str, date_types: Iterable[str],
                node_order: Sequence[str] | None = None) -> LearnedNode | None:
        """The node this model names for a note the rules left without one, or None. A node that is
        not in `node_order` (a variant journey without it) is never named."""
        probs = self.probabilities([text], [kind], [list(date_types)])[0]
        node, p = max(probs.items(), key=lambda kv: kv[1])
        if node == NO_NODE or p < self.threshold or (node_order is not None and node not in node_order):
            return None
        return LearnedNode(node, self.evidence(text, kind, node), round(self.calibrated(p), 3))

    def second_reading(self, text: str, kind: str, date_types: Iterable[str], rule_node: str,
                       node_order: Sequence[str]) -> LearnedNode | None:
        """The model's node where it overrules the rules' `rule_node` (NO_NODE: no node at all), or None
        where the rules' node stands."""
        if self.override > 1.0:
            return None
        probs = self.probabilities([text], [kind], [list(date_types)])[0]
        node, p = max(probs.items(), key=lambda kv: kv[1])
        if node == rule_node or p < self.override or probs.get(rule_node, 0.0) > self.veto \
                or (node != NO_NODE and node not in node_order):
            return None
        evidence = "" if node == NO_NODE else self.evidence(text, kind, node)
        return LearnedNode(node, evidence, round(self.calibrated(p), 3))

    def evidence(self, text: str, kind: str, node: str) -> str:
        """The note's sentence that reads most as `node` (by characters alone)."""
        units = [u.text.strip() for u in sentences(text) if u.text.strip()] or [text.strip()]
        column = list(self.model.classes_).index(node)
        scores = self._probs(units, [kind] * len(units), [()] * len(units))[:, column]
        return units[int(np.argmax(scores))]


def train(texts: Sequence[str], kinds: Sequence[str], date_types: Sequence[Iterable[str]],
          nodes: Sequence[str | None], c: float, threshold: float,
          all_date_types: Sequence[str]) -> JourneyModel:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    model = JourneyModel(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True).fit(texts),
                         LogisticRegression(C=c, max_iter=3000), tuple(all_date_types), threshold)
    model.model.fit(model._matrix(texts, kinds, [list(t) for t in date_types]), [n or NO_NODE for n in nodes])
    return model


def save(model: JourneyModel, path: Path, card: dict[str, Any]) -> None:
    save_joblib({"vectorizer": model.vectorizer, "model": model.model, "date_types": model.date_types,
                 "threshold": model.threshold, "platt": model.platt, "override": model.override,
                 "veto": model.veto}, path, card)


def model_path(model: str = MODEL_FILE) -> Path:
    return packaged_path(MODELS, model)


@lru_cache(maxsize=4)
def load_journey_model(model: str = MODEL_FILE) -> JourneyModel | None:
    """The fitted model, or None (with one log line) when its file is missing: the rules then
    read journey nodes alone, as they did before it existed."""
    import joblib

    path = model_path(model)
    if not path.is_file():
        log.warning("journey model %s is missing (run `python training/train_journey.py`): rules only", path)
        return None
    fields = joblib.load(path)
    return JourneyModel(fields["vectorizer"], fields["model"], tuple(fields["date_types"]), float(fields["threshold"]),
                        tuple(fields["platt"]), float(fields.get("override", 1.01)), float(fields.get("veto", 0.0)))


class JourneyFinding(NamedTuple):
    """The node a note shows, its evidence, and — when the learned model named it — its
    calibrated probability (None for a rule's node)."""

    node: str | None
    evidence: str | None
    learned_p: float | None = None


def find_journey(text: str, kind: str, reference_date: dt.date | None, date_types: Iterable[str],
                 node_order: Sequence[str] | None = None, model: str = MODEL_FILE) -> JourneyFinding:
    """The rules' node (nlp/journey.py), unless the learned model reads another with near certainty
    and finds theirs all but impossible; where they name none, the learned model's, if it passes its
    threshold. `date_types`: the types of the note's key dates (nlp/dates)."""
    reading = find_journey_node(text, kind, reference_date, node_order)
    learned = load_journey_model(model)
    if reading.node is not None:
        other = learned.second_reading(text, kind, date_types, reading.node, node_order or JOURNEY_NODES) \
            if learned else None
        if other is None:
            return JourneyFinding(reading.node, reading.evidence)
        return JourneyFinding(None, None) if other.node == NO_NODE else \
            JourneyFinding(other.node, other.evidence, other.probability)
    found = learned.predict(text, kind, date_types, node_order or JOURNEY_NODES) if learned else None
    return JourneyFinding(found.node, found.evidence, found.probability) if found else JourneyFinding(None, None)
