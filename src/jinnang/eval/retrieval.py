"""Score playbook search on a retrieval set (gold-format.md §2): recall@5, nDCG@10, MRR.

Three settings side by side on the same index (every setting sees the query with its pinyin
abbreviations spelt out: `sbk` → 设备科):
- lexical: BM25 over LAC words + BM25 over character bigrams, no concepts, no prior;
- dense: the embedding channel alone (settings.embedding_model);
- hybrid: every channel, the concept layer and the actionable-document prior (the shipped search).
"""
from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from jinnang.core.jsonl_file import read_jsonl
from jinnang.core.settings import Settings

SETTINGS: dict[str, dict[str, Any]] = {
    "lexical": {"channels": ("words", "chars"), "use_prior": False},
    "dense": {"channels": ("dense",), "use_prior": False},
    "hybrid": {"channels": None, "use_prior": True},
}


def recall_at(ranked: list[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def ndcg_at(ranked: list[str], relevant: set[str], k: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def mrr(ranked: list[str], relevant: set[str]) -> float:
    return next((1 / (i + 1) for i, d in enumerate(ranked) if d in relevant), 0.0)


def evaluate(path: Path, embedding_model: str | None = None, store: Path | None = None,
             details: bool = False) -> dict[str, Any]:
    """Index `path/corpus.jsonl` into a store (a temporary one unless given) and score `path/queries.jsonl`."""
    from jinnang.coaching.search import search
    from jinnang.coaching.store import index_documents

    path = Path(path)
    corpus = read_jsonl(path / "corpus.jsonl")
    queries = read_jsonl(path / "queries.jsonl")
    with tempfile.TemporaryDirectory(prefix="jinnang-eval-") as tmp:
        kwargs: dict[str, Any] = {"data_dir": store or Path(tmp)}
        if embedding_model:
            kwargs["embedding_model"] = embedding_model
        settings = Settings(**kwargs)
        index_documents(settings, corpus)
        result: dict[str, Any] = {"n_queries": len(queries), "n_documents": len(corpus),
                                  "embedding_model": settings.embedding_model}
        per_query: dict[str, Any] = {}
        for name, opts in SETTINGS.items():
            sums = {"recall@5": 0.0, "ndcg@10": 0.0, "mrr": 0.0}
            for q in queries:
                relevant = set(q.get("relevant") or [])
                ranked = [h["doc_id"] for h in search(settings, q["query"], k=10, **opts)]
                sums["recall@5"] += recall_at(ranked, relevant, 5)
                sums["ndcg@10"] += ndcg_at(ranked, relevant, 10)
                sums["mrr"] += mrr(ranked, relevant)
                if details:
                    per_query.setdefault(q["id"], {})[name] = {
                        "recall@5": round(recall_at(ranked, relevant, 5), 3), "top5": ranked[:5],
                        "missed": sorted(relevant - set(ranked[:5]))}
            n = max(len(queries), 1)
            result[name] = {metric: round(value / n, 4) for metric, value in sums.items()}
        if details:
            result["queries"] = per_query
        return result
