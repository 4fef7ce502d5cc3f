"""`jinnang eval next-action` and `jinnang next-action --jsonl` against the CLI contract."""
from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from jinnang.cli import rules_cmds  # noqa: F401  (registers the commands)
from jinnang.cli.app import app

runner = CliRunner()


def test_dev_set_passes_in_full(shared_dev):
    result = runner.invoke(app, ["eval", "next-action", str(shared_dev / "next_action.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["scenarios"] == 30 and metrics["malformed_refused_correctly"] == 3
    assert metrics["pass_rate"] == 1.0, metrics["failures"]


def test_eval_counts_a_wrong_error_field_as_a_failure(tmp_path, shared_dev):
    case = json.loads((shared_dev / "next_action.jsonl").read_text(encoding="utf-8").splitlines()[3])
    case["error_field"] = "sample_brought"
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(case, ensure_ascii=False) + "\n", encoding="utf-8")
    metrics = json.loads(runner.invoke(app, ["eval", "next-action", str(path), "--json"]).stdout)
    assert metrics["pass_rate"] == 0.0 and "field" in metrics["failures"][0]["problems"][0]


def test_jsonl_answers_in_order_with_error_objects_and_exit_1(tmp_path, shared_dev):
    lines = (shared_dev / "next_action.jsonl").read_text(encoding="utf-8").splitlines()[:4]   # na-04 is malformed
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["next-action", "--jsonl", str(path)])
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["na-01", "na-02", "na-03", "na-04"]
    assert out[0]["suggestions"][0]["action"] == "upload_missing_evidence"
    assert out[3]["error"]["status"] == 422 and out[3]["error"]["field"] == "questions_resolved"


def test_jsonl_all_good_exits_0_and_missing_file_exits_2(tmp_path, shared_dev):
    path = tmp_path / "in.jsonl"
    path.write_text((shared_dev / "next_action.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert runner.invoke(app, ["next-action", "--jsonl", str(path)]).exit_code == 0
    assert runner.invoke(app, ["next-action", "--jsonl", str(tmp_path / "nope.jsonl")]).exit_code == 2


def test_rules_check_reports_file_and_line(tmp_path):
    from jinnang.rules.config import CONFIG_DIR
    bad = tmp_path / "journey.yaml"
    bad.write_text((CONFIG_DIR / "journey.yaml").read_text(encoding="utf-8").replace("limit: 10d", "limit: ten days"),
                   encoding="utf-8")
    result = runner.invoke(app, ["rules-check", str(bad)])
    assert result.exit_code == 2 and re.search(r"journey\.yaml, line \d+, field", result.output) and "nodes[10].stall.limit" in result.output
