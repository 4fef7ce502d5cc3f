"""`run_bench` runs the real pipeline end to end on a tiny generated index and reports its figures."""
from __future__ import annotations

from jinnang.eval.bench_search import generate_sentences, run_bench


def test_generated_sentences_are_distinct_and_reproducible():
    first = generate_sentences(50)
    assert len(set(first)) == 50 and first == generate_sentences(50)


def test_tiny_bench_reports_build_time_and_latency_percentiles(tmp_path):
    result = run_bench(chunks=60, distinct=12, n_queries=6, store=tmp_path)
    assert result["chunks"] == 60 and result["distinct_sentences_embedded"] == 12
    assert 0 < result["query_p50_ms"] <= result["query_p99_ms"] <= result["query_max_ms"]
    assert result["index_build_s"] > 0
