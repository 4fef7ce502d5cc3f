"""What `jinnang learn` refits of the visit facts: the learned count of questions answered
(nlp/visit_questions.py) and the learned sample brought and cross-department needs
(nlp/visit_needs.py), on the shipped visit notes and a data dir's own, with the C and threshold
each packaged model was chosen with. Visit accuracy is scored as `jinnang eval extraction` does: the
mean of questions answered, sample brought and cross-department needs (the whole set) being right.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from jinnang.nlp.traditional import simplified
from jinnang.nlp.visit import find_visit_facts
from jinnang.nlp.visit_needs import FACTS, FactModel, NeedsModel, fit_fact, passage_text, rule_answer
from jinnang.nlp.visit_questions import MOST, QuestionsModel
from jinnang.nlp.visit_questions import passage_text as question_text
from jinnang.nlp.visit_questions import train as train_questions


@dataclass(frozen=True)
class VisitRow:
    """One labelled visit note as the visit models read it."""

    questions: str  # the question passages
    rule_count: int
    gold_count: int
    passages: dict[str, str]  # per fact
    rules: dict[str, bool]
    gold: dict[str, bool]


def visit_rows(cases: Iterable[Mapping[str, Any]]) -> list[VisitRow]:
    rows = []
    for case in cases:
        gold = (case.get("gold") or {}).get("visit")
        if not gold:
            continue
        text = simplified(case["text"])
        facts = find_visit_facts(text)
        rows.append(VisitRow(question_text(text), facts.questions_resolved, int(gold.get("questions_resolved") or 0),
                             {f: passage_text(text, f) for f in FACTS}, {f: rule_answer(facts, f) for f in FACTS},
                             {f: bool(gold.get("sample_brought")) if f == "sample_brought"
                              else f in (gold.get("cross_dept_needs") or []) for f in FACTS}))
    return rows


def packaged_choice(card_path: Path) -> dict[str, Any]:
    """The packaged model's card: the C and threshold it was chosen with ({} when it is missing)."""
    import json

    try:
        return dict(json.loads(card_path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def fit_visit(rows: Sequence[VisitRow]) -> tuple[QuestionsModel, NeedsModel]:
    """Both visit models fitted on `rows`, from the packaged ones: their C and thresholds, their
    characters, and their weights as the first guess (a fresh fit of the questions model takes ~15 s)."""
    from jinnang.nlp import visit_needs, visit_questions

    q_path, n_path = visit_questions.MODELS / visit_questions.MODEL_FILE, visit_needs.MODELS / visit_needs.MODEL_FILE
    q_start = visit_questions.read_questions_model(q_path) if q_path.is_file() else None
    n_start = visit_needs.read_needs_model(n_path) if n_path.is_file() else None
    card = packaged_choice(q_path.with_suffix(".json"))
    questions = train_questions([r.questions for r in rows], [r.rule_count for r in rows], [r.gold_count for r in rows],
                                float(card.get("c", 300.0)), float(card.get("threshold", 0.6)), start=q_start)
    chosen = packaged_choice(n_path.with_suffix(".json")).get("facts", {})
    facts: dict[str, FactModel] = {}
    for f in FACTS:
        start = n_start.facts.get(f) if n_start else None
        if len({r.gold[f] for r in rows}) < 2:  # nothing to tell apart: the packaged model stands, if any
            if start is not None:
                facts[f] = start
            continue
        facts[f] = fit_fact([r.passages[f] for r in rows], [r.rules[f] for r in rows], [r.gold[f] for r in rows],
                            float(chosen.get(f, {}).get("c", 100.0)), start=start)
    return questions, NeedsModel(facts, {f: float(chosen.get(f, {}).get("threshold", 0.5)) for f in facts})


def visit_accuracy(rows: Sequence[VisitRow], questions: QuestionsModel | None, needs: NeedsModel | None) -> float:
    """Mean accuracy of the three visit fields over `rows` with these models over the rules (None: rules)."""
    if not rows:
        return 1.0
    counts = [r.rule_count for r in rows]
    if questions is not None:
        probs = questions.probabilities([r.questions for r in rows], counts)
        for i, (row, p) in enumerate(zip(rows, probs)):
            best = int(np.argmax(p))
            count = int(questions.model.classes_[best])
            if row.questions and count != min(row.rule_count, MOST) and p[best] >= questions.threshold:
                counts[i] = count
    found = [dict(r.rules) for r in rows]
    if needs is not None:
        for fact, model in needs.facts.items():
            p = model.probabilities([r.passages[fact] for r in rows], [False] * len(rows))
            for i, row in enumerate(rows):
                found[i][fact] = row.rules[fact] or bool(row.passages[fact] and p[i] >= needs.thresholds[fact])
    right = [(c == r.gold_count) + (f["sample_brought"] == r.gold["sample_brought"])
             + all(f[x] == r.gold[x] for x in FACTS[1:]) for c, f, r in zip(counts, found, rows)]
    return float(np.mean(right)) / 3
