"""Train the learned objection scorer (nlp/objection_scorer.py) once, offline.

    .venv/bin/python training/train_objections.py   # → src/jinnang/nlp/models/objection_scorer.joblib (+ .json)

It learns from the labelled sets the cue rules were tuned on: the shared dev set and the
generalisation tune sets. The holdouts (eval/data/generalisation/holdout*.jsonl) are never
trained on, so they stay a measure of notes neither the rules nor the scorer have seen.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from jinnang.core.jsonl_file import read_jsonl
from jinnang.core.paths import CHECKOUT, SHARED_DATA
from jinnang.nlp.objection_scorer import MODEL_FILE, MODELS, save, train

ROOT = CHECKOUT
TRAINING_SETS = (
    SHARED_DATA / "dev" / "extraction.jsonl",
    *(ROOT / "eval" / "data" / "generalisation" / f"{name}.jsonl" for name in ("tune", "tune2", "tune3", "tune4", "tune5")),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=MODELS / MODEL_FILE)
    ap.add_argument("--c", type=float, default=4.0, help="inverse regularisation strength")
    args = ap.parse_args()
    started = time.time()
    cases = [case for path in TRAINING_SETS for case in read_jsonl(path, required=("text", "gold"))]
    scorer = train(cases, c=args.c)
    save(scorer, args.out, {"data": [os.path.relpath(p, ROOT) for p in TRAINING_SETS], "cases": len(cases),
                            "c": args.c, "note": "trained by: python training/train_objections.py"})
    print(f"trained {args.out} on {len(cases)} cases in {time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
