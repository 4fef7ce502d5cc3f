"""Latency of next-action per account (in-process) and throughput of the batch form."""
from __future__ import annotations

import copy
import datetime as dt
import statistics
import time
from pathlib import Path
from typing import Any

from jinnang.core.jsonl_file import read_jsonl
from jinnang.rules.config import RuleSet, default_ruleset
from jinnang.rules.next_action import suggest_many, suggest_payload


def _cases(path: Path) -> list[dict[str, Any]]:
    cases = read_jsonl(path, required=("id", "account"))
    return [c for c in cases if "expected_error" not in c]


def _variants(cases: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """n distinct accounts made from the seed cases (ids and clocks shifted so nothing is cached)."""
    out = []
    for i in range(n):
        case = copy.deepcopy(cases[i % len(cases)])
        case["id"] = f"bench-{i}"
        case["account"]["account_id"] = f"{case['account']['account_id']}-{i}"
        now = dt.datetime.fromisoformat(case["now"]) + dt.timedelta(hours=i % 48)
        case["now"] = now.isoformat()
        out.append(case)
    return out


def bench(path: Path | str, accounts: int = 2000, rules: RuleSet | None = None) -> dict[str, Any]:
    rules = rules or default_ruleset()
    items = _variants(_cases(Path(path)), accounts)
    for item in items[:50]:  # warm-up: imports, regex and registry caches
        suggest_payload(item["account"], item["now"], rules)
    latencies = []
    for item in items:
        t0 = time.perf_counter()
        suggest_payload(item["account"], item["now"], rules)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    t0 = time.perf_counter()
    answers = suggest_many(items, rules)
    batch_seconds = time.perf_counter() - t0
    return {
        "accounts": len(items),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 3),
        "max_ms": round(latencies[-1], 3),
        "batch_seconds": round(batch_seconds, 3),
        "batch_accounts_per_s": round(len(items) / batch_seconds, 1),
        "batch_errors": sum(1 for a in answers if "error" in a),
        "targets": {"p99_ms": 20, "batch_accounts_per_s": 1000},
    }
