"""`jinnang bench learning`: what a team's own labelled notes teach the learned objection parts.

One writer group is split in two halves: a tune set (by default tune5, the one set the objection
rules were never tuned on) or a file of one team's notes in date order (`--group-file`, e.g.
eval/data/generalisation/team6.jsonl: learn from the first half, score on the second). The learned
parts start from every training set but the group; then, as `jinnang learn` does, the character
scorer and the clause classifier (the group's notes counting OWN_WEIGHT times), the learned visit
facts and the learned key-date type are refitted with the first 0, 10, 20, … notes of the first half,
and each refit is scored on the second half: objection micro-F1, precision, recall, visit-field
accuracy, typed-date F1 and the refit's seconds.
The journey node is not refitted by `jinnang learn` (its fit takes minutes), so it does not move and
is not shown.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from jinnang.nlp.date_learning import dated_notes, fit_dates, typed_f1
from jinnang.nlp.learning import (
    THRESHOLD_SET,
    TRAINING_SETS,
    char_categories,
    fit_learned_parts,
    micro,
    packaged_threshold,
    prepare,
    prepared_sets,
    with_model,
)
from jinnang.nlp.visit_learning import fit_visit, visit_accuracy, visit_rows


def learning_curve(group: str = THRESHOLD_SET, sizes: tuple[int, ...] = (0, 10, 20, 40),
                   group_file: Path | None = None) -> dict[str, Any]:
    from jinnang.core.jsonl_file import read_jsonl

    started = time.perf_counter()
    sets = prepared_sets()
    if group_file is not None:
        group = str(group_file)
        # a retired team set is training data: the curve learns it without its own notes
        for name in [n for n, path in TRAINING_SETS.items() if path.resolve() == Path(group_file).resolve()]:
            del sets[name]
        notes = prepare(read_jsonl(group_file, required=("text", "gold")))
    elif group in TRAINING_SETS:
        notes = sets.pop(group)
    else:
        raise ValueError(f"no training set named {group!r} (known: {', '.join(TRAINING_SETS)})")
    half = len(notes) // 2
    pool, test = notes[:half], notes[half:]
    base = [n for other in sets.values() for n in other]
    gold = [n.gold_cats for n in test]
    threshold = packaged_threshold()
    base_visits, pool_visits = visit_rows(n.case for n in base), [visit_rows([n.case]) for n in pool]
    test_visits = visit_rows(n.case for n in test)
    base_dates, pool_dates, test_dates = dated_notes(n.case for n in base), [dated_notes([n.case]) for n in pool], \
        dated_notes(n.case for n in test)
    rows = [{"learned": 0, "model": "rules only", **micro(zip(gold, [n.rule_cats for n in test])),
             "visit": round(visit_accuracy(test_visits, None, None), 4),
             "dates": round(typed_f1(test_dates, None), 4), "refit_s": 0.0}]
    for k in sorted({min(s, len(pool)) for s in sizes}):
        t = time.perf_counter()
        char, model = fit_learned_parts(base, pool[:k], threshold)
        questions, needs = fit_visit([*base_visits, *(r for rows_k in pool_visits[:k] for r in rows_k)])
        dates = fit_dates([*base_dates, *(d for notes_k in pool_dates[:k] for d in notes_k)])
        seconds = time.perf_counter() - t
        rows.append({"learned": k, "model": "+ the learned parts",
                     **micro(zip(gold, with_model(test, char_categories(test, char), model))),
                     "visit": round(visit_accuracy(test_visits, questions, needs), 4),
                     "dates": round(typed_f1(test_dates, dates), 4), "refit_s": round(seconds, 2)})
    return {"group": group, "pool": len(pool), "test": len(test), "rows": rows,
            "seconds": round(time.perf_counter() - started, 1), "load": os.getloadavg()[0]}


def curve_lines(result: dict[str, Any]) -> list[str]:
    lines = [f"learning curve on {result['group']}: learn from up to {result['pool']} notes, score on "
             f"{result['test']} others of the same writers",
             f"  {'learned':>7}  {'model':<22} {'objection F1':>12} {'P':>6} {'R':>6} {'visit':>6} {'dates':>6} {'refit s':>8}"]
    lines += [f"  {r['learned']:>7}  {r['model']:<22} {r['f1']:>12.3f} {r['precision']:>6.3f} {r['recall']:>6.3f} "
              f"{r['visit']:>6.3f} {r['dates']:>6.3f} {r['refit_s']:>8.2f}" for r in result["rows"]]
    lines.append(f"  ({result['seconds']} s in all; load average {result['load']:.2f})")
    return lines
