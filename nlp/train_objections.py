"""Train the learned objection scorer (nlp/objection_scorer.py) once, offline.

    python -m nlp.train_objections            # → nlp/models/objection_scorer.joblib (+ .json card)

It learns from the labelled sets the cue rules were tuned on: the shared dev set and the
generalisation tune sets. The holdouts (eval/data/generalisation/holdout*.jsonl) are never
trained on, so they stay a measure of notes neither the rules nor the scorer have seen.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from jinnang.jsonl_file import read_jsonl
from nlp.objection_scorer import MODEL_FILE, MODELS, save, train

ROOT = Path(__file__).resolve().parents[1]
TRAINING_SETS = (
    ROOT.parent / "shared" / "data" / "dev" / "extraction.jsonl",
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
                            "c": args.c, "note": "trained by: python -m nlp.train_objections"})
    print(f"trained {args.out} on {len(cases)} cases in {time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
