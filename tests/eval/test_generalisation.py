"""Extraction on notes written in other hands (eval/data/generalisation/holdout*.jsonl, the rules never
tuned on them): each field stays above a floor a little under the figure measured when the set was
made, so that a rule change that only fits the dev set's wording shows up as a failure here. These
sets are retired: the clause model now learns from them too (nlp/learning.py RETIRED_SETS)."""
from __future__ import annotations

from pathlib import Path

import pytest

from jinnang.eval.extraction import load_cases, score
from jinnang.nlp.extract import extract

SETS = Path(__file__).resolve().parents[2] / "eval" / "data" / "generalisation"
FIELDS = (
    ("decision_makers", "by_name", "f1"), ("decision_makers", "by_name_title", "f1"), ("objections", "micro", "f1"),
    ("key_dates", "typed", "f1"), ("key_dates", "date_only", "f1"), ("journey_node", "accuracy"),
    ("visit", "sample_brought"), ("visit", "questions_resolved"), ("visit", "cross_dept_needs"),
)

# Floors, in FIELDS order, a little under what each set scored; eval/data/generalisation/README.md has the history.
# Objections with the clause classifier (issue 15, measured once): 0.868 / 0.734 / 0.745 / 0.756; the floors of
# holdout2–4 sit above what rules and character scorer alone scored (0.710 / 0.706 / 0.721), so losing the
# classifier fails here. With the retired sets in the clause model's training data and the rules' findings among
# its features (threshold 0.96 chosen leave-one-set-out): 0.825 / 0.750 / 0.775 / 0.808 — holdout's floor
# moved from 0.84 to 0.81 with it.
HOLDOUTS = {
    # gen-031 … gen-060. Blind when made: name 0.964, objections 0.677, dates typed 0.846, journey 0.833,
    # questions 0.905, cross-dept 0.810. Round 2 (its brief named some holdout phrasings, so not fully blind):
    # name 1.0, objections 0.806, dates typed 0.90, date only 1.0, journey 0.933, questions 0.905, cross-dept 0.857.
    "holdout.jsonl": ("gen-0", (0.96, 0.96, 0.81, 0.86, 0.96, 0.90, 0.95, 0.85, 0.81)),
    # gen5-001 … gen5-030, round 4. Blind at 0d8ba34: name 0.931, objections 0.652, dates typed 0.817, date only
    # 0.967, journey 0.933, sample 0.88, questions 0.68, cross-dept 0.88; after round 4 (measured once) name 0.957,
    # objections 0.674, dates typed 0.839, questions 0.72, the rest unchanged.
    "holdout2.jsonl": ("gen5-", (0.93, 0.93, 0.72, 0.81, 0.94, 0.90, 0.84, 0.68, 0.84)),
    # gen6-001 … gen6-030, blind to the rules and to the objection scorer, measured once with the scorer:
    # name 0.913, +title 0.899, objections 0.702, dates typed 0.876, date only 0.989, journey 0.967, sample 1.0,
    # questions 0.52, cross-dept 1.0.
    "holdout3.jsonl": ("gen6-", (0.88, 0.87, 0.72, 0.85, 0.96, 0.93, 0.96, 0.48, 0.96)),
    # gen8-001 … gen8-025, blind to the rules and to both scorers, measured once with the scorer trained
    # with tune5: name 0.892, objections 0.721 (0.583 rules only), dates typed 0.892, date only 0.985,
    # journey 0.92, sample 1.0, questions 0.65, cross-dept 0.90.
    "holdout4.jsonl": ("gen8-", (0.86, 0.86, 0.73, 0.86, 0.95, 0.88, 0.96, 0.60, 0.86)),
}


@pytest.fixture(scope="module")
def results():
    out = {}
    for name, (prefix, _) in HOLDOUTS.items():
        cases = load_cases(SETS / name)
        assert len(cases) >= 25 and all(c.id.startswith(prefix) for c in cases)
        out[name] = score(cases, extract)
    return out


@pytest.mark.parametrize("name, path, floor", [
    (name, path, floor) for name, (_, floors) in HOLDOUTS.items() for path, floor in zip(FIELDS, floors)
], ids=lambda v: v if isinstance(v, str) else "/".join(v) if isinstance(v, tuple) else None)
def test_holdout_field_stays_above_its_floor(results, name, path, floor):
    value = results[name]
    for key in path:
        value = value[key]
    assert value >= floor, f"{'/'.join(path)} = {value} fell below {floor} on {name}"
