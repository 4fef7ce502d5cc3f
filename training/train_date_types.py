"""Train the learned key-date type (nlp/date_types.py) once, offline.

    .venv/bin/python training/train_date_types.py   # → src/jinnang/nlp/models/date_types.joblib (+ .json)

Data: every set of nlp/learning.py TRAINING_SETS (dev, the tune sets and the retired blind sets; never
a blind set still to be measured). Each date the rules find is a row, labelled with the gold's type for
its day (the rules' own type where the gold lists that day under several), or none where the gold lists
no date that day. C, the threshold and the drop threshold are chosen by leave-one-set-out over the retired sets, pooled, on what a person
sees: each retired set's dates are found by the rules and retyped by a model fitted on every other
set, and scored by type and date as `jinnang eval extraction` scores them. The shipped model is then
fitted on every set.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from jinnang.nlp.date_learning import dated_notes
from jinnang.nlp.date_types import MODEL_FILE, MODELS, NONE, context, fit, save, usable_rows
from jinnang.nlp.learning import RETIRED_SETS, read_sets

THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.01)  # 1.01: the rules alone
DROPS = (0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)  # 1.01: no date left out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=MODELS / MODEL_FILE)
    ap.add_argument("--c", type=float, nargs="+", default=[30.0, 100.0, 300.0, 1000.0])
    args = ap.parse_args()
    started = time.time()
    # each note as `jinnang learn` reads it (nlp/date_learning.py), and its rows: (set, context, rules' type, cued,
    # gold type or NONE)
    notes = [(name, n) for name, cases in read_sets().items() for n in dated_notes(cases)]
    rows = [(name, *r) for name, n in notes for r in n.rows()]
    print(f"{len(notes)} notes, {len(rows)} dates read ({sum(r[4] == NONE for r in rows)} on no gold day) "
          f"in {time.time() - started:.0f}s")

    held_out = [n for n in notes if n[0] in RETIRED_SETS]

    def pooled(models: dict[str, object] | None, threshold: float, drop: float = 1.01) -> tuple[float, int, int, int]:
        tp = fp = fn = 0
        for k, (name, note) in enumerate(held_out):
            text, found, cued, gold = note.text, note.found, note.cued, note.gold
            dates = found
            if models is not None:
                model = models[name]
                model.threshold, model.drop_threshold = threshold, drop  # type: ignore[attr-defined]
                if k not in probs:
                    use = usable_rows(found)
                    probs[k] = model.probabilities(  # type: ignore[attr-defined]
                        [context(text, found[i].start or 0, found[i].end or 0) for i in use],
                        [found[i].type for i in use], [cued[i] for i in use]) if use else None
                dates = [d for _, d in model.retyped(text, found, cued, probs[k])]  # type: ignore[attr-defined]
            pred = {(d.type, d.date.isoformat()) for d in dates}
            tp, fp, fn = tp + len(pred & gold), fp + len(pred - gold), fn + len(gold - pred)
        return 2 * tp / max(1, 2 * tp + fp + fn), tp, fp, fn

    rules = pooled(None, 1.01)
    print(f"rules alone: typed F1 {rules[0]:.4f} {rules[1:]}")
    results = {}
    for c in args.c:
        models = {}
        for name in RETIRED_SETS:
            rest = [r for r in rows if r[0] != name]
            models[name] = fit([r[1] for r in rest], [r[2] for r in rest], [r[3] for r in rest], [r[4] for r in rest], c)
        probs: dict[int, object] = {}  # each held-out note's probabilities under this C's models
        for t in THRESHOLDS:
            for drop in DROPS:
                results[c, t, drop] = pooled(models, t, drop)
            print(f"  C={c} threshold {t}: " + "  ".join(f"drop {d}: {results[c, t, d][0]:.4f}" for d in DROPS)
                  + f" ({time.time() - started:.0f}s)", flush=True)
    # ties: the higher thresholds (the rules' reading kept where it is as good)
    c, t, drop = max(results, key=lambda k: (results[k][0], k[1], k[2]))
    best = results[c, t, drop]
    summary = (f"typed F1 {rules[0]:.4f} → {best[0]:.4f} (right {rules[1]} → {best[1]}, wrong {rules[2]} → {best[2]}, "
               f"missed {rules[3]} → {best[3]}; C {c}, threshold {t}, drop threshold {drop}; "
               f"retyping alone {results[c, t, 1.01][0]:.4f})")
    print(f"leave-one-set-out over {len(RETIRED_SETS)} retired sets ({len(held_out)} notes): {summary}")
    model = fit([r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows], c)
    model.threshold, model.drop_threshold = t, drop
    save(model, args.out, {
        "data": "dates the rules find in dev, tune … tune5 and the retired sets (nlp/learning.py TRAINING_SETS)",
        "cases": len(notes), "rows": len(rows), "c": c, "threshold": t, "drop_threshold": drop,
        "chosen_on": f"leave-one-set-out over {', '.join(RETIRED_SETS)}, pooled, rules alone → with the model: {summary}",
        "note": "trained by: python training/train_date_types.py"})
    print(f"trained {args.out} in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
