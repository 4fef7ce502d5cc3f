"""A learned count of the questions answered on the spot, beside the rules (issue 15: learned
components where the rules overfit).

The rules of nlp/visit.py count an answer where a cue says so (当场答了, 现场解释, 我：…). Over the
retired blind sets they were right on about seven notes in ten: most misses are answers written
plainly — 主任问投放中不中，俺说省里好些医院都这么弄 — which no cue names. This model reads a note's
question passages (each sentence holding a question word of visit.yaml's `terms.question`, and the
sentence after it) by their characters (1–3-grams), with the rules' count as a feature, and names a
count of 0, 1, 2 or 3-and-more. Where it disagrees with the rules and its probability passes the
packaged threshold, its count stands, with the question passage it read as evidence.

Trained offline by `python training/train_visit_questions.py` (C and threshold chosen by pooled
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
from jinnang.nlp.visit import default_reader, find_visit_facts, passages_matching
from jinnang.nlp.vocab import first_hit

MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILE = "visit_questions.joblib"
MOST = 3  # the last class: three questions or more
RULE_WEIGHT = 3.0  # the rules' count weighs as much as a handful of telling characters


def question_passages(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence with a question word, joined to the sentence after it."""
    return passages_matching(text, default_reader().question_context)


def passage_text(text: str) -> str:
    return " | ".join(text[s:e] for s, e in question_passages(text))


@dataclass
class QuestionsModel:
    vectorizer: Any  # TfidfVectorizer over characters of the question passages
    model: Any  # LogisticRegression; classes 0 … MOST
    threshold: float

    def _matrix(self, passages: Sequence[str], rule_counts: Sequence[int]) -> Any:
        from scipy.sparse import csr_matrix, hstack

        rules = np.zeros((len(rule_counts), MOST + 1))
        for row, count in enumerate(rule_counts):
            rules[row, min(count, MOST)] = RULE_WEIGHT
        return hstack([tfidf_transform(self.vectorizer, passages), csr_matrix(rules)]).tocsr()

    def probabilities(self, passages: Sequence[str], rule_counts: Sequence[int]) -> np.ndarray:
        return logistic_proba(self.model, self._matrix(passages, rule_counts))

    def count(self, text: str, rule_count: int) -> int | None:
        """The model's count where it differs from the rules' and passes the threshold, else None."""
        passages = passage_text(text)
        if not passages:
            return None
        probs = self.probabilities([passages], [rule_count])[0]
        best = int(np.argmax(probs))
        count = int(self.model.classes_[best])
        if count == min(rule_count, MOST) or probs[best] < self.threshold:
            return None
        return count


def train(passages: Sequence[str], rule_counts: Sequence[int], gold: Sequence[int], c: float,
          threshold: float, start: QuestionsModel | None = None) -> QuestionsModel:
    """Fitted afresh, or from `start` (`jinnang learn`): its characters and its weights as the first
    guess, which a few more notes move in seconds rather than the minute of a fresh fit."""
    import copy

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    classes = sorted({min(g, MOST) for g in gold})
    if start is not None:  # a warm start needs the classes it was fitted with (a small refit may lack one)
        fresh = list(start.model.classes_) != classes
        model = QuestionsModel(start.vectorizer, LogisticRegression(C=c, max_iter=3000) if fresh
                               else copy.deepcopy(start.model).set_params(C=c, warm_start=True), threshold)
    else:
        model = QuestionsModel(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
                               .fit(passages), LogisticRegression(C=c, max_iter=3000), threshold)
    model.model.fit(model._matrix(passages, rule_counts), [min(g, MOST) for g in gold])
    return model


def save(model: QuestionsModel, path: Path, card: dict[str, Any]) -> None:
    save_joblib({"vectorizer": model.vectorizer, "model": model.model, "threshold": model.threshold}, path, card)


def read_questions_model(path: Path) -> QuestionsModel:
    import joblib

    fields = joblib.load(path)
    return QuestionsModel(fields["vectorizer"], fields["model"], float(fields["threshold"]))


_file: DataDirModel[QuestionsModel] = DataDirModel(
    MODELS, MODEL_FILE, read_questions_model, "visit questions model %s is missing (run `python training/train_visit_questions.py`): rules only")


def current_path(data_dir: Path | None = None) -> Path:
    """The data dir's refit (`jinnang learn`) when there is one, else the packaged model."""
    return _file.current_path(data_dir)


def load_questions_model(model: str | None = None) -> QuestionsModel | None:
    """The fitted model (`model`, else the data dir's refit or the packaged one), re-read when its file
    changes; None (with one log line) when the file is missing: the rules alone."""
    return _file.load(model)


def find_visit(text: str, model: str | None = None) -> VisitFacts:
    """The rules' visit facts, with the learned count of questions answered where it overrules them."""
    facts = find_visit_facts(text)
    learned = load_questions_model(model)
    count = learned.count(text, facts.questions_resolved) if learned else None
    if count is None:
        return facts
    evidence = list(facts.evidence)
    if count > facts.questions_resolved:  # the first question passage no rule's evidence lies in
        unanswered = default_reader().unanswered
        open_ = [(s, e) for s, e in question_passages(text) if not first_hit(unanswered, text[s:e])]
        if not open_:
            return facts  # every question was put off (我说回去申请): no answer to count
        for s, e in open_:
            if not any(s <= ev.start < e for ev in evidence if ev.start is not None):
                evidence.append(Evidence(text=text[s:e], start=s, end=e))
                break
    return facts.model_copy(update={"questions_resolved": count, "evidence": evidence})
