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


def test_tiny_add_one_bench_times_each_add_and_the_searches_after(tmp_path):
    from jinnang.eval.bench_add_one import run_add_one

    result = run_add_one(sizes=(30,), adds=3, distinct=12, n_queries=4, store=tmp_path)
    (row,) = result["sizes"]
    assert row["chunks"] == 30 and row["adds"] == 3 and row["segments_after"] == 4  # the store's, then one an add
    assert 0 < row["add_one_min_s"] <= row["add_one_median_s"] <= row["add_one_max_s"]
    assert 0 < row["search_p50_ms"] <= row["search_p99_ms"]
    assert len(row["load_average_before_after"]) == 2


def test_add_one_refuses_sizes_that_are_not_numbers():
    from typer.testing import CliRunner

    from jinnang.cli import coaching_cmds  # noqa: F401  (registers the commands)
    from jinnang.cli.app import app

    result = CliRunner().invoke(app, ["bench", "add-one", "--sizes", "10k"])
    assert result.exit_code == 2 and "--sizes" in result.output
