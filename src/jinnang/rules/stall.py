"""Registered stall rules. A stall is always node AND time: the rule is read from the account's
current node, so time alone (an account in a node without a stall rule) never alerts."""
from __future__ import annotations

from collections.abc import Sequence

from jinnang.rules.context import AccountContext, StallStatus, as_datetime, human_hours
from jinnang.rules.models import StallAlert
from jinnang.rules.registry import stall_rules


@stall_rules.register("jinnang.stall.node_and_time.v1")
def node_and_time(ctx: AccountContext, stall) -> StallStatus:
    """Idle = now − the latest update in the current node (edit, visit or upload)."""
    since = ctx.last_activity
    return StallStatus(ctx.account.journey_node, since, (ctx.now - since).total_seconds() / 3600, stall.limit)


@stall_rules.register("jinnang.stall.node_and_no_visit.v1")
def node_and_no_visit(ctx: AccountContext, stall) -> StallStatus:
    """Idle = now − the latest visit in the current node (or entering it): "14 d without a visit"."""
    times = [ctx.account.node_entered_at] + [as_datetime(v.date) for v in ctx.account.visits]
    since = max(times)
    return StallStatus(ctx.account.journey_node, since, (ctx.now - since).total_seconds() / 3600, stall.limit)


def recipients(ctx: AccountContext, who: Sequence[str]) -> list[str]:
    """rep / manager → the account's person ids, once each, skipping a manager the CRM did not name."""
    ids = {"rep": ctx.account.rep_id, "manager": ctx.account.manager_id}
    return list(dict.fromkeys(person for w in who if (person := ids.get(w))))


def stall_alert(ctx: AccountContext) -> StallAlert | None:
    """The alert the current node's stall rule raises, naming the rep (and manager where configured)."""
    status, rule = ctx.stall, ctx.node.stall
    if status is None or rule is None or not status.stalled:
        return None
    values = {**ctx.placeholders(), "idle": human_hours(status.idle_hours, status.limit_hours), "limit": human_hours(status.limit_hours),
              "idle_hours": round(status.idle_hours), "limit_hours": round(status.limit_hours)}
    return StallAlert(node=status.node, idle_hours=round(status.idle_hours, 1), limit_hours=status.limit_hours,
                      notify=recipients(ctx, ["rep", *rule.notify]), message=rule.message.format(**values), mark=rule.mark)
