"""Train the reading of our own engineers (nlp/people/own_engineers.py) once, offline.

    .venv/bin/python training/train_own_engineers.py   # → src/jinnang/nlp/models/own_engineers.joblib (+ .json)

Data: every set of nlp/learning.py TRAINING_SETS (dev, the tune sets and the retired blind sets; never
a blind set still to be measured). Each engineer (工程师) the rules and the names model list is a row,
right when the gold lists that name as 工程师. C and the threshold are chosen by leave-one-set-out over
the retired sets, pooled, on what a person sees: each retired set's decision-makers, with the engineers
a model fitted on every other set reads as ours left out, scored by name and title as `jinnang eval
extraction` scores them. The shipped model is then fitted on every set.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from train_names import gold_pairs  # a sibling script, run from training/ as calibrate_on_unseen.py imports its own

from jinnang.nlp.learning import RETIRED_SETS, read_sets
from jinnang.nlp.model_files import save_joblib
from jinnang.nlp.people.learned_names import with_learned_names
from jinnang.nlp.people.mentions import mentions
from jinnang.nlp.people.merging import decision_makers_from
from jinnang.nlp.people.own_engineers import MODEL_FILE, MODELS, TITLE, fit, person_context
from jinnang.nlp.pipeline import note_doc
from jinnang.nlp.traditional import simplified

THRESHOLDS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)  # 0.0: every engineer kept


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=MODELS / MODEL_FILE)
    ap.add_argument("--c", type=float, nargs="+", default=[1.0, 3.0, 10.0])
    args = ap.parse_args()
    started = time.time()
    notes = []  # (set, people as read without the model, their rows, gold pairs)
    for name, cases in read_sets().items():
        for case in cases:
            text = simplified(case["text"])  # as extraction reads it
            doc = note_doc(text)
            people = decision_makers_from(doc, with_learned_names(doc, [m for m in mentions(doc) if m.name.strip()]),
                                          engineers=None)
            gold = gold_pairs(case["gold"].get("decision_makers"))
            rows = [(person_context(text, p), p.department is not None, (p.name, p.title) in gold)
                    for p in people if p.title == TITLE]
            notes.append((name, text, people, rows, gold))
    rows = [r for n in notes for r in n[3]]
    print(f"{len(notes)} notes, {len(rows)} engineers ({sum(r[2] for r in rows)} the customer's) "
          f"read in {time.time() - started:.0f}s")

    def train(part, c):
        return fit([r[0] for r in part], [r[1] for r in part], [r[2] for r in part], c)

    pooled: dict[tuple[float, float], list[int]] = {}
    held_out = [n for n in notes if n[0] in RETIRED_SETS]
    for c in args.c:
        for name in RETIRED_SETS:
            model = train([r for n in notes if n[0] != name for r in n[3]], c)
            for _, text, people, _, gold in (n for n in held_out if n[0] == name):
                for t in THRESHOLDS:
                    model.threshold = t
                    pred = {(p.name, p.title) for p in model.keep(text, people)}
                    score = pooled.setdefault((c, t), [0, 0, 0])
                    score[0] += len(pred & gold)
                    score[1] += len(pred - gold)
                    score[2] += len(gold - pred)
        print(f"  C={c}: " + "  ".join(f"{t}: {2 * s[0] / (2 * s[0] + s[1] + s[2]):.4f} ({s[0]}, {s[1]}, {s[2]})"
                                        for (cc, t), s in pooled.items() if cc == c) + f" ({time.time() - started:.0f}s)")

    def f1(key):
        s = pooled[key]
        return 2 * s[0] / (2 * s[0] + s[1] + s[2])

    c, threshold = max(pooled, key=lambda k: (round(f1(k), 4), -k[1]))
    summary = (f"name+title F1 {f1((c, 0.0)):.4f} → {f1((c, threshold)):.4f} (C {c}, threshold {threshold}; "
               f"tp/fp/fn {pooled[c, 0.0]} → {pooled[c, threshold]})")
    print(f"leave-one-set-out over {len(RETIRED_SETS)} retired sets ({len(held_out)} notes): {summary}")
    model = train(rows, c)
    save_joblib({"vectorizer": model.vectorizer, "model": model.model, "threshold": threshold}, args.out, {
        "data": "dev, tune … tune5 and the retired sets (nlp/learning.py TRAINING_SETS)", "engineers": len(rows),
        "c": c, "threshold": threshold,
        "chosen_on": f"leave-one-set-out over {', '.join(RETIRED_SETS)}, pooled, every engineer kept → "
                     f"with the model: {summary}",
        "note": "trained by: python training/train_own_engineers.py"})
    print(f"trained {args.out} in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
