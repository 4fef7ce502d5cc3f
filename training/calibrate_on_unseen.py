"""Fit the confidence calibration (nlp/calibration.py) on items the extractor had never seen.

    # 1. before the learned models are refitted on blind sets being retired: keep their items as
    #    today's extractor reads them (it was not fitted on them) → training/calibration_rows/SET.jsonl
    .venv/bin/python training/calibrate_on_unseen.py --read holdout28 holdout29 team25 team26
    # 2. fit every field on all kept rows → src/jinnang/nlp/models/calibration.json
    .venv/bin/python training/calibrate_on_unseen.py

Why: train_calibration.py fits on the dev and tune sets, where the rules and the learned parts
have been fitted; their items are right far more often than a new writer's, so the confidences it
gives run high on new notes (objections on a fresh team set: mean confidence 0.80, right 0.52).
Items of a blind set read before any learned part is fitted on it are what new notes look like;
each retirement adds a few hundred. A kept row holds the item's features and whether it was right,
never the note's text, and the commit that read it. `--read` refuses a set the learned parts are already fitted on
(nlp/learning.py TRAINING_SETS: dev, the tune sets and the retired ones), so the rows stay unseen ones.

C is fixed (0.3, as train_calibration.py); reliability is reported leaving one set out at a time,
and the review line is chosen on those out-of-fold probabilities. The fields' features are
nlp/calibration.py's, so a calibration fitted here loads and reads exactly like the old one.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from train_calibration import Row, choose_line, fit, item_rows, linear, out_of_fold

from jinnang.core.jsonl_file import read_jsonl
from jinnang.core.paths import CHECKOUT
from jinnang.eval.extraction import GoldCase, Reliability, expected_calibration_error
from jinnang.nlp import calibration
from jinnang.nlp.learning import GENERALISATION, TRAINING_SETS

ROWS = CHECKOUT / "training" / "calibration_rows"


def read_unseen(name: str) -> Path:
    """Write the rows of set `name` as today's extractor reads it; refuse a set it was fitted on."""
    if name in TRAINING_SETS:
        raise SystemExit(f"error: set {name}: the learned parts are fitted on it, so its items are not unseen")
    path = GENERALISATION / f"{name}.jsonl"
    cases = [GoldCase.model_validate(c) for c in read_jsonl(path, required=("text", "gold"))]
    commit = subprocess.run(["git", "-C", str(CHECKOUT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    rows = [r for case in cases for r in item_rows(name, case)]
    ROWS.mkdir(parents=True, exist_ok=True)
    out = ROWS / f"{name}.jsonl"
    out.write_text("".join(json.dumps({"set": s, "field": f, "features": x, "right": ok, "read_by": commit}) + "\n"
                           for s, f, x, ok in rows), encoding="utf-8")
    print(f"  {name}: {len(cases)} notes, {len(rows)} items read by {commit} → {out.relative_to(CHECKOUT)}")
    return out


def kept_rows() -> tuple[list[Row], dict[str, str]]:
    rows: list[Row] = []
    read_by: dict[str, str] = {}
    for path in sorted(ROWS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                rows.append((r["set"], r["field"], r["features"], r["right"]))
                read_by[r["set"]] = r["read_by"]
    return rows, read_by


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--read", nargs="+", metavar="SET", help="keep these blind sets' rows (no fit)")
    ap.add_argument("--out", type=Path, default=calibration.model_path())
    ap.add_argument("--c", type=float, default=0.3, help="inverse regularisation strength of each regression")
    args = ap.parse_args()
    started = time.time()
    if args.read:
        for name in args.read:
            read_unseen(name)
        return
    rows, read_by = kept_rows()
    if len(read_by) < 2:
        raise SystemExit(f"error: {ROWS.relative_to(CHECKOUT)} holds {len(read_by)} set(s); "
                         "reliability is measured leaving one out, so it needs two or more (--read SET …)")
    report: dict[str, Any] = {}
    every: list[tuple[float, bool]] = []
    models: dict[str, calibration.FieldModel] = {}
    for field in calibration.FIELDS:
        mine = [r for r in rows if r[1] == field]
        models[field] = linear(fit([r[2] for r in mine], [r[3] for r in mine], args.c))
        scored = out_of_fold(rows, field, args.c)
        report[field] = {"items": len(mine), "right": round(sum(r[3] for r in mine) / max(len(mine), 1), 4),
                         "ece_out_of_fold": expected_calibration_error([(p, ok) for _, p, ok in scored])}
        every += [(p, ok) for _, p, ok in scored]
    line = choose_line(every)
    report["overall"] = {"items": len(every), "ece_out_of_fold": expected_calibration_error(every),
                         **Reliability._split(every, line)}
    import sklearn

    card = {"data": {name: f"{ROWS.relative_to(CHECKOUT)}/{name}.jsonl" for name in sorted(read_by)},
            "read_by": read_by, "c": args.c, "line": line, "cross_validated_by_set": report,
            "sklearn": sklearn.__version__,
            "note": "fitted by: python training/calibrate_on_unseen.py on items of blind sets as read "
                    "before any learned part was fitted on them"}
    bundle = calibration.CalibrationFile(fields=models, line=line, card=card)
    args.out.write_text(json.dumps(bundle.model_dump(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1))
    print(f"line {line}; wrote {args.out} in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
