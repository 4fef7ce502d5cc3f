"""Registered suggestion rules. Each looks at an AccountContext and returns the placeholder values
(plus optional `evidence` and `details`) of its suggestion, or None when it does not apply."""
from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jinnang.rules.context import AccountContext, StallStatus, human_hours
from jinnang.rules.registry import action_rules
from jinnang.rules.stall import stall_alert

log = logging.getLogger(__name__)

Found = dict[str, Any] | None


def _stall_values(ctx: AccountContext, s: StallStatus) -> dict[str, Any]:
    alert = stall_alert(ctx)
    return {"idle": human_hours(s.idle_hours, s.limit_hours), "limit": human_hours(s.limit_hours), "idle_hours": round(s.idle_hours),
            "limit_hours": round(s.limit_hours), "stall_message": alert.message if alert else ""}


@action_rules.register("jinnang.action.node_stall.v1")
def node_stall(ctx: AccountContext, rule) -> Found:
    """The current node is stalled and its stall rule lists this action (e.g. confirm_demo_time)."""
    stall, stall_rule = ctx.stall, ctx.node.stall
    if stall is None or stall_rule is None or not stall.stalled or rule.action not in stall_rule.actions:
        return None
    return _stall_values(ctx, stall)


class EscalateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stall_reason: str
    low_health_reason: str
    long_stall_reason: str


@action_rules.register("jinnang.action.escalate.v1")
def escalate(ctx: AccountContext, rule) -> Found:
    """A stall of a node whose stall rule notifies the manager, or a high-risk account."""
    p = rule.params
    health_cfg = ctx.rules.scores.customer_health.params
    reasons: list[str] = []
    values: dict[str, Any] = {"health": ctx.health.value}
    stall, stall_rule = ctx.stall, ctx.node.stall
    if stall is not None and stall_rule is not None and stall.stalled:
        values.update(_stall_values(ctx, stall))
        if "manager" in stall_rule.notify:
            reasons.append(p["stall_reason"].format(**ctx.placeholders(), **values))
        times = stall.idle_hours / stall.limit_hours
        if times > health_cfg["high_risk_stall_multiple"]:
            reasons.append(p["long_stall_reason"].format(**ctx.placeholders(), **values, times=f"{times:.1f}"))
    if ctx.health.value < health_cfg["high_risk_below"]:
        reasons.append(p["low_health_reason"].format(**ctx.placeholders(), **values,
                                                     threshold=f"{health_cfg['high_risk_below']:g}"))
    if not reasons:
        return None
    return {**values, "reasons": "；".join(reasons), "stall_message": values.get("stall_message", "")}


escalate.Params = EscalateParams


@action_rules.register("jinnang.action.missing_evidence.v1")
def missing_evidence(ctx: AccountContext, rule) -> Found:
    """The current node's evidence or a cross-node field rule is missing or invalid."""
    problems = ctx.missing_evidence
    if not problems:
        return None
    return {"missing": "、".join(m.text() for m in problems),
            "details": {"missing": [{"kind": m.kind, "key": m.key, "label": m.label, "detail": m.detail}
                                    for m in problems]}}


class TalkTrack(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    snippet: str = Field(min_length=1)


class ObjectionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category_labels: dict[str, str]
    default_talk_tracks: dict[str, list[TalkTrack]]


@action_rules.register("jinnang.action.open_objection.v1")
def open_objection(ctx: AccountContext, rule) -> Found:
    """Open objections, newest first, each with the playbook's talk track for its category
    (from the `talk_tracks` provider when one is wired in, else the rule file's default)."""
    objections = sorted(ctx.account.open_objections, key=lambda o: (o.raised_on is not None, o.raised_on), reverse=True)
    if not objections:
        return None
    p = rule.params
    categories = list(dict.fromkeys(o.category for o in objections))
    evidence: list[dict[str, Any]] = []
    for category in categories:
        found: list[dict[str, Any]] = []
        if ctx.talk_tracks is not None:
            try:
                found = [dict(e) for e in ctx.talk_tracks(category) or []][:1]
            except Exception as exc:  # a broken playbook must not break suggestions
                log.exception("talk-track provider failed for %s", category)
                ctx.warnings.append(f"talk-track provider failed for {category}: {exc}")
        if not found:
            found = [{"source": "rules_default", "id": t["id"], "snippet": t["snippet"]}
                     for t in p["default_talk_tracks"].get(category, [])[:1]]
        evidence += found
    labels = [p["category_labels"].get(c, c) for c in categories]
    return {"categories": "、".join(labels), "evidence": evidence,
            "details": {"objections": [{"category": o.category,
                                        "raised_on": o.raised_on.isoformat() if o.raised_on else None}
                                       for o in objections]}}


open_objection.Params = ObjectionParams


@action_rules.register("jinnang.action.trigger_pending.v1")
def trigger_pending(ctx: AccountContext, rule) -> Found:
    """A trigger of the current node whose `action` is this one still has to happen
    (create_service_ticket: no open ticket; lock_signing_date: stamped draft not yet locked)."""
    for cfg in list(ctx.node.on_enter) + list(ctx.node.on_document):
        if cfg.action == rule.action:
            found = cfg.function().pending(ctx, cfg)
            if found is not None:
                return found
    return None


@action_rules.register("jinnang.action.missing_role.v1")
def missing_role(ctx: AccountContext, rule) -> Found:
    """Buying roles without a named contact, most important first (order of `buying_roles`)."""
    missing = ctx.health.details["missing_roles"]
    if not missing:
        return None
    return {"roles": "、".join(s["label"] for s in missing),
            "details": {"missing_roles": [s["slot"] for s in missing]}}


@action_rules.register("jinnang.action.wakeup.v1")
def wakeup(ctx: AccountContext, rule) -> Found:
    """Customer health below the wake-up threshold."""
    cfg = ctx.rules.scores.customer_health.params
    if ctx.health.value >= cfg["wakeup_below"]:
        return None
    return {"health": ctx.health.value, "plan": "；".join(cfg["wakeup_plan"]), "threshold": f"{cfg['wakeup_below']:g}",
            "details": {"plan": cfg["wakeup_plan"], "health": ctx.health.model_dump()}}


@action_rules.register("jinnang.action.visit_coaching.v1")
def visit_coaching(ctx: AccountContext, rule) -> Found:
    """The last visit scored at or below the coaching threshold."""
    q, visit = ctx.last_visit_quality, ctx.last_visit
    if q is None or visit is None or "coach" not in q.flags:
        return None
    return {"score": f"{q.value:g}", "visit_date": visit.date.isoformat(),
            "threshold": f"{q.details['flag_at_or_below']:g}",
            "details": {"visit_quality": q.model_dump()}}


class FollowUpParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    no_visit_days: int = Field(gt=0)
    unless_priority: list[str] = []   # something of this priority already suggested = more urgent


@action_rules.register("jinnang.action.follow_up.v1")
def follow_up(ctx: AccountContext, rule) -> Found:
    """No visit for longer than N days and nothing more urgent already suggested."""
    p = rule.params
    days = ctx.days_since_visit
    if days is not None and days <= p["no_visit_days"]:
        return None
    if any(s.priority in p["unless_priority"] for s in ctx.suggested):
        return None
    return {"days_since_visit": days if days is not None else "从未"}


follow_up.Params = FollowUpParams
