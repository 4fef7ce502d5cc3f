"""Train the clause-level objection classifier (nlp/objection_clauses.py) once, offline.

    .venv/bin/python training/train_objection_clauses.py          # → src/jinnang/nlp/models/objection_clauses.json
    .venv/bin/python training/train_objection_clauses.py --loso   # also leave-one-set-out figures into the card

Data: the shared dev set and the generalisation tune sets (nlp/learning.py TRAINING_SETS); never a
holdout. The threshold (and C) are chosen on tune5 — the one set the objection rules were never
tuned on — with the clause model and the character scorer both fitted without tune5; the shipped
model is then fitted on every training set with that threshold.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from jinnang.nlp.learning import (
    THRESHOLD_SET,
    char_categories,
    choose_threshold,
    fit_prepared,
    leave_one_set_out,
    prepare,
    read_sets,
)
from jinnang.nlp.objection_clauses import MODEL_FILE, MODELS, save
from jinnang.nlp.objection_scorer import train as train_char


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=MODELS / MODEL_FILE)
    ap.add_argument("--c", type=float, nargs="+", default=[2.0, 8.0, 32.0], help="inverse regularisation strengths to try")
    ap.add_argument("--loso", action="store_true", help="leave-one-set-out figures (refits the char scorer per set)")
    args = ap.parse_args()
    started = time.time()
    sets = {name: prepare(cases) for name, cases in read_sets().items()}
    print(f"features of {sum(map(len, sets.values()))} notes in {time.time() - started:.1f}s")
    held = sets[THRESHOLD_SET]
    rest = [n for name, notes in sets.items() if name != THRESHOLD_SET for n in notes]
    base = char_categories(held, train_char([dict(n.case) for n in rest]))
    trials = []
    for c in args.c:
        threshold, f1 = choose_threshold(held, base, fit_prepared(rest, c=c))
        trials.append((f1, -c, threshold))
        print(f"C={c}: best threshold {threshold} → {THRESHOLD_SET} objection F1 {f1}")
    f1, neg_c, threshold = max(trials)
    c = -neg_c
    card = {"data": "dev + tune … tune5 (nlp/learning.py TRAINING_SETS)", "c": c, "threshold": threshold,
            "threshold_chosen_on": f"{THRESHOLD_SET}, fitted without it (F1 {f1})",
            "features": "USE clause + 0.5 × previous clause",
            "note": "trained by: python training/train_objection_clauses.py"}
    if args.loso:
        card["leave_one_set_out"] = leave_one_set_out(sets, threshold, c)
        print(json.dumps(card["leave_one_set_out"], indent=1))
    model = fit_prepared([n for notes in sets.values() for n in notes], c=c, threshold=threshold, card=card)
    save(model, args.out)
    print(f"trained {args.out} (C={c}, threshold {threshold}) in {time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
