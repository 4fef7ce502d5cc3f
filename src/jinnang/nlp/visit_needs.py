"""Learned yes/no visit facts beside the rules: the sample brought and the three cross-department
needs (issue 15: learned components where the rules overfit).

Over the retired blind sets the rules of nlp/visit.py find about half the samples brought and a third
to a half of each need: the rest are written plainly (样机我们自己带去的, 下周一公司培训师过来给护士做培训),
with no cue of visit.yaml. For each of the four facts, this model reads the note's passages about it
(each sentence holding a word of visit.yaml's `terms.passage_<fact>`, and the sentence after) by
their characters (1–3-grams), with the rules' answer as a feature. It only adds: where the rules find
nothing and its probability passes the fact's packaged threshold, the fact holds, with the passage as evidence.

Trained offline by `python training/train_visit_needs.py` (each fact's C and threshold chosen by pooled
leave-one-set-out over the retired blind sets); a joblib file under nlp/models/ with a JSON card.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from jinnang.core.records import Evidence, VisitFacts
from jinnang.nlp.logistic import logistic_proba
from jinnang.nlp.model_files import DataDirModel, save_joblib
from jinnang.nlp.tfidf import tfidf_transform
from jinnang.nlp.visit import default_reader, passages_matching

MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILE = "visit_needs.joblib"
FACTS = ("sample_brought", "clinical_training", "custom_interface", "compliance_docs")
RULE_WEIGHT = 3.0  # the rules' answer weighs as much as a handful of telling characters


def passages(text: str, fact: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence with a word of `terms.passage_<fact>`, joined to the sentence after."""
    return passages_matching(text, default_reader().passage_words[fact])


def passage_text(text: str, fact: str) -> str:
    return " | ".join(text[s:e] for s, e in passages(text, fact))


def rule_answer(facts: VisitFacts, fact: str) -> bool:
    return facts.sample_brought if fact == "sample_brought" else fact in facts.cross_dept_needs


@dataclass
class FactModel:
    vectorizer: Any  # TfidfVectorizer over characters of the fact's passages
    model: Any  # LogisticRegression, classes False / True

    def probabilities(self, texts: Sequence[str], rules: Sequence[bool]) -> np.ndarray:
        """P(the fact holds) for each note's passages and the rules' answer."""
        from scipy.sparse import csr_matrix, hstack

        flags = csr_matrix(np.array([[RULE_WEIGHT * r] for r in rules], dtype=float))
        return logistic_proba(self.model, hstack([tfidf_transform(self.vectorizer, texts), flags]).tocsr())[:, 1]


def fit_fact(texts: Sequence[str], rules: Sequence[bool], gold: Sequence[bool], c: float,
             start: FactModel | None = None) -> FactModel:
    """Fitted afresh, or from `start` (`jinnang learn`: its characters, its weights as the first guess)."""
    import copy

    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    if start is not None:
        vectorizer, model = start.vectorizer, copy.deepcopy(start.model).set_params(C=c, warm_start=True)
    else:
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True).fit(texts)
        model = LogisticRegression(C=c, max_iter=3000)
    flags = csr_matrix(np.array([[RULE_WEIGHT * r] for r in rules], dtype=float))
    return FactModel(vectorizer, model.fit(hstack([vectorizer.transform(texts), flags]).tocsr(), list(gold)))


@dataclass
class NeedsModel:
    facts: dict[str, FactModel]
    thresholds: dict[str, float]  # per fact, chosen held out

    def added(self, text: str, facts: VisitFacts) -> dict[str, tuple[int, int]]:
        """Each fact the rules did not find that the model finds past the threshold, with its passage."""
        out: dict[str, tuple[int, int]] = {}
        for fact, model in self.facts.items():
            found = passages(text, fact)
            if not found:
                continue  # nothing written about it: the rules' answer stands
            if rule_answer(facts, fact):
                continue  # an add-on: what the rules found stands, with their evidence
            p = float(model.probabilities([" | ".join(text[s:e] for s, e in found)], [False])[0])
            if p >= self.thresholds[fact]:
                out[fact] = found[0]
        return out


def save(model: NeedsModel, path: Path, card: dict[str, Any]) -> None:
    save_joblib({"facts": {f: {"vectorizer": m.vectorizer, "model": m.model} for f, m in model.facts.items()},
                 "thresholds": model.thresholds}, path, card)


def read_needs_model(path: Path) -> NeedsModel:
    import joblib

    fields = joblib.load(path)
    return NeedsModel({f: FactModel(m["vectorizer"], m["model"]) for f, m in fields["facts"].items()},
                      {f: float(t) for f, t in fields["thresholds"].items()})


_file: DataDirModel[NeedsModel] = DataDirModel(
    MODELS, MODEL_FILE, read_needs_model, "visit needs model %s is missing (run `python training/train_visit_needs.py`): rules only")


def current_path(data_dir: Path | None = None) -> Path:
    """The data dir's refit (`jinnang learn`) when there is one, else the packaged model."""
    return _file.current_path(data_dir)


def load_needs_model(model: str | None = None) -> NeedsModel | None:
    """The fitted model (`model`, else the data dir's refit or the packaged one), re-read when its file
    changes; None (with one log line) when the file is missing: the rules alone."""
    return _file.load(model)


def with_learned_needs(text: str, facts: VisitFacts, model: str | None = None) -> VisitFacts:
    """`facts` with the sample and the needs the learned model adds to the rules'."""
    learned = load_needs_model(model)
    added = learned.added(text, facts) if learned else {}
    if not added:
        return facts
    needs = [n for n in FACTS if n in facts.cross_dept_needs or n in added and n != "sample_brought"]
    evidence = [*facts.evidence, *(Evidence(text=text[s:e], start=s, end=e) for s, e in added.values())]
    return facts.model_copy(update={"sample_brought": facts.sample_brought or "sample_brought" in added,
                                    "cross_dept_needs": needs, "evidence": evidence})
