"""Registered score formulas. Each returns a ScoreResult that shows its inputs and how they
were scaled and weighted, so a manager can see why a number is what it is."""
from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jinnang.rules.registry import score_formulas


class Component(BaseModel):
    name: str
    input: Any
    scaled: float | None      # 0–100; None = left out (weights renormalised)
    weight: float


class ScoreResult(BaseModel):
    name: str
    formula: str
    value: float
    components: list[Component] = []
    flags: list[str] = []
    details: dict[str, Any] = {}


def _with_data(comps: list[Component]) -> list[tuple[Component, float]]:
    """The components that have data, each with its scaled value (the others are left out)."""
    return [(c, c.scaled) for c in comps if c.scaled is not None]


def _weights_sum_to_one(weights: dict[str, float]) -> dict[str, float]:
    if abs(sum(weights.values()) - 1) > 1e-6:
        raise ValueError(f"weights must add up to 1, they add up to {sum(weights.values()):g}")
    return weights


# ------------------------------------------------------------------ visit quality


class VisitQualityParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    points: dict[str, float]        # questions_resolved / sample_brought / cross_dept_needs → points each
    cap: float = Field(gt=0)
    flag_at_or_below: float


@score_formulas.register("jinnang.score.visit_quality.v1")
def visit_quality(visit, rule) -> ScoreResult:
    """min(cap, questions × 3 + sample × 2 + cross-dept needs × 1); ≤ 4 is flagged for coaching."""
    p = rule.params
    counts = {"questions_resolved": visit.questions_resolved, "sample_brought": int(visit.sample_brought),
              "cross_dept_needs": len(visit.cross_dept_needs)}
    points = {k: counts.get(k, 0) * w for k, w in p["points"].items()}
    comps = [Component(name=k, input=counts.get(k, 0), scaled=points[k], weight=w) for k, w in p["points"].items()]
    value = min(p["cap"], sum(points.values()))
    flags = ["coach"] if value <= p["flag_at_or_below"] else []
    return ScoreResult(name="visit_quality", formula=rule.formula, value=value, components=comps, flags=flags,
                       details={"date": visit.date.isoformat(), "cap": p["cap"], "flag_at_or_below": p["flag_at_or_below"]})


visit_quality.Params = VisitQualityParams


# ------------------------------------------------------------------ customer health


class CustomerHealthParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weights: dict[str, float]
    interaction_window_days: int = Field(gt=0)
    visits_for_full_score: int = Field(gt=0)
    buying_roles: list[dict[str, Any]]     # [{slot, label, roles: [...]}] most important first
    wakeup_below: float
    high_risk_below: float
    high_risk_stall_multiple: float = Field(gt=0)
    wakeup_plan: list[str]

    @model_validator(mode="after")
    def _check(self):
        _weights_sum_to_one(self.weights)
        expected = {"interaction_frequency", "decision_maker_coverage", "on_time_fulfilment", "stage_weight"}
        if set(self.weights) != expected:
            raise ValueError(f"weights must name exactly {sorted(expected)}")
        return self


def covered_slots(contacts, buying_roles: list[dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    """(covered, missing) buying-role slots; a slot is covered by any named contact with one of its roles."""
    have = {c.role for c in contacts if c.name}
    covered = [s for s in buying_roles if have & set(s["roles"])]
    return covered, [s for s in buying_roles if s not in covered]


@score_formulas.register("jinnang.score.customer_health.v1")
def customer_health(ctx, rule) -> ScoreResult:
    """Σ weight × component (each 0–100); a component without data is left out and weights renormalised."""
    p, a = rule.params, ctx.account
    start = ctx.today - dt.timedelta(days=p["interaction_window_days"])
    recent = sum(1 for v in a.visits if start < v.date <= ctx.today)
    covered, missing = covered_slots(a.contacts, p["buying_roles"])
    on_time = sum(1 for o in a.orders if o.delivered is not None and o.delivered <= o.due)
    due_orders = [o for o in a.orders if o.delivered is not None or o.due < ctx.today]
    comps = [
        Component(name="interaction_frequency", input={"visits": recent, "window_days": p["interaction_window_days"]},
                  scaled=min(recent / p["visits_for_full_score"], 1) * 100, weight=p["weights"]["interaction_frequency"]),
        Component(name="decision_maker_coverage", input={"covered": [s["slot"] for s in covered],
                                                         "missing": [s["slot"] for s in missing]},
                  scaled=len(covered) / len(p["buying_roles"]) * 100, weight=p["weights"]["decision_maker_coverage"]),
        Component(name="on_time_fulfilment", input={"on_time": on_time, "orders": len(due_orders)},
                  scaled=(on_time / len(due_orders) * 100) if due_orders else None,
                  weight=p["weights"]["on_time_fulfilment"]),
        Component(name="stage_weight", input={"node": a.journey_node, "number": ctx.node_number,
                                              "of": len(ctx.rules.nodes)},
                  scaled=ctx.node_number / len(ctx.rules.nodes) * 100, weight=p["weights"]["stage_weight"]),
    ]
    used = _with_data(comps)
    total_weight = sum(c.weight for c, _ in used)
    value = round(sum(scaled * c.weight for c, scaled in used) / total_weight, 1)
    flags = []
    if value < p["wakeup_below"]:
        flags.append("wakeup")
    if value < p["high_risk_below"]:
        flags.append("high_risk")
    return ScoreResult(name="customer_health", formula=rule.formula, value=value, components=comps, flags=flags,
                       details={"missing_roles": missing, "wakeup_below": p["wakeup_below"],
                                "high_risk_below": p["high_risk_below"]})


customer_health.Params = CustomerHealthParams


# ------------------------------------------------------------------ process health index (team, monthly)


PHI_COMPONENTS = ("high_quality_visit_share", "stall_resolution_rate", "work_orders_on_time", "first_touch_conversion")


class ProcessHealthParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weights: dict[str, float]
    labels: dict[str, str]          # each component's name as a manager reads it (Chinese)
    diagnosis_below: float

    @model_validator(mode="after")
    def _check(self):
        _weights_sum_to_one(self.weights)
        for key, names in (("weights", self.weights), ("labels", self.labels)):
            if set(names) != set(PHI_COMPONENTS):
                raise ValueError(f"{key} must name exactly {sorted(PHI_COMPONENTS)}")
        return self


class TeamMonth(BaseModel):
    """Counts for one team and month (rules.accounts.team_month builds it from stored history)."""

    team: str
    month: str                                   # YYYY-MM
    visits: int = 0
    high_quality_visits: int = 0
    stalls: int = 0
    stalls_resolved: int = 0
    work_orders_due: int = 0
    work_orders_closed_on_time: int = 0
    first_touches: int = 0
    first_meetings: int = 0
    stalls_by_node: dict[str, int] = {}

    def component_counts(self) -> dict[str, tuple[int, int]]:
        """Each PHI component as (counted, out of)."""
        return {"high_quality_visit_share": (self.high_quality_visits, self.visits),
                "stall_resolution_rate": (self.stalls_resolved, self.stalls),
                "work_orders_on_time": (self.work_orders_closed_on_time, self.work_orders_due),
                "first_touch_conversion": (self.first_meetings, self.first_touches)}


COMPONENT_INPUT_KEYS = {"high_quality_visit_share": ("high_quality", "visits"),
                        "stall_resolution_rate": ("resolved", "stalled"),
                        "work_orders_on_time": ("on_time", "due"),
                        "first_touch_conversion": ("first_meetings", "first_touches")}


class ProcessHealthResult(BaseModel):
    """The PHI of one team and month. `value` is None when no component had anything to count:
    a month without data is "no data", never a score."""

    name: str = "process_health"
    formula: str
    value: float | None
    components: list[Component] = []
    missing_components: list[str] = []           # left out for want of data (weights renormalised)
    flags: list[str] = []
    details: dict[str, Any] = {}


def share(num: int, den: int) -> float | None:
    return num / den * 100 if den else None


@score_formulas.register("jinnang.score.process_health.v1")
def process_health(month: TeamMonth, rule, node_labels: dict[str, str] | None = None) -> ProcessHealthResult:
    """Σ weight × share (%) over the components that have data, weights renormalised; those left
    out are named. Below the threshold the diagnosis names the weakest component (in Chinese) and
    the node where most accounts stalled."""
    p = rule.params
    labels: dict[str, str] = p["labels"]
    comps = []
    for name, (num, den) in month.component_counts().items():
        keys = COMPONENT_INPUT_KEYS[name]
        comps.append(Component(name=name, input={keys[0]: num, keys[1]: den}, scaled=share(num, den),
                               weight=p["weights"][name]))
    used = _with_data(comps)
    missing = [c.name for c in comps if c.scaled is None]
    details: dict[str, Any] = {"team": month.team, "month": month.month, "line": p["diagnosis_below"]}
    if missing:
        details["missing_note"] = "未计入（本月无数据）：" + "、".join(labels[m] for m in missing)
    if not used:
        details["no_data"] = f"{month.month} 无数据：没有拜访、停滞、工单或新客户可计"
        return ProcessHealthResult(formula=rule.formula, value=None, components=comps, missing_components=missing,
                                   flags=["no_data"], details=details)
    weight = sum(c.weight for c, _ in used)
    value = round(sum(scaled * c.weight for c, scaled in used) / weight, 1)
    flags = []
    if value < p["diagnosis_below"]:
        flags.append("diagnosis")
        worst, worst_share = min(used, key=lambda pair: pair[1])
        weakest = max(month.stalls_by_node.items(), key=lambda kv: kv[1])[0] if month.stalls_by_node else None
        details["weakest_component"] = worst.name
        details["weakest_component_label"] = labels[worst.name]
        details["weakest_node"] = weakest
        text = (f"流程健康指数 {value:g} 低于 {p['diagnosis_below']:g}：最弱的一项是「{labels[worst.name]}」"
                f"（{worst_share:.0f}%）")
        if weakest:
            label = (node_labels or {}).get(weakest, weakest)
            details["weakest_node_label"] = label
            text += f"；最薄弱节点是「{label}」（本月停滞 {month.stalls_by_node[weakest]} 个客户）"
        details["diagnosis"] = text
    return ProcessHealthResult(formula=rule.formula, value=value, components=comps, missing_components=missing,
                               flags=flags, details=details)


process_health.Params = ProcessHealthParams


# ------------------------------------------------------------------ forecast accuracy


class ForecastAccuracyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    segment_by: str = "hospital_tier"


class SigningForecast(BaseModel):
    account_id: str
    segment: str
    predicted: dt.date
    actual: dt.date


@score_formulas.register("jinnang.score.forecast_accuracy.v1")
def forecast_accuracy(forecasts: list[SigningForecast], rule) -> ScoreResult:
    """|actual − predicted| in days per customer segment: mean, median, max and count."""
    by_segment: dict[str, list[int]] = {}
    for f in forecasts:
        by_segment.setdefault(f.segment, []).append(abs((f.actual - f.predicted).days))
    segments = {seg: {"n": len(errs), "mean_abs_days": round(statistics.fmean(errs), 2),
                      "median_abs_days": statistics.median(errs), "max_abs_days": max(errs)}
                for seg, errs in sorted(by_segment.items())}
    everything = [e for errs in by_segment.values() for e in errs]
    value = round(statistics.fmean(everything), 2) if everything else 0.0
    return ScoreResult(name="forecast_accuracy", formula=rule.formula, value=value,
                       details={"segment_by": rule.params["segment_by"], "segments": segments})


forecast_accuracy.Params = ForecastAccuracyParams
