"""The retrieval metrics and `jinnang eval retrieval` on a tiny set in the gold format."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jinnang.eval.retrieval import evaluate, mrr, ndcg_at, recall_at


def test_metrics_on_a_known_ranking():
    ranked = ["a", "x", "b", "y", "z", "c"]
    relevant = {"a", "b", "c"}
    assert recall_at(ranked, relevant, 5) == pytest.approx(2 / 3)
    assert mrr(["x", "a"], relevant) == 0.5
    assert ndcg_at(["a", "b", "c"], relevant, 10) == pytest.approx(1.0)
    assert ndcg_at(["x", "y"], relevant, 10) == 0.0


@pytest.fixture
def tiny_set(tmp_path: Path) -> Path:
    docs = [
        {"id": "d1", "kind": "talk_track", "text": "客户嫌报价高：不比单价，算整台手术总费用，再讲供货保障和跟台响应。",
         "meta": {"outcome": None, "objection_category": "price"}},
        {"id": "d2", "kind": "visit_note", "text": "冷链运输到货超温，当天补发并给科室看了全程温度记录，科室继续试用。",
         "meta": {"outcome": "won"}},
        {"id": "d3", "kind": "visit_note", "text": "信息科接口排期已满，等通知。", "meta": {"outcome": "open"}},
    ]
    queries = [{"id": "q1", "query": "价格太贵怎么说", "relevant": ["d1"]},
               {"id": "q2", "query": "试剂运输温度出问题", "relevant": ["d2"]}]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), "utf-8")
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in queries), "utf-8")
    return tmp_path


@pytest.fixture
def other(tiny_set: Path) -> Path:
    """A second labelled set over the same corpus, with one query of its own."""
    other = tiny_set / "other"
    other.mkdir()
    (other / "corpus.jsonl").write_text((tiny_set / "corpus.jsonl").read_text("utf-8"), "utf-8")
    (other / "queries.jsonl").write_text(json.dumps(
        {"id": "q3", "query": "信息科接口排期", "relevant": ["d3"]}, ensure_ascii=False), "utf-8")
    return other


def test_evaluate_reports_three_settings_side_by_side(tiny_set):
    result = evaluate(tiny_set)
    for name in ("lexical", "dense", "hybrid"):
        assert set(result[name]) == {"recall@5", "ndcg@10", "mrr"}
    assert result["hybrid"]["recall@5"] == 1.0


def test_cli_prints_one_json_object(tiny_set):
    from jinnang.cli import coaching_cmds  # noqa: F401  registers the commands
    from jinnang.cli.app import app

    out = CliRunner().invoke(app, ["eval", "retrieval", str(tiny_set), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout.strip().splitlines()[-1])["n_queries"] == 2


def test_cli_missing_folder_exits_2(tmp_path):
    from jinnang.cli import coaching_cmds  # noqa: F401
    from jinnang.cli.app import app

    assert CliRunner().invoke(app, ["eval", "retrieval", str(tmp_path / "none"), "--json"]).exit_code == 2


@pytest.fixture
def e5_registered(monkeypatch):
    """`embedding_model: e5-small` as ingest/embed.py registers it (registered here until it does)."""
    import jinnang.coaching.vectors as playbook_vectors
    import jinnang.ingest.embed as embed
    from jinnang.ingest.embed_e5 import E5_SMALL, E5Embedder

    try:
        if isinstance(embed.get_embedder(E5_SMALL), E5Embedder):
            return
    except embed.EmbeddingConfigError:  # not registered yet: "e5-small" is not a model directory
        pass
    e5 = E5Embedder(memo_factory=embed.VectorMemo)
    of, query_of = embed._embedder_of, playbook_vectors.query_embedder
    monkeypatch.setattr(embed, "_embedder_of", lambda model: e5 if model == E5_SMALL else of(model))
    monkeypatch.setattr(playbook_vectors, "query_embedder",
                        lambda model: e5.queries if model == E5_SMALL else query_of(model))


def test_evaluate_with_e5_ranks_by_its_own_vectors(tiny_set, e5_registered):
    from jinnang.ingest.embed_e5 import E5_SMALL

    result = evaluate(tiny_set, embedding_model=E5_SMALL)
    assert result["embedding_model"] == E5_SMALL
    assert result["dense"]["recall@5"] == 1.0 and result["hybrid"]["recall@5"] == 1.0


def test_channel_weights_are_refit_leaving_one_set_out(tiny_set, other):
    from jinnang.eval.retrieval import fit_channel_weights

    grid = {"words": (0.5,), "chars": (0.5,), "concepts": (0.0, 1.5), "dense": (0.0, 1.5)}
    result = fit_channel_weights({"a": tiny_set, "b": other}, grid=grid)
    assert set(result["held_out"]) == {"a", "b"}
    assert result["n_weightings"] == 4
    assert set(result["channels"]) == {"words", "chars", "concepts", "dense"}
    for fold in result["held_out"].values():
        assert set(fold["refit"]) == {"recall@5", "ndcg@10"} and fold["weights"]["words"] == 0.5
        assert fold["weights"]["concepts"] in (0.0, 1.5) and fold["weights"]["dense"] in (0.0, 1.5)
    # the shipped weights' figures are the shipped hybrid's, as `evaluate` reports it
    hybrid = evaluate(tiny_set)["hybrid"]
    assert result["held_out"]["a"]["shipped"] == {"recall@5": hybrid["recall@5"], "ndcg@10": hybrid["ndcg@10"]}


def test_the_refit_prefers_a_plateau_to_a_lone_peak():
    from jinnang.eval.retrieval import _plateau_best

    grid = {"words": (0.0, 0.5, 1.0, 1.5, 2.0)}
    scores = {0.0: 0.2, 0.5: 0.95, 1.0: 0.2, 1.5: 0.9, 2.0: 0.9}  # 0.5 is one query wide
    table = {(w,): [(s, s)] for w, s in scores.items()}
    assert _plateau_best(table, grid) in {(1.5,), (2.0,)}


def test_fit_weights_prints_each_sets_held_out_figures_and_refuses_a_folder_without_a_set(tiny_set, other, tmp_path):
    from jinnang.cli import coaching_cmds  # noqa: F401  (registers the command)
    from jinnang.cli.app import app

    done = CliRunner().invoke(app, ["eval", "fit-weights", str(tiny_set), str(other)])
    assert done.exit_code == 0, done.output
    assert "refit {'words'" in done.output
    held = [line for line in done.output.splitlines() if "held out" in line]
    assert len(held) == 2 and all("shipped" in line for line in held)
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = CliRunner().invoke(app, ["eval", "fit-weights", str(empty)])
    assert refused.exit_code == 2 and "corpus.jsonl and queries.jsonl" in refused.output
