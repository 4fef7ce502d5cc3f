"""Hypothesis fuzz of the CLI's JSONL readers (cli/jsonl.py) with the next-action command's own
line handler: any bytes in a file are answered line by line — one JSON line out per non-blank line
in, each a result or an error object in the documented shape — and the run ends with exit 0 or 1;
`read_lines` yields text or ends the command with exit 2. Nothing else escapes.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jinnang.cli.jsonl import read_lines, run_jsonl
from jinnang.core.errors import InputError
from jinnang.rules.config import default_ruleset
from jinnang.rules.next_action import suggest_payload

EXAMPLES = int(os.environ.get("JINNANG_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
RULES = default_ruleset()


def handle(obj: dict[str, Any]) -> dict[str, Any]:
    """What `jinnang next-action --jsonl` does with each line."""
    if "account" not in obj:
        raise InputError("account", "each line needs an `account` snapshot")
    return suggest_payload(obj["account"], obj.get("now"), RULES).model_dump(mode="json")


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)
snapshot_like = st.fixed_dictionaries(
    {"id": json_values, "account": st.fixed_dictionaries(
        {"account_id": st.text(max_size=8), "rep_id": st.text(max_size=8),
         "journey_node": st.sampled_from(["lead", "champion_identified", "trial_in_progress", "x"]),
         "last_updated_at": st.sampled_from(["2026-03-10T10:00:00", "0", "2026-13-40", "9999-12-31T00:00:00"])},
        optional={"visits": json_values, "decision_makers": json_values, "documents": json_values})},
    optional={"now": st.sampled_from(["2026-03-20T09:00:00+08:00", "", "0", "yesterday"])})
lines = st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode()),
                  snapshot_like.map(lambda v: json.dumps(v, ensure_ascii=False).encode()),
                  st.sampled_from([b"", b"   ", b"\xef\xbb\xbf{}", b"{\"id\": 1", b"[" * 500, b"NaN", b"\r"]))
files = st.lists(lines, max_size=6).map(b"\n".join)


def _written(data: bytes) -> Path:
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as f:
        f.write(data)
    return Path(f.name)


def _non_blank(data: bytes) -> int:
    parts = data.split(b"\n")
    parts[0] = parts[0].removeprefix(b"\xef\xbb\xbf")
    return sum(1 for p in parts if p.strip())


def _answers(data: bytes) -> tuple[list[dict[str, Any]], int | None]:
    path, out = _written(data), io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            try:
                run_jsonl(str(path), handle)
            except typer.Exit as exc:
                code = exc.exit_code
            else:
                raise AssertionError("run_jsonl always ends with an exit code")
    finally:
        path.unlink()
    # split on "\n" only: an answer may carry U+2028 and kin raw (ensure_ascii=False), as JSON allows
    return [json.loads(line) for line in out.getvalue().split("\n") if line], code


@FUZZ
@given(files)
def test_every_line_of_any_file_is_answered_and_the_run_ends_0_or_1(data):
    answers, code = _answers(data)
    assert len(answers) == _non_blank(data)
    errors = [a["error"] for a in answers if "error" in a]
    assert code == (1 if errors else 0)
    assert all(set(e) == {"status", "field", "path", "message"} and e["status"] == 422 for e in errors)


def test_a_line_nested_too_deeply_is_answered_with_an_error():
    answers, code = _answers(b'{"id": 1}\n' + b"[" * 5000 + b"\n")
    assert code == 1 and answers[1]["error"]["field"] == "line"


@FUZZ
@given(files)
def test_reading_lines_of_any_file_gives_text_or_exit_2(data):
    path = _written(data)
    try:
        assert all(isinstance(text, str) for _, text in read_lines(str(path)))
    except typer.Exit as exc:
        assert exc.exit_code == 2
    finally:
        path.unlink()
