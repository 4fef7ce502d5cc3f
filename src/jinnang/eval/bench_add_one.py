"""`jinnang bench add-one`: what adding one document costs at 1k / 10k / 100k chunks, and search then.

For each size, a store of that many chunks of `bench search`'s generated corpus (sales-note
sentences embedded for real, each chunk's vector the mean of its sentences' vectors plus noise)
is built once, untimed. Then `adds` new documents are added one `index_documents` call each — as
the API's per-upload hook does, their text embedded for real — and each add is timed from the
call to its return (the document searchable in this process). Then `n_queries` real searches
(`bench search`'s queries) are timed over the index as the adds left it (one segment each).
The machine's load average is printed beside the figures: they mean little without it.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jinnang.eval.bench_search import generate_sentences, generated_corpus, query_latencies, sentence_vectors

SIZES = (1_000, 10_000, 100_000)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_add_one(sizes: Sequence[int] = SIZES, adds: int = 7, distinct: int = 2000, n_queries: int = 200,
                store: Path | None = None, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Seconds per add (median, min, max of `adds`) and search p50/p99 at each size."""
    from jinnang.coaching.store import PlaybookStore, index_documents, read_manifest, store_dir
    from jinnang.core.settings import Settings
    from jinnang.ingest.embed import get_embedder

    say = log or (lambda _m: None)
    pool = generate_sentences(distinct)
    embedder = get_embedder(Settings().embedding_model)
    say(f"embedding {len(pool)} distinct sentences")
    vectors = sentence_vectors(pool, embedder)
    rows = []
    for size in sizes:
        if store is not None:
            Path(store).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="jinnang-add-one-", dir=store) as tmp:
            settings = Settings(data_dir=Path(tmp))
            docs, embeddings = generated_corpus(size, pool, vectors)
            say(f"building a store of {size} chunks")
            t0 = time.perf_counter()
            PlaybookStore(settings).add(docs, embeddings=embeddings)
            build_s = time.perf_counter() - t0
            new_docs, _ = generated_corpus(adds, pool, vectors, seed=size + 1, start=size, prefix="new")
            load_before = _load()
            seconds = []
            for doc in new_docs:
                t0 = time.perf_counter()
                index_documents(settings, [doc])
                seconds.append(time.perf_counter() - t0)
            lat = query_latencies(settings, n_queries)
            rows.append({
                "chunks": size, "build_s": round(build_s, 1), "adds": adds,
                "add_one_median_s": round(float(np.median(seconds)), 3), "add_one_min_s": round(min(seconds), 3),
                "add_one_max_s": round(max(seconds), 3),
                "segments_after": len((read_manifest(store_dir(settings)) or {}).get("segments", [])),
                "queries": n_queries, "search_p50_ms": round(float(np.percentile(lat, 50)), 1),
                "search_p99_ms": round(float(np.percentile(lat, 99)), 1),
                "load_average_before_after": [load_before, _load()]})
            say(f"{size} chunks: {rows[-1]}")
    return {"embedding_model": Settings().embedding_model, "cpus": os.cpu_count(), "sizes": rows,
            "note": "each add embeds its text for real; the stores' chunk vectors are derived (see bench search)"}
