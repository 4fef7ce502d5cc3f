"""Scorers for the entity layer: CLUENER per-label P/R/F1 and decision-maker F1 on a gold set.

    score_cluener()                          # the seeded held-out 10% of CLUENER train
    score_decision_makers("…/extraction.jsonl")
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from jinnang.core.jsonl_file import read_jsonl

SCORED_LABELS = ("name", "position", "organization")


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "gold": n_gold, "predicted": n_pred}


def score_cluener(path: str | Path | None = None) -> dict[str, Any]:
    """Exact-span per-label P/R/F1 of `find_entities` on a CLUENER-format file.

    Without a path: the held-out split of CLUENER train that `training/train_ner.py` never trained on.
    """
    from jinnang.eval.cluener import CLUENER_TRAIN, read_cluener, split
    from jinnang.nlp.ner import find_entities

    if path is None:
        rows = split(read_cluener(CLUENER_TRAIN))[1]
        source = f"{CLUENER_TRAIN} (held-out split)"
    else:
        rows = read_cluener(Path(path))
        source = str(path)
    tp: Counter = Counter()
    n_pred: Counter = Counter()
    n_gold: Counter = Counter()
    started = time.perf_counter()
    for row in rows:
        gold = {s for s in row["spans"] if s[0] in SCORED_LABELS}
        pred = {(e.label, e.start, e.end) for e in find_entities(row["text"]) if e.label in SCORED_LABELS}
        for label in SCORED_LABELS:
            g = {s for s in gold if s[0] == label}
            p = {s for s in pred if s[0] == label}
            tp[label] += len(g & p)
            n_pred[label] += len(p)
            n_gold[label] += len(g)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {"source": source, "sentences": len(rows),
                           "ms_per_sentence": round(1000 * seconds / max(len(rows), 1), 2),
                           "tagger_ms_per_200_chars": tagger_ms_per_200_chars([r["text"] for r in rows])}
    for label in SCORED_LABELS:
        out[label] = prf(tp[label], n_pred[label], n_gold[label])
    return out


def tagger_ms_per_200_chars(texts: list[str], notes: int = 100) -> float:
    """Milliseconds the CLUENER tagger alone adds to a 200-character note (LAC already done).

    Notes are the texts laid end to end and cut every 200 characters; LAC's analysis is
    cached beforehand so only the tagger is timed.
    """
    from jinnang.nlp.components import CrfNer
    from jinnang.nlp.lac import analyse
    from jinnang.nlp.pipeline import get_nlp

    joined = "".join(texts)
    chunks = [joined[i:i + 200] for i in range(0, len(joined) - 199, 200)][:notes]
    if not chunks:
        return 0.0
    tagger = get_nlp().get_pipe("jinnang_crf_ner")
    assert isinstance(tagger, CrfNer)
    for chunk in chunks:
        analyse(chunk)
        tagger.char_spans(chunk)  # warm-up
    started = time.perf_counter()
    for chunk in chunks:
        tagger.char_spans(chunk)
    return round(1000 * (time.perf_counter() - started) / len(chunks), 2)


def score_decision_makers(path: str | Path) -> dict[str, Any]:
    """Decision-maker P/R/F1 on a gold-format extraction set, matched by name, and by name+title.

    Also reports field accuracy (department, organization, role) over name-matched people.
    """
    from jinnang.nlp.people import find_decision_makers

    tp = {"name": 0, "name_title": 0}
    n_pred = n_gold = 0
    fields: Counter = Counter()
    misses: list[dict[str, Any]] = []
    started = time.perf_counter()
    cases = read_jsonl(path, required=("text", "gold"))
    for case in cases:
        gold = case["gold"].get("decision_makers") or []
        pred = [dm.model_dump() for dm in find_decision_makers(case["text"])]
        n_pred += len(pred)
        n_gold += len(gold)
        by_name = {p["name"]: p for p in pred}
        for g in gold:
            p = by_name.get(g["name"])
            if p is None:
                continue
            tp["name"] += 1
            tp["name_title"] += p.get("title") == g.get("title")
            for field in ("title", "department", "organization", "role"):
                fields[field] += p.get(field) == g.get(field)
        gold_names = {g["name"] for g in gold}
        pred_names = set(by_name)
        if gold_names != pred_names:
            misses.append({"id": case.get("id"), "missed": sorted(gold_names - pred_names),
                           "extra": sorted(pred_names - gold_names)})
    seconds = time.perf_counter() - started
    matched = max(tp["name"], 1)
    return {
        "source": str(path), "cases": len(cases),
        "ms_per_note": round(1000 * seconds / max(len(cases), 1), 2),
        "by_name": prf(tp["name"], n_pred, n_gold),
        "by_name_title": prf(tp["name_title"], n_pred, n_gold),
        "field_accuracy_on_matched": {k: round(v / matched, 4) for k, v in fields.items()},
        "differences": misses,
    }
