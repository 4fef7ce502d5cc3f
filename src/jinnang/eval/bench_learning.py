"""`jinnang bench learning`: what a team's own labelled notes teach the clause classifier.

One writer group (a tune set, by default tune5: the one set the objection rules were never
tuned on) is split in two halves. The learned parts start from every other training set (the
character scorer too is fitted without the group); the clause classifier is then refitted with
the first 0, 10, 20, … notes of the first half, as `jinnang learn` does, and each refit is scored
on the second half: objection micro-F1, precision, recall, and the refit's seconds. Only the
objection components learn, so the other fields do not move and are not shown.
"""
from __future__ import annotations

import os
import time
from typing import Any

from jinnang.nlp.learning import (
    THRESHOLD_SET,
    TRAINING_SETS,
    char_categories,
    fit_prepared,
    micro,
    packaged_threshold,
    prepare,
    read_sets,
    with_model,
)


def learning_curve(group: str = THRESHOLD_SET, sizes: tuple[int, ...] = (0, 10, 20, 40)) -> dict[str, Any]:
    from jinnang.nlp.objection_scorer import train as train_char

    if group not in TRAINING_SETS:
        raise ValueError(f"no training set named {group!r} (known: {', '.join(TRAINING_SETS)})")
    started = time.perf_counter()
    sets = {name: prepare(cases) for name, cases in read_sets().items()}
    notes = sets.pop(group)
    half = len(notes) // 2
    pool, test = notes[:half], notes[half:]
    base = [n for other in sets.values() for n in other]
    char = train_char([dict(n.case) for n in base])
    found = char_categories(test, char)
    gold = [n.gold_cats for n in test]
    threshold = packaged_threshold()
    rows = [{"learned": 0, "model": "rules + character scorer only", **micro(zip(gold, found)), "refit_s": 0.0}]
    for k in sorted({min(s, len(pool)) for s in sizes}):
        t = time.perf_counter()
        model = fit_prepared([*base, *pool[:k]], threshold=threshold)
        seconds = time.perf_counter() - t
        rows.append({"learned": k, "model": "+ clause classifier", **micro(zip(gold, with_model(test, found, model))),
                     "refit_s": round(seconds, 2)})
    return {"group": group, "pool": len(pool), "test": len(test), "rows": rows,
            "seconds": round(time.perf_counter() - started, 1), "load": os.getloadavg()[0]}


def curve_lines(result: dict[str, Any]) -> list[str]:
    lines = [f"learning curve on {result['group']}: learn from up to {result['pool']} notes, score on "
             f"{result['test']} others of the same writers",
             f"  {'learned':>7}  {'model':<30} {'F1':>6} {'P':>6} {'R':>6} {'refit s':>8}"]
    lines += [f"  {r['learned']:>7}  {r['model']:<30} {r['f1']:>6.3f} {r['precision']:>6.3f} {r['recall']:>6.3f} "
              f"{r['refit_s']:>8.2f}" for r in result["rows"]]
    lines.append(f"  ({result['seconds']} s in all; load average {result['load']:.2f})")
    return lines
