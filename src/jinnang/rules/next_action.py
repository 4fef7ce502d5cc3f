"""Ranked next-action suggestions for one account snapshot (shared/spec/next-action.md).

    suggest(AccountSnapshot.model_validate(payload), now=dt.datetime(2026, 3, 23, 10))
    # → NextActionResponse(account_id='acc-1008', suggestions=[Suggestion(action='confirm_demo_time', …)])

Every suggestion comes from a rule in `rules/config/next_actions.yaml` naming a registered
function; ones that do not apply are never returned.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from pydantic import ValidationError

from jinnang.core.errors import InputError, from_validation_error
from jinnang.rules.config import default_ruleset
from jinnang.rules.context import AccountContext, TalkTrackProvider
from jinnang.rules.models import PRIORITIES, AccountSnapshot, NextActionRequest, NextActionResponse, Suggestion
from jinnang.rules.rule_files import RuleSet
from jinnang.rules.stall import recipients, stall_alert

PRIORITY_RANK = {p: rank for rank, p in enumerate(PRIORITIES)}   # high first


def parse_snapshot(payload: Any) -> AccountSnapshot:
    """Validate a wire snapshot; a malformed one raises InputError naming the bare field and path."""
    if not isinstance(payload, dict):
        raise InputError("account", "the account snapshot must be a JSON object")
    try:
        return AccountSnapshot.model_validate(payload)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def suggest(account: AccountSnapshot, now: dt.datetime | None = None, rules: RuleSet | None = None,
            talk_tracks: TalkTrackProvider | None = None) -> NextActionResponse:
    """Suggestions for `account` at `now`, best first.

    `talk_tracks(category) -> [{"source", "id", "snippet"}, …]` supplies the playbook's talk
    track for `handle_objection`; without it the rule file's default per category is used.
    """
    rules = rules or default_ruleset()
    now = now or dt.datetime.now()
    if account.journey_node not in rules.node_by_id:
        raise InputError("journey_node", f"unknown journey node {account.journey_node!r}; rule set "
                                         f"{rules.name!r} has {', '.join(rules.node_by_id)}")
    ctx = AccountContext(account=account, now=now, rules=rules, talk_tracks=talk_tracks)
    for rule in rules.next_actions.suggestions:
        found = rule.function()(ctx, rule)
        if found is None:
            continue
        values = {**ctx.placeholders(), **found}
        evidence = values.pop("evidence", [])
        details = values.pop("details", {})
        ctx.suggested.append(Suggestion(
            action=rule.action, priority=rule.priority, notify=recipients(ctx, rule.notify),
            reason=rule.reason.format(**values), message=rule.message.format(**values),
            evidence=evidence, due=ctx.today + dt.timedelta(days=rule.due_in_days), details=details))
    order: dict[str, int] = {r.action: i for i, r in enumerate(rules.next_actions.suggestions)}
    ranked = sorted(ctx.suggested, key=lambda s: (PRIORITY_RANK[s.priority], order[s.action]))
    alert = stall_alert(ctx)
    quality = ctx.last_visit_quality
    return NextActionResponse(
        account_id=account.account_id, generated_at=now, rule_set=rules.name, suggestions=ranked,
        alerts=[alert] if alert else [], warnings=ctx.warnings,
        scores={"customer_health": ctx.health.model_dump(exclude={"details"}) | {"flags": ctx.health.flags},
                **({"last_visit_quality": quality.model_dump()} if quality else {})})


def parse_now(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return NextActionRequest.model_validate({"now": value, "account": {}}).now
    except ValidationError as exc:
        raise InputError("now", f"now: {exc.errors()[0]['msg']}") from None


def suggest_payload(payload: Any, now: Any = None, rules: RuleSet | None = None,
                    talk_tracks: TalkTrackProvider | None = None) -> NextActionResponse:
    """Validate a raw snapshot dict and suggest; the one entry point of the CLI and the API."""
    return suggest(parse_snapshot(payload), parse_now(now), rules, talk_tracks)


def suggest_many(items: Iterable[dict[str, Any]], rules: RuleSet | None = None,
                 talk_tracks: TalkTrackProvider | None = None) -> list[dict[str, Any]]:
    """Batch form: items {"id", "now", "account"} → {"id", "suggestions", …} or {"id", "error"}."""
    rules = rules or default_ruleset()
    out: list[dict[str, Any]] = []
    for item in items:
        item_id = item.get("id") if isinstance(item, dict) else None
        try:
            if not isinstance(item, dict) or "account" not in item:
                raise InputError("account", "each item needs an `account` snapshot")
            response = suggest_payload(item["account"], item.get("now"), rules, talk_tracks)
            out.append({"id": item_id, **response.model_dump(mode="json")})
        except InputError as exc:
            out.append({"id": item_id, "error": exc.as_dict()})
    return out
