"""Train the learned reading of names at titles (nlp/people/learned_names.py) once, offline.

    .venv/bin/python training/train_names.py   # → src/jinnang/nlp/models/names.joblib (+ .json)

Data: every set of nlp/learning.py TRAINING_SETS (dev, the tune sets and the retired blind sets; never
a blind set still to be measured). Each title of a note gives its candidates (runs of Han characters
ending at it or starting after it); a candidate is right when the gold lists that name with that
title. C and the two thresholds are chosen by leave-one-set-out over the retired sets, pooled, on what
a person sees: each retired set's decision-makers are read by the rules and a model fitted on every
other set, and scored by name and title as `jinnang eval extraction` scores them. The shipped model
is then fitted on every set.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from jinnang.nlp.learning import RETIRED_SETS, read_sets
from jinnang.nlp.model_files import save_joblib
from jinnang.nlp.people.learned_names import (
    MODEL_FILE,
    MODELS,
    NamesModel,
    NoteReader,
    candidates,
    fit,
    lengthenings,
    titles_in,
)
from jinnang.nlp.people.mentions import mentions
from jinnang.nlp.people.merging import decision_makers_from
from jinnang.nlp.pipeline import note_doc
from jinnang.nlp.traditional import simplified

ADD = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.01)  # 1.01: the rules alone
LENGTHEN = (0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.01)


def gold_pairs(people) -> set[tuple[str, str]]:
    """(name, title) of the gold's decision-makers, in simplified characters, as extraction reads them."""
    return {(simplified(str(p["name"]).strip()), simplified(str(p["title"]).strip())) for p in people or []
            if p.get("name") and p.get("title")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=MODELS / MODEL_FILE)
    ap.add_argument("--c", type=float, nargs="+", default=[1.0, 3.0, 10.0])
    args = ap.parse_args()
    started = time.time()
    notes = []  # (set, doc, rule mentions, rows, labels, gold pairs)
    for name, cases in read_sets().items():
        for case in cases:
            text = simplified(case["text"])  # as extraction reads it
            doc = note_doc(text)
            rule = [m for m in mentions(doc) if m.name.strip()]
            gold = gold_pairs(case["gold"].get("decision_makers"))
            reader = NoteReader(doc, rule)
            rows, labels = [], []
            for at in titles_in(doc):
                # what extraction scores: the title's candidates, and where the rules read a name before
                # it, that name's lengthenings
                cands = set(candidates(text, at))
                for m in rule:
                    if m.title_start == at.start:
                        cands.update(lengthenings(text, m))
                for c in sorted(cands, key=lambda c: (c.start, c.end)):
                    rows.append(reader.features(at, c))
                    labels.append((c.name(text), at.title.bare) in gold)
            notes.append((name, doc, rule, rows, labels, gold))
    print(f"{len(notes)} notes, {sum(len(n[3]) for n in notes)} candidates "
          f"({sum(sum(n[4]) for n in notes)} right) read in {time.time() - started:.0f}s")

    folds: dict[tuple[str, float], tuple] = {}
    for name in RETIRED_SETS:
        rest = [n for n in notes if n[0] != name]
        for c in args.c:
            folds[name, c] = fit([r for n in rest for r in n[3]], [y for n in rest for y in n[4]], c)
    print(f"{len(folds)} fold models fitted ({time.time() - started:.0f}s)")
    held_out = [n for n in notes if n[0] in RETIRED_SETS]

    def score(c: float, add: float, lengthen: float) -> tuple[float, int, int, int]:
        from jinnang.nlp.people.learned_names import with_learned_names

        tp = fp = fn = 0
        for name, doc, rule, _, _, gold in held_out:
            model = NamesModel(*folds[name, c], add, lengthen)
            found = with_learned_names(doc, list(rule), model)
            pred = {(d.name, d.title) for d in decision_makers_from(doc, found)}
            tp, fp, fn = tp + len(pred & gold), fp + len(pred - gold), fn + len(gold - pred)
        return 2 * tp / max(1, 2 * tp + fp + fn), tp, fp, fn

    rules = score(args.c[0], 1.01, 1.01)
    print(f"rules alone: F1 {rules[0]:.4f} (tp {rules[1]}, fp {rules[2]}, fn {rules[3]})")
    results = {}
    for c in args.c:
        for add in ADD[:-1]:
            results[c, add, 1.01] = score(c, add, 1.01)
            print(f"  C={c} add={add}: F1 {results[c, add, 1.01][0]:.4f} {results[c, add, 1.01][1:]} "
                  f"({time.time() - started:.0f}s)")
    c, add, _ = max(results, key=lambda k: (results[k][0], k[1]))
    for lengthen in LENGTHEN[:-1]:
        results[c, add, lengthen] = score(c, add, lengthen)
        print(f"  C={c} add={add} lengthen={lengthen}: F1 {results[c, add, lengthen][0]:.4f} "
              f"{results[c, add, lengthen][1:]}")
    c, add, lengthen = max(((c, add, ln) for ln in LENGTHEN), key=lambda k: (results.get(k, rules)[0], k[2]))
    best = results.get((c, add, lengthen), rules)
    summary = f"name+title F1 {rules[0]:.4f} → {best[0]:.4f} (C {c}, add {add}, lengthen {lengthen})"
    print(f"leave-one-set-out over {len(RETIRED_SETS)} retired sets ({len(held_out)} notes): {summary}")
    vectorizer, model = fit([r for n in notes for r in n[3]], [y for n in notes for y in n[4]], c)
    save_joblib({"vectorizer": vectorizer, "model": model, "add_threshold": add, "lengthen_threshold": lengthen},
                args.out, {
                    "data": "dev, tune … tune5 and the retired sets (nlp/learning.py TRAINING_SETS)",
                    "cases": len(notes), "c": c, "add_threshold": add, "lengthen_threshold": lengthen,
                    "chosen_on": f"leave-one-set-out over {', '.join(RETIRED_SETS)}, pooled, rules alone → "
                                 f"with the model: {summary}",
                    "note": "trained by: python training/train_names.py"})
    print(f"trained {args.out} in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
