"""`jinnang extract`, `jinnang eval extraction` and `jinnang bench extract` as a user runs them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from jinnang.cli import nlp_cmds  # noqa: F401  (registers the commands)
from jinnang.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
JINNANG = [sys.executable, "-c", "from jinnang.cli import main; main()"]


class Done:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run(*args: str) -> Done:
    """In-process, as Typer runs it (fast); one test below goes through the real entry point."""
    result = CliRunner().invoke(app, list(args))
    return Done(result.exit_code, result.stdout, result.stderr)


def test_the_installed_entry_point_runs_extract(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("明天下午再过来一趟", encoding="utf-8")
    done = subprocess.run([*JINNANG, "extract", str(note), "--reference-date", "2026-03-16"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["record"]["key_dates"][0]["date"] == "2026-03-17"


def test_extract_reads_a_gbk_note_and_a_word_file_as_their_utf8_text(tmp_path):
    import docx

    text = "下午拜访设备科王主任，他说价格太高，下周三再来。"
    (tmp_path / "utf8.txt").write_text(text, encoding="utf-8")
    (tmp_path / "gbk.txt").write_bytes(text.encode("gbk"))
    word = docx.Document()
    word.add_paragraph(text)
    word.save(tmp_path / "note.docx")
    records = []
    for name in ("utf8.txt", "gbk.txt", "note.docx"):
        done = run("extract", str(tmp_path / name), "--reference-date", "2026-03-16")
        assert done.returncode == 0, done.stderr
        record = json.loads(done.stdout)["record"]
        records.append((record["decision_makers"], [o["category"] for o in record["objections"]],
                        [(d["type"], d["date"]) for d in record["key_dates"]]))
    assert records[0][0] and records[0][1] == ["price"]
    assert records[1] == records[0] and records[2][1:] == records[0][1:]
    assert [d["name"] for d in records[2][0]] == [d["name"] for d in records[0][0]]


def test_extract_jsonl_answers_every_line_in_order_with_errors_for_bad_ones(tmp_path):
    lines = [
        {"id": "a", "text": "约了下周四早交班后再过去", "reference_date": "2026-01-05", "kind": "visit_note"},
        {"id": "b", "text": "试用期3月9日至4月30日", "reference_date": "2026-03-02", "kind": "trial_feedback"},
        {"id": "c", "text": "没有日期", "reference_date": "not-a-date", "kind": "visit_note"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nnot json\n", encoding="utf-8")
    done = run("extract", "--jsonl", str(source))
    out = [json.loads(x) for x in done.stdout.splitlines()]
    assert done.returncode == 1
    assert [o["id"] for o in out] == ["a", "b", "c", None]
    assert out[0]["record"]["key_dates"][0]["type"] == "next_meeting"
    assert out[0]["record"]["key_dates"][0]["date"] == "2026-01-15"
    assert set(out[0]["record"]) >= {"decision_makers", "objections", "key_dates", "visit", "journey_node"}
    assert out[1]["record"]["visit"] is None
    assert out[2]["error"]["field"] == "reference_date" and out[2]["error"]["status"] == 422
    assert "error" in out[3]


def test_extract_text_file_with_reference_date(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("下周二下午在设备科会议室做系统演示", encoding="utf-8")
    done = run("extract", str(note), "--reference-date", "2026-01-12")
    assert done.returncode == 0, done.stderr
    (answer,) = [json.loads(x) for x in done.stdout.splitlines()]
    (key_date,) = answer["record"]["key_dates"]
    assert {k: key_date[k] for k in ("type", "date", "evidence", "start", "end")} == \
        {"type": "demo", "date": "2026-01-20", "evidence": "下周二", "start": 0, "end": 3}


def test_extract_missing_file_is_an_error_object(tmp_path):
    done = run("extract", str(tmp_path / "nope.txt"), "--reference-date", "2026-01-12")
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["field"] == "file"


def test_extract_bad_options_exit_2():
    assert run("extract", "x.txt", "--kind", "talk").returncode == 2
    assert run("extract", "x.txt", "--reference-date", "12/01/2026").returncode == 2
    assert run("extract").returncode == 2


def test_eval_extraction_prints_every_field_metric(shared_dev):
    done = run("eval", "extraction", str(shared_dev / "extraction.jsonl"), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["n_cases"] == 60
    for key in ("decision_makers", "objections", "key_dates", "journey_node", "visit", "cases"):
        assert key in result
    assert result["key_dates"]["typed"]["f1"] >= 0.85


def test_eval_extraction_on_missing_path_exits_2(tmp_path):
    done = run("eval", "extraction", str(tmp_path / "none.jsonl"), "--json")
    assert done.returncode == 2 and "error" in done.stderr


def test_bench_extract_prints_notes_per_second(tmp_path):
    source = tmp_path / "notes.jsonl"
    source.write_text(json.dumps({"id": "a", "text": "约了下周四再过去", "reference_date": "2026-01-05"},
                                 ensure_ascii=False) + "\n", encoding="utf-8")
    done = run("bench", "extract", str(source), "--rounds", "2")
    assert done.returncode == 0, done.stderr
    assert "notes/s" in done.stdout
