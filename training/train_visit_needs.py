"""Train the learned sample-brought and cross-department needs (nlp/visit_needs.py) once, offline.

    .venv/bin/python training/train_visit_needs.py   # → src/jinnang/nlp/models/visit_needs.joblib (+ .json)

Data: the visit notes of every set of nlp/learning.py TRAINING_SETS (dev, the tune sets and the
retired blind sets; never a blind set still to be measured). C and the threshold are chosen by
leave-one-set-out over the retired sets, pooled: each retired set's notes are read by the rules, and
a fact is added where a model fitted on every other set finds it with enough probability. The score
is the sum of the two visit fields it moves: sample-brought accuracy and cross-department needs
accuracy (the whole set of needs right). The shipped model is then fitted on every set.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from jinnang.nlp.learning import RETIRED_SETS, read_sets
from jinnang.nlp.traditional import simplified
from jinnang.nlp.visit import find_visit_facts
from jinnang.nlp.visit_needs import FACTS, MODEL_FILE, MODELS, NeedsModel, fit_fact, passage_text, rule_answer, save

THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)  # 1.01: the rules alone


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=MODELS / MODEL_FILE)
    ap.add_argument("--c", type=float, nargs="+", default=[10.0, 30.0, 100.0, 300.0, 1000.0], help="inverse regularisation strengths")
    args = ap.parse_args()
    started = time.time()
    notes = []  # (set, {fact: passages}, {fact: rules' answer}, {fact: gold})
    for name, cases in read_sets().items():
        for case in cases:
            gold = case["gold"].get("visit")
            if gold is None:
                continue
            text = simplified(case["text"])  # as extraction reads it
            facts = find_visit_facts(text)
            notes.append((name, {f: passage_text(text, f) for f in FACTS}, {f: rule_answer(facts, f) for f in FACTS},
                          {f: bool(gold["sample_brought"]) if f == "sample_brought" else f in (gold["cross_dept_needs"] or [])
                           for f in FACTS}))
    print(f"{len(notes)} visit notes read in {time.time() - started:.1f}s")

    held_out = [n for n in notes if n[0] in RETIRED_SETS]
    probs: dict[float, dict[str, list[float]]] = {c: {f: [] for f in FACTS} for c in args.c}
    for name in RETIRED_SETS:
        rest = [n for n in notes if n[0] != name]
        mine = [n for n in notes if n[0] == name]
        for c in args.c:
            for f in FACTS:
                model = fit_fact([n[1][f] for n in rest], [n[2][f] for n in rest], [n[3][f] for n in rest], c)
                p = model.probabilities([n[1][f] for n in mine], [False] * len(mine))
                probs[c][f] += [float(x) if n[1][f] and not n[2][f] else 0.0 for x, n in zip(p, mine)]
        print(f"  {name} done ({time.time() - started:.0f}s)")

    def predicted(choice: dict[str, tuple[float, float]]) -> list[dict[str, bool]]:
        return [{f: n[2][f] or probs[choice[f][0]][f][i] >= choice[f][1] for f in FACTS} for i, n in enumerate(held_out)]

    def scores(choice: dict[str, tuple[float, float]]) -> tuple[float, float]:
        found = predicted(choice)
        sample = np.mean([p["sample_brought"] == n[3]["sample_brought"] for p, n in zip(found, held_out)])
        needs = np.mean([all(p[f] == n[3][f] for f in FACTS[1:]) for p, n in zip(found, held_out)])
        return float(sample), float(needs)

    def right(fact: str, c: float, t: float) -> int:
        return sum((n[2][fact] or probs[c][fact][i] >= t) == n[3][fact] for i, n in enumerate(held_out))

    # each fact its own C and threshold, by its own accuracy (ties: the rules' side, a higher threshold)
    choice = {f: max(((c, t) for c in args.c for t in THRESHOLDS), key=lambda ct, f=f: (right(f, *ct), ct[1]))
              for f in FACTS}
    for f in FACTS:
        print(f"  {f}: " + "  ".join(f"C={c}: " + " ".join(f"{right(f, c, t)}" for t in THRESHOLDS) for c in args.c)
              + f"  → C={choice[f][0]}, threshold={choice[f][1]}")
    rules, best = scores({f: (args.c[0], 1.01) for f in FACTS}), scores(choice)
    summary = f"sample brought {rules[0]:.3f} → {best[0]:.3f}, cross-department needs {rules[1]:.3f} → {best[1]:.3f}"
    print(f"leave-one-set-out over {len(RETIRED_SETS)} retired sets ({len(held_out)} visit notes): {summary}")
    model = NeedsModel({f: fit_fact([n[1][f] for n in notes], [n[2][f] for n in notes], [n[3][f] for n in notes],
                                    choice[f][0]) for f in FACTS}, {f: choice[f][1] for f in FACTS})
    save(model, args.out, {
        "data": "visit notes of dev, tune … tune5 and the retired sets (nlp/learning.py TRAINING_SETS)",
        "cases": len(notes), "facts": {f: {"c": choice[f][0], "threshold": choice[f][1]} for f in FACTS},
        "chosen_on": f"leave-one-set-out over {', '.join(RETIRED_SETS)}, pooled, rules alone → with the model: {summary}",
        "note": "trained by: python training/train_visit_needs.py"})
    print(f"trained {args.out} on {len(notes)} notes in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
