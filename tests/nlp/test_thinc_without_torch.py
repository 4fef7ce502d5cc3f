"""Extraction never loads torch through spaCy's thinc, even where torch is installed; torch stays
importable for what does use it. Each check runs in a fresh interpreter: this one has imported both."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                reason="torch is not installed here, so there is nothing to hide")


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_importing_extraction_leaves_torch_unloaded():
    assert _run("import sys, jinnang.nlp.extract, spacy; print('torch' in sys.modules)") == "False"


def test_torch_is_still_importable_afterwards_and_thinc_runs_without_it():
    out = _run("import jinnang.nlp.extract, torch, thinc.compat; print(torch.tensor([2]).item(), thinc.compat.has_torch)")
    assert out == "2 False"


def test_a_process_that_loaded_torch_first_is_left_alone():
    assert _run("import torch, jinnang.nlp, thinc.compat; print(thinc.compat.has_torch)") == "True"
