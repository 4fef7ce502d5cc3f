"""`jinnang learn`'s refit: every part a data dir can teach, kept or refused together.

The objection parts (the character scorer and the clause model, nlp/learning.py), the learned visit
facts (the count of questions answered, the sample brought and the cross-department needs,
nlp/visit_learning.py) and the learned key-date type (nlp/date_learning.py) are refitted on the shipped
training sets and the data dir's notes. The refit is kept only if neither objection F1, visit accuracy
nor typed-date F1 on the shipped labelled sets is worse than the current models' by more than the
tolerance; then the current files move to `previous/`, which `jinnang learn --rollback` brings back.
Extraction in the data dir reads the files as they change.
"""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jinnang.nlp import date_types, visit_needs, visit_questions
from jinnang.nlp.date_learning import dated_notes, fit_dates, typed_f1
from jinnang.nlp.learning import (
    OWN_WEIGHT,
    TRAINING_SETS,
    Prepared,
    char_categories,
    current_model_path,
    fit_learned_parts,
    micro,
    packaged_threshold,
    prepare,
    shared_cache_dir,
    shipped_notes,
    stored_notes,
    with_model,
)
from jinnang.nlp.objection_clauses import MODEL_FILE, learned_dir, load_model, save
from jinnang.nlp.objection_scorer import MODEL_FILE as SCORER_FILE
from jinnang.nlp.visit_learning import fit_visit, visit_accuracy, visit_rows


@dataclass
class RefitResult:
    kept: bool
    f1_new: float  # objection micro-F1 on the shipped sets: the refit's
    f1_old: float  # …and the current models'
    notes: int
    seconds: float
    visit_new: float = 0.0  # visit-field accuracy on the shipped visit notes: the refit's
    visit_old: float = 0.0  # …and the current models'
    dates_new: float = 0.0  # typed-date F1 on the shipped notes: the refit's
    dates_old: float = 0.0  # …and the current model's


def model_files(models: Path) -> list[Path]:
    """The files of one refit: the clause model, the character scorer, the two visit models and the date
    model, with cards."""
    files = [models / MODEL_FILE]
    for name in (SCORER_FILE, visit_questions.MODEL_FILE, visit_needs.MODEL_FILE, date_types.MODEL_FILE):
        files += [models / name, (models / name).with_suffix(".json")]
    return files


def refit(data_dir: Path, tolerance: float = 0.0, shipped: Sequence[Prepared] | None = None) -> RefitResult:
    """Refit every learned part on the shipped sets and the data dir's notes (these counting OWN_WEIGHT
    times for the objection parts); keep it only if neither objection F1, visit accuracy nor typed-date
    F1 on the shipped sets is worse than the current models' by more than `tolerance`."""
    from jinnang.nlp.objection_scorer import learned_scorer, load_scorer
    from jinnang.nlp.objection_scorer import save as save_char

    started = time.perf_counter()
    if shipped is None:
        shipped = shipped_notes(shared_cache_dir())
    own_cases = stored_notes(data_dir)
    own = prepare(own_cases)
    card = {"data": [*TRAINING_SETS, "<data_dir>/learning/notes.jsonl"], "learned_notes": len(own),
            "own_weight": OWN_WEIGHT}
    char, model = fit_learned_parts(shipped, own, packaged_threshold(), card={
        **card, "threshold_from": "the packaged model (chosen on tune5, fitted without it)"})
    current = load_model(current_model_path(data_dir))  # None: no clause model yet, rules + char scorer
    current_char = learned_scorer(data_dir) or load_scorer()
    gold = [n.gold_cats for n in shipped]
    f1_new = micro(zip(gold, with_model(shipped, char_categories(shipped, char), model)))["f1"]
    f1_old = micro(zip(gold, with_model(shipped, char_categories(shipped, current_char), current)))["f1"]

    shipped_visits = visit_rows(n.case for n in shipped)
    questions, needs = fit_visit([*shipped_visits, *visit_rows(own_cases)])
    visit_new = visit_accuracy(shipped_visits, questions, needs)
    now_q, now_n = visit_questions.current_path(data_dir), visit_needs.current_path(data_dir)
    visit_old = visit_accuracy(shipped_visits, visit_questions.read_questions_model(now_q) if now_q.is_file() else None,
                               visit_needs.read_needs_model(now_n) if now_n.is_file() else None)

    shipped_dates = dated_notes(n.case for n in shipped)
    dates_model = fit_dates([*shipped_dates, *dated_notes(own_cases)])
    dates_new = typed_f1(shipped_dates, dates_model)
    dates_old = typed_f1(shipped_dates, date_types.load_model(str(date_types.current_path(data_dir))))

    kept = (f1_new >= f1_old - tolerance and visit_new >= visit_old - tolerance
            and dates_new >= dates_old - tolerance)
    if kept:
        models = learned_dir(data_dir)
        previous = models / "previous"
        if any(f.is_file() for f in model_files(models)):
            shutil.rmtree(previous, ignore_errors=True)
            previous.mkdir(parents=True)
            for f in model_files(models):
                if f.is_file():
                    shutil.copy2(f, previous / f.name)
        save_char(char, models / SCORER_FILE, card)
        save(model, models / MODEL_FILE)
        visit_questions.save(questions, models / visit_questions.MODEL_FILE, card)
        visit_needs.save(needs, models / visit_needs.MODEL_FILE, card)
        if dates_model is not None:
            date_types.save(dates_model, models / date_types.MODEL_FILE, card)
    return RefitResult(kept, f1_new, f1_old, len(own), time.perf_counter() - started, visit_new, visit_old,
                       dates_new, dates_old)


def rollback(data_dir: Path) -> str:
    """Back to the models before the last refit (the packaged ones when there was none before it)."""
    models = learned_dir(data_dir)
    previous = models / "previous"
    had_previous = any(f.is_file() for f in model_files(previous))
    if not had_previous and not any(f.is_file() for f in model_files(models)):
        raise FileNotFoundError("nothing to roll back: this data dir uses the packaged model")
    for f in model_files(models):
        f.unlink(missing_ok=True)
    for f in model_files(previous):
        if f.is_file():
            os.replace(f, models / f.name)
    return "the previous refit" if had_previous else "the packaged model"
