"""Score next-action suggestions against a labelled set (shared/data/dev/next_action.jsonl).

A scenario passes when every `expected` action is in the top 3, no `forbidden` action appears
anywhere, and a case with `expected_error` is refused with that status and `error_field`
(and `error_path` when given).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from jinnang.core.errors import InputError
from jinnang.core.jsonl_file import read_jsonl
from jinnang.rules.config import RuleSet, default_ruleset
from jinnang.rules.next_action import suggest_payload


def score_case(case: dict[str, Any], rules: RuleSet) -> dict[str, Any]:
    expected, forbidden = case.get("expected", []), case.get("forbidden", [])
    try:
        response = suggest_payload(case.get("account"), case.get("now"), rules)
    except InputError as err:
        if "expected_error" not in case:
            return {"id": case.get("id"), "passed": False, "error": err.as_dict(), "problems": ["refused a valid case"]}
        problems = []
        if case["expected_error"] != 422:  # a refused snapshot is bad input, 422 in the API and the CLI
            problems.append(f"status 422 != {case['expected_error']}")
        if case.get("error_field") and err.field != case["error_field"]:
            problems.append(f"field {err.field!r} != {case['error_field']!r}")
        if case.get("error_path") and err.path != case["error_path"]:
            problems.append(f"path {err.path!r} != {case['error_path']!r}")
        return {"id": case.get("id"), "passed": not problems, "error": err.as_dict(), "problems": problems}
    actions = [s.action for s in response.suggestions]
    problems = []
    if "expected_error" in case:
        problems.append(f"expected error {case['expected_error']} on {case.get('error_field')}, got suggestions")
    problems += [f"expected {a} in top 3" for a in expected if a not in actions[:3]]
    problems += [f"forbidden {a} returned" for a in forbidden if a in actions]
    return {"id": case.get("id"), "passed": not problems, "actions": actions, "problems": problems}


def evaluate(path: Path | str, rules: RuleSet | None = None) -> dict[str, Any]:
    """{"scenarios", "passed", "pass_rate", "expected_recall_top3", "forbidden_returned", "errors_correct", "failures"}."""
    rules = rules or default_ruleset()
    cases = read_jsonl(path, required=("id",))
    results = [score_case(c, rules) for c in cases]
    expected_total = sum(len(c.get("expected", [])) for c in cases)
    expected_hit = sum(sum(1 for a in c.get("expected", []) if a in r.get("actions", [])[:3])
                       for c, r in zip(cases, results))
    forbidden_hits = sum(sum(1 for a in c.get("forbidden", []) if a in r.get("actions", []))
                         for c, r in zip(cases, results))
    error_cases = [r for c, r in zip(cases, results) if "expected_error" in c]
    return {
        "scenarios": len(cases),
        "passed": sum(r["passed"] for r in results),
        "pass_rate": round(sum(r["passed"] for r in results) / len(cases), 4) if cases else 0.0,
        "expected_recall_top3": round(expected_hit / expected_total, 4) if expected_total else 1.0,
        "forbidden_returned": forbidden_hits,
        "malformed_cases": len(error_cases),
        "malformed_refused_correctly": sum(r["passed"] for r in error_cases),
        "rule_set": rules.name,
        "failures": [r for r in results if not r["passed"]],
    }
