"""`jinnang index` and `jinnang search` per the CLI contract (stdout JSON lines, error objects, exit codes)."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jinnang.cli import coaching_cmds  # noqa: F401  registers the commands
from jinnang.cli.app import app


def test_index_twice_then_search_with_a_bad_line(tmp_path: Path, small_docs):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in small_docs[:4]), "utf-8")
    store = tmp_path / "store"
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(corpus), "--store", str(store)]).exit_code == 0
    again = runner.invoke(app, ["index", str(corpus), "--store", str(store)])
    assert again.exit_code == 0 and "'added': 0" in again.stderr
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "a", "query": "器械科要注册证"}\n{"id": "b"}\n', "utf-8")
    out = runner.invoke(app, ["search", "--store", str(store), "--jsonl", str(queries), "--k", "2"])
    assert out.exit_code == 1
    first, second = [json.loads(line) for line in out.stdout.strip().splitlines()]
    assert first["id"] == "a" and first["results"][0]["doc_id"] == "t-reg-won"
    assert set(first["results"][0]) == {"doc_id", "score", "snippet"} and len(first["results"]) == 2
    assert second == {"id": "b", "error": {"status": 422, "field": "query", "path": "query",
                                           "message": "`query` must be a string"}}


def test_index_of_a_line_without_id_exits_2_naming_the_field(tmp_path: Path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"kind": "visit_note", "text": "有内容的笔记"}\n', "utf-8")
    out = CliRunner().invoke(app, ["index", str(corpus), "--store", str(tmp_path / "s")])
    assert out.exit_code == 2 and "id" in out.stderr


def test_search_of_a_missing_store_exits_2(tmp_path: Path):
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "a", "query": "价格"}\n', "utf-8")
    assert CliRunner().invoke(app, ["search", "--store", str(tmp_path / "none"), "--jsonl", str(queries)]).exit_code == 2
