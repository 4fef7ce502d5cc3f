"""Every `--jsonl` batch command keeps the CLI contract on bad input: an error object per bad line,
naming the field, the run goes on, exit 1; a command that cannot run exits 2 with one error line."""
import json
import subprocess
import sys

import pytest

BATCH = {
    "extract": ["extract", "--jsonl"],
    "ner": ["ner", "--jsonl"],
    "ocr": ["ocr", "--jsonl"],
    "next-action": ["next-action", "--jsonl"],
}
BAD_LINES = ['{"id": "a"}', "not json", "[1, 2]", '{"id": "b", "text": 5, "reference_date": "2026-02-30", '
             '"image": "/nonexistent.png", "now": "yesterday", "account": {"account_id": 3}}']


def _run(args, stdin, tmp_path, **env_extra):
    env = {"JINNANG_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "OMP_THREAD_LIMIT": "1",
           **env_extra}
    return subprocess.run([sys.executable, "-c", "from jinnang.cli import main; main()", *args],
                          input=stdin, capture_output=True, text=isinstance(stdin, str), env=env, timeout=300)


@pytest.mark.parametrize("command", sorted(BATCH))
def test_bad_lines_get_error_objects_and_the_run_goes_on(command, tmp_path):
    result = _run([*BATCH[command], "-"], "\n".join(BAD_LINES) + "\n", tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(BAD_LINES)
    assert [a.get("id") for a in answers] == ["a", None, None, "b"]
    for answer in answers:
        assert answer["error"]["status"] in (400, 413, 415, 422) and answer["error"]["field"]


@pytest.mark.parametrize("command", sorted(BATCH))
def test_a_missing_input_file_is_one_error_line_and_exit_2(command, tmp_path):
    result = _run([*BATCH[command], str(tmp_path / "missing.jsonl")], "", tmp_path)
    assert result.returncode == 2
    assert result.stdout == "" and "Traceback" not in result.stderr and "error" in result.stderr.lower()


def test_search_against_a_store_that_was_never_built_is_exit_2(tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "q", "query": "价格太贵"}\n', encoding="utf-8")
    result = _run(["search", "--store", str(tmp_path / "nostore"), "--jsonl", str(queries)], "", tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_a_line_that_is_not_utf8_is_an_error_object_and_the_run_goes_on(tmp_path):
    lines = '{"id": "a", "image": "/nonexistent.png"}\n'.encode() + b'{"id": "\xb2\xbb"}\n' + b'{"id": "c"}\n'
    result = _run(["ocr", "--jsonl", "-"], lines, tmp_path)
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    answers = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [a.get("id") for a in answers] == ["a", None, "c"]
    assert answers[1]["error"]["field"] == "line" and "UTF-8" in answers[1]["error"]["message"]


@pytest.mark.parametrize("variable, value", [("JINNANG_API_PORT", "-1"), ("JINNANG_MAX_UPLOAD_BYTES", "lots")])
def test_an_invalid_setting_is_one_error_line_naming_it_and_exit_2(variable, value, tmp_path):
    result = _run(["status"], "", tmp_path, **{variable: value})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert variable in result.stderr and result.stdout == ""


@pytest.mark.parametrize("args", [["eval", "next-action", "{bad}"], ["bench", "next-action", "--data", "{bad}"],
                                  ["eval", "ner", "{bad}"], ["eval", "retrieval", "{folder}"]])
def test_a_labelled_set_with_a_bad_line_is_one_error_line_and_exit_2(args, tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    for name in ("bad.jsonl", "set/corpus.jsonl", "set/queries.jsonl"):
        (tmp_path / name).write_text('{"id": "x"}\nnot json\n', encoding="utf-8")
    args = [a.format(bad=tmp_path / "bad.jsonl", folder=folder) for a in args]
    result = _run(args, "", tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "error" in result.stderr.lower()
