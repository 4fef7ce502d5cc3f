"""CLUENER2020 as the entity tagger's training and held-out data: reading and the seeded split.

`training/train_ner.py` trains on one side of the split and `jinnang eval ner` scores the other.
CLUENER's `company` and `government` are folded into `organization`, because the CLI contract's
organization is "a hospital, company or public body".
"""
from __future__ import annotations

import random
from pathlib import Path

from jinnang.core.errors import InputError
from jinnang.core.jsonl_file import read_jsonl
from jinnang.core.paths import SHARED_DATA

CLUENER_TRAIN = SHARED_DATA / "external" / "cluener" / "train.json"
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
