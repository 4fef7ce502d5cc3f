"""Hypothesis fuzz of the one YAML config loader (`core.config.load_yaml_model`): any text, and
any damage to the shipped rule files, is either a valid model or a ConfigError naming the file
and field — never another exception, which would stop the service at start or on a live edit.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from jinnang.core.config import ConfigError, load_yaml_model
from jinnang.rules.config import _PARTS, CONFIG_DIR

EXAMPLES = int(os.environ.get("JINNANG_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
FILES = [(CONFIG_DIR / name, model) for name, model in _PARTS.values()]

FRAGMENTS = ["a: 1", "- x", "{", "}", "[", "]", ": ", "&x ", "*x", "!!str ", "!!int ", "? ", "|", ">", "'", '"', "#",
             "---", "...", "%YAML 1.1", "\t", "  ", "\n", "nodes:", "- id: lead", "stall:", "limit: -1", "null", "~",
             "1e999", "0x10", "2026-02-30", "是", "\u00a0", "\ufeff"]
texts = st.one_of(st.text(max_size=400), st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))


@st.composite
def damaged_rule_files(draw: st.DrawFn) -> tuple[str, type[BaseModel]]:
    """A shipped rule file with lines dropped, repeated or overwritten."""
    path, model = draw(st.sampled_from(FILES))
    lines = path.read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(lines) - 1))
        change = draw(st.sampled_from(["drop", "repeat", "replace", "indent"]))
        if change == "drop":
            del lines[at]
        elif change == "repeat":
            lines.insert(at, lines[at])
        elif change == "replace":
            lines[at] = lines[at][:draw(st.integers(0, len(lines[at])))] + draw(st.sampled_from(FRAGMENTS))
        else:
            lines[at] = " " + lines[at]
    return "\n".join(lines), model


def _load(data: bytes, model: type[BaseModel]) -> None:
    with tempfile.NamedTemporaryFile("wb", suffix=".yaml", delete=False) as f:
        f.write(data)
    try:
        load_yaml_model(f.name, model)
    except ConfigError as exc:
        assert exc.file == f.name and exc.field and exc.message
    finally:
        Path(f.name).unlink()


@FUZZ
@given(texts, st.sampled_from([model for _, model in FILES]))
def test_any_text_is_a_model_or_a_config_error(text, model):
    _load(text.encode("utf-8"), model)


@FUZZ
@given(damaged_rule_files())
def test_a_damaged_rule_file_is_a_model_or_a_config_error(damaged):
    text, model = damaged
    _load(text.encode("utf-8"), model)


def test_the_shipped_rule_files_load():
    for path, model in FILES:
        assert isinstance(load_yaml_model(path, model), model)


@pytest.mark.parametrize("text", [b"limit: !!int ", b"since: 2026-02-30"])
def test_a_value_yaml_cannot_construct_is_a_config_error(text):
    _load(text, FILES[0][1])


def test_a_file_that_is_not_utf8_is_a_config_error():
    _load(b"journey: \xff\xfe", FILES[0][1])


def test_an_alias_that_contains_itself_is_a_config_error():
    _load(b"nodes: &a [*a]", FILES[0][1])
