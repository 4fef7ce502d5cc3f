"""Score playbook search on a retrieval set (gold-format.md §2): recall@5, nDCG@10, MRR.

Three settings side by side on the same index (every setting sees the query with its pinyin
abbreviations spelt out: `sbk` → 设备科):
- lexical: BM25 over LAC words + BM25 over character bigrams, no concepts, no prior;
- dense: the embedding channel alone (settings.embedding_model);
- hybrid: every channel, the concept layer and the actionable-document prior (the shipped search).
"""
from __future__ import annotations

import hashlib
import itertools
import math
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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


@contextmanager
def _indexed(corpus: list[dict[str, Any]], embedding_model: str | None, store: Path | None) -> Iterator[Settings]:
    """Settings of a store holding `corpus` (a temporary one unless given)."""
    from jinnang.coaching.store import index_documents

    with tempfile.TemporaryDirectory(prefix="jinnang-eval-") as tmp:
        kwargs: dict[str, Any] = {"data_dir": store or Path(tmp)}
        if embedding_model:
            kwargs["embedding_model"] = embedding_model
        settings = Settings(**kwargs)
        index_documents(settings, corpus)
        yield settings


def evaluate(path: Path, embedding_model: str | None = None, store: Path | None = None,
             details: bool = False) -> dict[str, Any]:
    """Index `path/corpus.jsonl` into a store (a temporary one unless given) and score `path/queries.jsonl`."""
    from jinnang.coaching.search import search

    path = Path(path)
    corpus = read_jsonl(path / "corpus.jsonl")
    queries = read_jsonl(path / "queries.jsonl")
    with _indexed(corpus, embedding_model, store) as settings:
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


# the channel weights tried by `fit_channel_weights` (the shipped 0.5 / 0.5 / 1.5 / 1.5 is on the grid)
WEIGHT_GRID: dict[str, tuple[float, ...]] = {
    "words": (0.0, 0.25, 0.5, 1.0), "chars": (0.25, 0.5, 1.0), "concepts": (0.5, 1.0, 1.5, 2.0),
    "dense": (0.5, 1.0, 1.5, 2.0, 3.0)}


def _objective(rows: Sequence[tuple[float, float]]) -> float:
    """Mean of recall@5 and nDCG@10 over the queries: the two figures the README reports."""
    return sum(r + n for r, n in rows) / (2 * len(rows)) if rows else 0.0


def _plateau_best(table: dict[tuple[float, ...], list[tuple[float, float]]],
                  grid: dict[str, tuple[float, ...]]) -> tuple[float, ...]:
    """The weights whose own score averaged with their grid neighbours' (one step in one channel) is
    highest: a plateau rather than a peak one query wide; ties go to the earlier grid point."""
    own = {w: _objective(rows) for w, rows in table.items()}
    axes = list(grid.values())

    def smoothed(w: tuple[float, ...]) -> float:
        near = [own[w]]
        for i, axis in enumerate(axes):
            j = axis.index(w[i])
            for k in (j - 1, j + 1):
                if 0 <= k < len(axis):
                    near.append(own[w[:i] + (axis[k],) + w[i + 1:]])
        return 0.5 * own[w] + 0.5 * sum(near[1:]) / max(len(near) - 1, 1)

    return max(itertools.product(*axes), key=lambda w: (round(smoothed(w), 6), round(own[w], 6)))


def fit_channel_weights(sets: dict[str, Path], embedding_model: str | None = None,
                        grid: dict[str, tuple[float, ...]] | None = None,
                        say: Any = lambda _m: None) -> dict[str, Any]:
    """Refit the hybrid's channel weights by leave-one-set-out cross-validation over labelled query
    sets (never a holdout): each set is scored with the weights chosen on the others, then the
    weights are chosen on all of them. Returns the chosen weights, the shipped ones, and per set
    the held-out figures of both — how much the refit helps on queries it was not fitted to."""
    from jinnang.coaching.config import load_search_config
    from jinnang.coaching.search import search

    grid = grid or WEIGHT_GRID
    names = tuple(grid)
    base = load_search_config()
    model = embedding_model or Settings().embedding_model
    # weights of this model's own, once search.yaml can hold weights per embedding model
    pick = getattr(base, "channels_for", None)
    shipped_channels = pick(model) if pick is not None else base.channels
    shipped = tuple(float(getattr(shipped_channels, c)) for c in names)
    per_model: dict[str, Any] = {"channels_by_model": {}} if "channels_by_model" in type(base).model_fields else {}
    points = sorted(set(itertools.product(*grid.values())) | {shipped})
    by_corpus: dict[str, list[str]] = {}
    corpora: dict[str, list[dict[str, Any]]] = {}
    queries: dict[str, list[dict[str, Any]]] = {}
    for name, path in sets.items():
        corpus = read_jsonl(Path(path) / "corpus.jsonl")
        key = hashlib.sha1(repr(sorted((d["id"], d["text"]) for d in corpus)).encode("utf-8")).hexdigest()
        corpora[key] = corpus
        by_corpus.setdefault(key, []).append(name)
        queries[name] = read_jsonl(Path(path) / "queries.jsonl", required=("id", "query"))
    # per set, per weights: (recall@5, nDCG@10) of each query
    table: dict[str, dict[tuple[float, ...], list[tuple[float, float]]]] = {n: {} for n in sets}
    for key, set_names in by_corpus.items():  # sets sharing a corpus share one index
        with _indexed(corpora[key], embedding_model, None) as settings:
            for w in points:
                channels = base.channels.model_copy(update=dict(zip(names, w)))
                config = base.model_copy(update={"channels": channels, **per_model})
                for name in set_names:
                    rows = []
                    for q in queries[name]:
                        relevant = set(q.get("relevant") or [])
                        ranked = [h["doc_id"] for h in search(settings, q["query"], k=10, config=config)]
                        rows.append((recall_at(ranked, relevant, 5), ndcg_at(ranked, relevant, 10)))
                    table[name][w] = rows
            say(f"scored {len(points)} weightings on {', '.join(set_names)}")

    def pooled(keep: Sequence[str]) -> dict[tuple[float, ...], list[tuple[float, float]]]:
        return {w: [row for n in keep for row in table[n][w]] for w in points}

    def figures(rows: list[tuple[float, float]]) -> dict[str, float]:
        n = max(len(rows), 1)
        return {"recall@5": round(sum(r for r, _ in rows) / n, 4), "ndcg@10": round(sum(g for _, g in rows) / n, 4)}

    folds = {}
    for held in sets:
        chosen = _plateau_best(pooled([n for n in sets if n != held]), grid) if len(sets) > 1 else shipped
        folds[held] = {"weights": dict(zip(names, chosen)), "refit": figures(table[held][chosen]),
                       "shipped": figures(table[held][shipped])}
    best = _plateau_best(pooled(list(sets)), grid)
    everything = pooled(list(sets))
    return {"embedding_model": model, "channels": dict(zip(names, best)),
            "shipped_channels": dict(zip(names, shipped)), "held_out": folds,
            "all_sets": {"refit": figures(everything[best]), "shipped": figures(everything[shipped])},
            "n_weightings": len(points)}
