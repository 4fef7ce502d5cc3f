"""Extraction on notes written in other hands (eval/data/generalisation/holdout.jsonl, never tuned
on): each field stays above a floor a little under the figure measured when the set was made,
so that a rule change that only fits the dev set's wording shows up as a failure here."""
from __future__ import annotations

from pathlib import Path

import pytest

from eval.extraction import load_cases, score
from nlp.extract import extract

HOLDOUT = Path(__file__).resolve().parents[2] / "eval" / "data" / "generalisation" / "holdout.jsonl"

# measured when the set was made (tune-half rules only): name 0.964, +title 0.964, objections F1 0.677, dates typed 0.846,
# date only 0.962, journey 0.833, sample 1.0, questions 0.905, cross-dept 0.810.
# Second round (tune + tune2 rules; the brief named some holdout phrasings, so not fully blind): name 1.0,
# +title 1.0, objections F1 0.806, dates typed 0.90, date only 1.0, journey 0.933, sample 1.0, questions 0.905,
# cross-dept 0.857. Floors sit a little under these.
FLOORS = {
    ("decision_makers", "by_name", "f1"): 0.96,
    ("decision_makers", "by_name_title", "f1"): 0.96,
    ("objections", "micro", "f1"): 0.76,
    ("key_dates", "typed", "f1"): 0.86,
    ("key_dates", "date_only", "f1"): 0.96,
    ("journey_node", "accuracy"): 0.90,
    ("visit", "sample_brought"): 0.95,
    ("visit", "questions_resolved"): 0.85,
    ("visit", "cross_dept_needs"): 0.81,
}


@pytest.fixture(scope="module")
def holdout_result():
    cases = load_cases(HOLDOUT)
    assert len(cases) == 30 and all(c.id >= "gen-031" for c in cases)
    return score(cases, extract)


@pytest.mark.parametrize("path, floor", list(FLOORS.items()), ids=["/".join(p) for p in FLOORS])
def test_holdout_field_stays_above_its_floor(holdout_result, path, floor):
    value = holdout_result
    for key in path:
        value = value[key]
    assert value >= floor, f"{'/'.join(path)} = {value} fell below {floor} on the generalisation holdout"


HOLDOUT2 = HOLDOUT.with_name("holdout2.jsonl")

# holdout2 (gen5-001 … gen5-030, round 4, never opened by whoever changed the rules): blind figures at
# 0d8ba34 before round 4 — name 0.931, objections 0.652, dates typed 0.817, date only 0.967, journey 0.933,
# sample 0.88, questions 0.68, cross-dept 0.88; after round 4 (measured once) — name 0.957, objections
# 0.674, dates typed 0.839, date only 0.967, journey 0.933, sample 0.88, questions 0.72, cross-dept 0.88.
FLOORS2 = {
    ("decision_makers", "by_name", "f1"): 0.93,
    ("decision_makers", "by_name_title", "f1"): 0.93,
    ("objections", "micro", "f1"): 0.64,
    ("key_dates", "typed", "f1"): 0.81,
    ("key_dates", "date_only", "f1"): 0.94,
    ("journey_node", "accuracy"): 0.90,
    ("visit", "sample_brought"): 0.84,
    ("visit", "questions_resolved"): 0.68,
    ("visit", "cross_dept_needs"): 0.84,
}


@pytest.fixture(scope="module")
def holdout2_result():
    cases = load_cases(HOLDOUT2)
    assert len(cases) == 30 and all(c.id.startswith("gen5-") for c in cases)
    return score(cases, extract)


@pytest.mark.parametrize("path, floor", list(FLOORS2.items()), ids=["/".join(p) for p in FLOORS2])
def test_second_holdout_field_stays_above_its_floor(holdout2_result, path, floor):
    value = holdout2_result
    for key in path:
        value = value[key]
    assert value >= floor, f"{'/'.join(path)} = {value} fell below {floor} on the second generalisation holdout"


HOLDOUT3 = HOLDOUT.with_name("holdout3.jsonl")

# holdout3 (gen6-001 … gen6-030, written blind to the rules and to the objection scorer, measured
# once with the scorer): name 0.913, +title 0.899, objections 0.702, dates typed 0.876, date only 0.989,
# journey 0.967, sample 1.0, questions 0.52, cross-dept 1.0.
FLOORS3 = {
    ("decision_makers", "by_name", "f1"): 0.88,
    ("decision_makers", "by_name_title", "f1"): 0.87,
    ("objections", "micro", "f1"): 0.67,
    ("key_dates", "typed", "f1"): 0.85,
    ("key_dates", "date_only", "f1"): 0.96,
    ("journey_node", "accuracy"): 0.93,
    ("visit", "sample_brought"): 0.96,
    ("visit", "questions_resolved"): 0.48,
    ("visit", "cross_dept_needs"): 0.96,
}


@pytest.fixture(scope="module")
def holdout3_result():
    cases = load_cases(HOLDOUT3)
    assert len(cases) == 30 and all(c.id.startswith("gen6-") for c in cases)
    return score(cases, extract)


@pytest.mark.parametrize("path, floor", list(FLOORS3.items()), ids=["/".join(p) for p in FLOORS3])
def test_third_holdout_field_stays_above_its_floor(holdout3_result, path, floor):
    value = holdout3_result
    for key in path:
        value = value[key]
    assert value >= floor, f"{'/'.join(path)} = {value} fell below {floor} on the third generalisation holdout"
