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
