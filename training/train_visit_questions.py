"""Train the learned count of questions answered on the spot (nlp/visit_questions.py) once, offline.

    .venv/bin/python training/train_visit_questions.py   # → src/jinnang/nlp/models/visit_questions.joblib (+ .json)

Data: the visit notes of every set of nlp/learning.py TRAINING_SETS (dev, the tune sets and the
retired blind sets; never a blind set still to be measured). C and the threshold are chosen by
leave-one-set-out over the retired sets, pooled: each retired set's notes are counted by the rules,
and overruled where a model fitted on every other set disagrees with enough probability. The shipped
model is then fitted on every set.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from jinnang.nlp.learning import RETIRED_SETS, read_sets
from jinnang.nlp.traditional import simplified
from jinnang.nlp.visit import find_visit_facts
from jinnang.nlp.visit_questions import MODEL_FILE, MODELS, MOST, passage_text, save, train

THRESHOLDS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=MODELS / MODEL_FILE)
    ap.add_argument("--c", type=float, nargs="+", default=[30.0, 100.0, 300.0], help="inverse regularisation strengths")
    args = ap.parse_args()
    started = time.time()
    notes = []  # (set, question passages, rules' count, gold count)
    for name, cases in read_sets().items():
        for case in cases:
            gold = case["gold"].get("visit")
            if gold is None:
                continue
            text = simplified(case["text"])  # as extraction reads it
            notes.append((name, passage_text(text), find_visit_facts(text).questions_resolved,
                          gold["questions_resolved"]))
    print(f"{len(notes)} visit notes read in {time.time() - started:.1f}s")

    held_out = [n for n in notes if n[0] in RETIRED_SETS]
    right: dict[tuple[float, float], int] = {}
    for name in RETIRED_SETS:
        rest = [n for n in notes if n[0] != name]
        mine = [n for n in notes if n[0] == name]
        for c in args.c:
            model = train([n[1] for n in rest], [n[2] for n in rest], [n[3] for n in rest], c, 0.5)
            probs = model.probabilities([n[1] for n in mine], [n[2] for n in mine])
            for t in THRESHOLDS:
                for note, p in zip(mine, probs):
                    best = int(np.argmax(p))
                    count = int(model.model.classes_[best])
                    predicted = note[2]
                    if note[1] and count != min(note[2], MOST) and p[best] >= t:
                        predicted = count
                    right[(c, t)] = right.get((c, t), 0) + (predicted == note[3])
        print(f"  {name} done ({time.time() - started:.0f}s)")
    rules_right = sum(n[2] == n[3] for n in held_out)
    (score, c, threshold) = max((r / len(held_out), c, t) for (c, t), r in right.items())
    print(f"leave-one-set-out over {len(RETIRED_SETS)} retired sets ({len(held_out)} visit notes): questions answered "
          f"accuracy rules alone {rules_right / len(held_out):.3f}, with the learned count {score:.3f} "
          f"(C={c}, threshold={threshold})")
    model = train([n[1] for n in notes], [n[2] for n in notes], [n[3] for n in notes], c, threshold)
    save(model, args.out, {
        "data": "visit notes of dev, tune … tune5 and the retired sets (nlp/learning.py TRAINING_SETS)",
        "cases": len(notes), "c": c, "threshold": threshold,
        "chosen_on": f"leave-one-set-out over {', '.join(RETIRED_SETS)}, pooled: questions answered accuracy "
                     f"{rules_right / len(held_out):.3f} rules alone → {score:.3f}",
        "note": "trained by: python training/train_visit_questions.py"})
    print(f"trained {args.out} on {len(notes)} notes in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
