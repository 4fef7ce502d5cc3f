"""Train the entity tagger on CLUENER2020's training split, once, offline.

    python -m nlp.train_ner                  # feature CRF → nlp/models/cluener_crf.crfsuite (+ .json card)
    python -m nlp.train_ner --tagger neural  # BiLSTM-CRF → nlp/models/cluener_bilstm.onnx (+ .json)

The shipped tagger is the CRF. With the dictionary priors of nlp/crf_features.py it scores
name F1 0.812 / position 0.735 raw on the held-out split (0.796 / 0.738 without them); the
BiLSTM-CRF scored 0.798 / 0.727 at ~4x the latency (see nlp/neural_ner.py). Point config.cfg's
`model` at a `.onnx` file to use that instead.

10% of the file is held out (seeded) for `jinnang eval ner`; it is never trained on.
CLUENER's `company` and `government` are folded into `organization`, because the
CLI contract's organization is "a hospital, company or public body".
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from jinnang.errors import InputError
from jinnang.jsonl_file import read_jsonl

CLUENER_TRAIN = Path("/work/shared/data/external/cluener/train.json")
MODEL_DIR = Path(__file__).resolve().parent / "models"
MODEL_PATH = MODEL_DIR / "cluener_crf.crfsuite"
SEED = 20200
HELD_OUT = 0.1
# CLUENER label → our label (others are ignored)
LABEL_MAP = {"name": "name", "position": "position", "organization": "organization",
             "company": "organization", "government": "organization"}


def read_cluener(path: Path) -> list[dict]:
    """CLUENER lines as {"text", "spans": [(label, start, end_exclusive)]}, labels mapped."""
    out = []
    for obj in read_jsonl(path, required=("text",)):
        if not isinstance(obj["text"], str):
            raise InputError("text", f"{path}: a CLUENER line needs a string 'text'")
        spans = []
        for label, mentions in (obj.get("label") or {}).items():
            ours = LABEL_MAP.get(label)
            if not ours:
                continue
            for _, offsets in mentions.items():
                for start, end in offsets:
                    spans.append((ours, start, end + 1))
        out.append({"text": obj["text"], "spans": sorted(spans, key=lambda s: (s[1], s[2]))})
    return out


def split(rows: list, seed: int = SEED, held_out: float = HELD_OUT) -> tuple[list, list]:
    """(train, held_out) — the same seeded split for training and evaluation."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    cut = int(len(rows) * held_out)
    held = set(order[:cut])
    return [r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held]


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
    ap.add_argument("--tagger", choices=("crf", "neural"), default="crf")
    ap.add_argument("--out", type=Path, default=None, help="model file (crf) or folder (neural)")
    ap.add_argument("--iterations", type=int, default=150, help="crf")
    ap.add_argument("--c1", type=float, default=0.1, help="crf")
    ap.add_argument("--c2", type=float, default=0.02, help="crf")
    ap.add_argument("--epochs", type=int, default=14, help="neural")
    args = ap.parse_args()
    if args.tagger == "crf":
        train_crf(args)
    else:
        train_bilstm(args)


def train_bilstm(args) -> None:
    from nlp.lac import analyse
    from nlp.train_neural import read_all_labels, train_neural

    started = time.time()
    train, held = split(read_all_labels(args.data))  # same seeded split as read_cluener's
    for row in train:
        row["lac"] = analyse(row["text"])
    print(f"LAC for {len(train)} sentences in {time.time() - started:.0f}s (held out {len(held)})")
    result = train_neural(train, out_dir=args.out or MODEL_DIR, epochs=args.epochs)
    print(f"kept epoch {result['best_epoch']} (tune F1 mean {result['tune_f1_mean']:.4f}) in {time.time() - started:.0f}s")


def train_crf(args) -> None:
    import pycrfsuite

    from nlp.crf_features import char_features
    from nlp.lac import analyse

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
