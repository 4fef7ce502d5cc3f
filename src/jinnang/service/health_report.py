"""The monthly process-health report (《过程短板诊断报告》): the team's PHI for a month, each
component with its counts, and — when the index is below the configured line — the weakest
component named in Chinese, the reps and journey nodes where it arises and the accounts behind it.

    report = health_report(engine, viewer, "2026-03")
    report["value"], report["weakest"]["label"]     # (60.0, '高质量拜访占比')

A month with nothing to count has `value` None ("无数据"), never a score.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jinnang.core.access import Viewer
from jinnang.rules.accounts.reports import AccountMonth, account_months, add_up, load_history, month_span, phi_of
from jinnang.rules.config import default_ruleset
from jinnang.rules.rule_files import RuleSet
from jinnang.rules.scores import TeamMonth, share
from jinnang.service.dashboard import rep_names


def _counts(month: TeamMonth, component: str) -> tuple[int, int]:
    return month.component_counts()[component]


def _grouped(parts: list[AccountMonth], key: str, component: str, month: str) -> dict[str, TeamMonth]:
    groups: dict[str, list[AccountMonth]] = {}
    for part in parts:
        groups.setdefault(getattr(part, key), []).append(part)
    return {k: add_up(k, month, members) for k, members in groups.items()}


def _breakdown(groups: dict[str, TeamMonth], component: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    """Each group's share of the component, weakest first; groups with nothing to count are left out."""
    rows = []
    for key, counts in groups.items():
        num, den = _counts(counts, component)
        if den:
            rows.append({"id": key, "label": labels.get(key, key), "counted": num, "of": den,
                         "share": round(share(num, den) or 0), "short": den - num})
    return sorted(rows, key=lambda r: (r["share"], -r["short"], r["id"]))


def _stall_nodes(parts: list[AccountMonth], labels: dict[str, str]) -> list[dict[str, Any]]:
    """Stall resolution by the node where the accounts stalled (not where they are now)."""
    stalled: dict[str, int] = {}
    for part in parts:
        for node, n in part.stalls_by_node.items():
            stalled[node] = stalled.get(node, 0) + n
    return [{"id": node, "label": labels.get(node, node), "stalled": n}
            for node, n in sorted(stalled.items(), key=lambda kv: -kv[1])]


def health_report(engine: Engine, viewer: Viewer, month: str, rules: RuleSet | None = None) -> dict[str, Any]:
    rules = rules or default_ruleset()
    month_span(month)
    params = rules.scores.process_health.params
    component_labels: dict[str, str] = params["labels"]
    node_labels = {n.id: n.label for n in rules.nodes}
    names = rep_names(engine)
    parts = account_months(load_history(engine, viewer.visible_reps()), month, rules)
    total = add_up(viewer.subject, month, parts)
    result = phi_of(total, rules)
    components = [{"name": c.name, "label": component_labels[c.name], "weight": c.weight,
                   "counted": _counts(total, c.name)[0], "of": _counts(total, c.name)[1],
                   "share": None if c.scaled is None else round(c.scaled, 1)} for c in result.components]
    report: dict[str, Any] = {
        "month": month, "value": result.value, "line": params["diagnosis_below"], "components": components,
        "missing": [component_labels[m] for m in result.missing_components],
        "below": result.value is not None and result.value < params["diagnosis_below"],
        "diagnosis": result.details.get("diagnosis"), "weakest": None,
        "accounts_counted": sum(1 for p in parts if any(den for _, den in p.component_counts().values())),
    }
    weakest = result.details.get("weakest_component")
    if not report["below"] or not weakest:
        return report
    behind: list[dict[str, Any]] = []
    for part in parts:
        num, den = _counts(part, weakest)
        if den and num < den:
            behind.append({"account_id": part.account_id, "customer": part.hospital or part.account_id,
                           "rep": part.rep_id, "rep_name": names.get(part.rep_id, part.rep_id),
                           "node": part.node, "node_label": node_labels.get(part.node, part.node),
                           "counted": num, "of": den})
    behind.sort(key=lambda r: (int(r["counted"]) - int(r["of"]), str(r["account_id"])))
    report["weakest"] = {
        "name": weakest, "label": component_labels[weakest],
        "share": next(c["share"] for c in components if c["name"] == weakest),
        "reps": _breakdown(_grouped(parts, "rep_id", weakest, month), weakest, names),
        "nodes": _breakdown(_grouped(parts, "node", weakest, month), weakest, node_labels),
        "stall_nodes": _stall_nodes(parts, node_labels),
        "weakest_node": result.details.get("weakest_node_label"),
        "accounts": behind,
    }
    return report
