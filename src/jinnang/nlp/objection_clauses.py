"""A clause-level objection classifier over sentence embeddings, an add-on to the cue rules.

Each comma-level clause is read as its USE embedding (ingest/embed.py), the embedding of the
clause before it and what the rules saw in it (ObjectionFinder.clause_extras); one logistic
regression per category gives the probability that the clause carries an objection of that
category (a clause is positive where it overlaps a gold objection's evidence). Embeddings
generalise to phrasings no cue list has seen; the rules stay the precise first source, and
their filters (negation, speaker, distributor) still judge every clause the model picks. `nlp/objections.py` adds a category the rules and the character scorer missed
where a clause scores at least the model's threshold (chosen on a set it was not fitted to, see
training/train_objection_clauses.py) and the rules' filters leave the clause standing.

The model is plain weights in JSON. A data dir's own refit (`jinnang learn`, nlp/learning.py)
under `<data_dir>/learning/models/` is preferred to the packaged one.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from jinnang.core.records import OBJECTION_CATEGORIES
from jinnang.nlp.model_files import ChangedFileCache, learned_dir
from jinnang.nlp.vocab import Unit, clauses, sentences

MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILE = "objection_clauses.json"
MIN_CHARS = 6  # shorter clauses are fragments and form labels; the rules read those
N_CATS = len(OBJECTION_CATEGORIES)
EMBEDDING_DIMENSION = 512  # USE's
CONTEXT = 3  # vectors a feature row holds: the clause's, the previous clause's, the next clause's


def clause_pairs(text: str) -> list[tuple[Unit, Unit]]:
    """(sentence, clause) for every comma-level clause, in text order (whole-text offsets)."""
    return [(s, c) for s in sentences(text) for c in clauses(s)]


def _embed(texts: Sequence[str]) -> np.ndarray:
    from jinnang.ingest.embed import USE_MULTILINGUAL, get_embedder

    embedder: Any = get_embedder(USE_MULTILINGUAL)
    if not texts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    # the encoder itself, not its memo: a note's clauses are seldom seen twice, and a memo would
    # make the speed benchmark's repeated rounds look faster than real notes are
    encode = getattr(embedder, "_encode", embedder.embed)
    return np.asarray(encode(list(texts)), dtype=np.float32)


def feature_rows(vectors: Mapping[int, np.ndarray], rows: Sequence[int], dimension: int,
                 extras: np.ndarray | None = None) -> np.ndarray:
    """[clause vector, 0.5 × the previous clause's, 0.5 × the next clause's, the clause's `extras` row]
    for each clause index in `rows`.

    The neighbours carry what a comma cut off: 主任说 before a concern, 所以还要再等等 after it. The
    next clause was added when 24 sets could judge it: pooled leave-one-set-out objection F1 +0.003
    (eval/data/generalisation/README.md, "Holdout 15 and team set 9 retired").

    The extras are what the rules saw in the clause (ObjectionFinder.clause_extras): the character
    scorer's probabilities, which categories' cues hit it, which of the vocabulary's term groups
    (brands, price words, IT systems …) it names. A model fitted on the tune sets alone leaned on
    them, as the rules are right there by construction (tune5 F1 0.734 with, 0.762 without); fitted
    with the retired holdouts and team sets too, where the rules meet writers they were never tuned
    on, it learns how far to trust them (eval/data/generalisation/README.md, "Rules as features")."""
    zero = np.zeros(dimension, dtype=np.float32)
    width = CONTEXT * dimension + (extras.shape[1] if extras is not None else 0)
    if not rows:
        return np.zeros((0, width), dtype=np.float32)
    out = np.vstack([np.concatenate([vectors[k], 0.5 * vectors.get(k - 1, zero), 0.5 * vectors.get(k + 1, zero)])
                     for k in rows])
    return np.hstack([out, extras[list(rows)]]).astype(np.float32) if extras is not None else out


def note_features(text: str, keep: Sequence[bool] | None = None,
                  extras: np.ndarray | None = None) -> tuple[list[tuple[Unit, Unit]], list[int], np.ndarray]:
    """The clauses of a note, the indexes of those read (`keep`, default all) and their feature
    rows (with each clause's `extras` row, when given). The clauses read and their neighbours are
    embedded in one batch."""
    pairs = clause_pairs(text)
    rows = [k for k in range(len(pairs)) if keep is None or keep[k]]
    needed = sorted(set(rows) | {k - 1 for k in rows if k > 0} | {k + 1 for k in rows if k + 1 < len(pairs)})
    vectors = dict(zip(needed, _embed([pairs[k][1].text for k in needed]))) if needed else {}
    return pairs, rows, feature_rows(vectors, rows, EMBEDDING_DIMENSION, extras)


def gold_labels(text: str, units: Sequence[Unit], objections: Iterable[Mapping[str, Any]]) -> np.ndarray:
    """A clause is positive for every gold objection category whose evidence it overlaps."""
    y = np.zeros((len(units), N_CATS), dtype=bool)
    for objection in objections:
        evidence = objection.get("evidence") or ""
        category = objection.get("category")
        at = text.find(evidence) if evidence else -1
        if at < 0 or category not in OBJECTION_CATEGORIES:
            continue
        j, end = OBJECTION_CATEGORIES.index(category), at + len(evidence)
        for k, u in enumerate(units):
            if u.start < end and at < u.end:
                y[k, j] = True
    return y


@dataclass
class ClauseModel:
    weights: np.ndarray  # features × categories
    bias: np.ndarray  # categories
    threshold: float
    card: dict[str, Any]
    # a clause is embedded only where the character scorer gives some category the note lacks at
    # least this: a third of the clauses, the same F1 on tune5 (0.762 at 0 and at 0.1)
    gate: float = 0.1

    @property
    def context(self) -> int:
        """How many clause vectors its rows hold: 3 (clause, previous, next), or 2 for a model
        fitted before the next clause was read (an older refit in a data dir keeps working)."""
        return int(self.card.get("context", 2))

    @property
    def term_groups(self) -> list[str] | None:
        """The term groups of its extras, in column order; None for a model of embeddings alone."""
        if self.weights.shape[0] <= self.context * EMBEDDING_DIMENSION:
            return None
        return list(self.card.get("term_groups") or [])

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Per category, for feature rows as feature_rows builds them."""
        from scipy.special import expit

        if self.context < CONTEXT:  # an older model: no next clause
            d = EMBEDDING_DIMENSION
            features = np.hstack([features[:, :self.context * d], features[:, CONTEXT * d:]])
        return expit(features @ self.weights + self.bias)

    def to_json(self) -> str:
        return json.dumps({"categories": list(OBJECTION_CATEGORIES), "threshold": self.threshold, "gate": self.gate,
                           "bias": [round(float(b), 5) for b in self.bias],
                           "weights": [[round(float(w), 5) for w in row] for row in self.weights],
                           "card": self.card}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> "ClauseModel":
        data = json.loads(raw)
        if list(data["categories"]) != list(OBJECTION_CATEGORIES):
            raise ValueError("the clause model's categories are not this version's")
        return cls(np.asarray(data["weights"], dtype=np.float32), np.asarray(data["bias"], dtype=np.float32),
                   float(data["threshold"]), dict(data.get("card") or {}), float(data.get("gate", 0.1)))


def fit(x: np.ndarray, y: np.ndarray, c: float = 1.0, threshold: float = 0.9,
        card: dict[str, Any] | None = None, sample_weight: np.ndarray | None = None,
        unknown: np.ndarray | None = None) -> ClauseModel:
    """One balanced logistic regression per category (a category with no positive row stays off).
    Rows marked `unknown` for a category (rows × categories) are left out of its fit."""
    from sklearn.linear_model import LogisticRegression

    weights = np.zeros((x.shape[1], N_CATS), dtype=np.float32)
    bias = np.full(N_CATS, -20.0, dtype=np.float32)
    for j in range(N_CATS):
        use = np.ones(len(x), dtype=bool) if unknown is None else ~unknown[:, j]
        if y[use, j].sum() == 0:
            continue
        lr = LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(
            x[use], y[use, j], sample_weight=None if sample_weight is None else sample_weight[use])
        weights[:, j], bias[j] = lr.coef_.ravel(), lr.intercept_[0]
    return ClauseModel(weights, bias, threshold, {**(card or {}), "context": CONTEXT})


def save(model: ClauseModel, path: Path) -> None:
    """Written to a temporary file and moved into place, so a reader never sees half a model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(model.to_json(), encoding="utf-8")
    os.replace(tmp, path)


def model_path(data_dir: Path | None = None) -> Path:
    """The data dir's refit when there is one, else the packaged model."""
    own = learned_dir(data_dir) / MODEL_FILE
    return own if own.is_file() else MODELS / MODEL_FILE


_models: ChangedFileCache[ClauseModel] = ChangedFileCache()


def load_model(path: Path | None = None) -> ClauseModel | None:
    """The model at `path` (default: model_path()), re-read when the file changes; None when absent."""
    return _models.get(path or model_path(), lambda p: ClauseModel.from_json(p.read_text(encoding="utf-8")))
