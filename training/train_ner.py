"""Train the entity tagger on CLUENER2020's training split, once, offline.

    .venv/bin/python training/train_ner.py   # → src/jinnang/nlp/models/cluener_crf.crfsuite (+ .json card)

With the dictionary priors of nlp/crf_features.py the CRF scores name F1 0.812 / position 0.735
raw on the held-out split (0.796 / 0.738 without them). A BiLSTM-CRF scored 0.798 / 0.727 at
about 4x the latency and was removed (README, "Choices worth knowing").

The split is jinnang.eval.cluener's: 10% is held out (seeded) for `jinnang eval ner`.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import jinnang.nlp
from jinnang.eval.cluener import CLUENER_TRAIN, HELD_OUT, LABEL_MAP, SEED, read_cluener, split

MODEL_PATH = Path(jinnang.nlp.__file__).resolve().parent / "models" / "cluener_crf.crfsuite"


def bio(text: str, spans: list[tuple[str, int, int]]) -> list[str]:
    labels = ["O"] * len(text)
    for label, start, end in spans:
        if any(lab != "O" for lab in labels[start:end]):
            continue  # overlapping gold spans: keep the first
        labels[start] = "B-" + label
        for i in range(start + 1, end):
            labels[i] = "I-" + label
    return labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=CLUENER_TRAIN)
    ap.add_argument("--out", type=Path, default=None, help="model file")
    ap.add_argument("--iterations", type=int, default=150)
    ap.add_argument("--c1", type=float, default=0.1)
    ap.add_argument("--c2", type=float, default=0.02)
    args = ap.parse_args()
    train_crf(args)


def train_crf(args) -> None:
    import pycrfsuite

    from jinnang.nlp.crf_features import char_features
    from jinnang.nlp.lac import analyse

    args.out = args.out or MODEL_PATH
    train, held = split(read_cluener(args.data))
    started = time.time()
    trainer = pycrfsuite.Trainer(verbose=False)
    for row in train:
        trainer.append(char_features(row["text"], analyse(row["text"])), bio(row["text"], row["spans"]))
    print(f"features for {len(train)} sentences in {time.time() - started:.0f}s (held out {len(held)})")
    trainer.set_params({"c1": args.c1, "c2": args.c2, "max_iterations": args.iterations,
                        "feature.possible_transitions": True, "feature.minfreq": 2})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(args.out))
    card = {"data": str(args.data), "seed": SEED, "held_out": HELD_OUT, "train_sentences": len(train),
            "params": trainer.get_params(), "seconds": round(time.time() - started),
            "labels": sorted(set(LABEL_MAP.values()))}
    args.out.with_suffix(".json").write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"trained {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
