"""What the rules know about one account at one moment, computed once and shared by every rule."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from jinnang.core.lazy import lazy_property
from jinnang.rules.evidence import Missing, field_problems, missing_for_node
from jinnang.rules.models import AccountSnapshot, Suggestion, Visit
from jinnang.rules.rule_files import Node, RuleSet
from jinnang.rules.scores import ScoreResult

TalkTrackProvider = Callable[[str], list[dict[str, Any]]]
"""objection category (e.g. "price") → evidence dicts {"source", "id", "snippet"}, best first."""


@dataclass(frozen=True)
class StallStatus:
    node: str
    since: dt.datetime
    idle_hours: float
    limit_hours: float

    @property
    def stalled(self) -> bool:
        return self.idle_hours > self.limit_hours


def as_datetime(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def human_hours(hours: float, like: float | None = None) -> str:
    """A span in the unit its limit is written in: (96, 72) → '96 小时'; (500, 336) → '20 天 20 小时'."""
    if (like if like is not None else hours) < 96:
        return f"{int(hours)} 小时"
    days, rest = divmod(int(hours), 24)
    return f"{days} 天" + (f" {rest} 小时" if rest else "")


@dataclass
class AccountContext:
    account: AccountSnapshot
    now: dt.datetime
    rules: RuleSet
    talk_tracks: TalkTrackProvider | None = None
    suggested: list[Suggestion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def node(self) -> Node:
        return self.rules.node_by_id[self.account.journey_node]

    @property
    def node_number(self) -> int:
        return self.rules.node_number[self.account.journey_node]

    @property
    def today(self) -> dt.date:
        return self.now.date()

    @lazy_property
    def last_activity(self) -> dt.datetime:
        """Latest update of the account in its current node: edits, visits, uploads."""
        times = [self.account.node_entered_at, self.account.last_updated_at]
        times += [as_datetime(v.date) for v in self.account.visits]
        times += [d.uploaded_at for d in self.account.documents]
        return max(times)

    @lazy_property
    def last_visit(self) -> Visit | None:
        return max(self.account.visits, key=lambda v: v.date) if self.account.visits else None

    @lazy_property
    def days_since_visit(self) -> int | None:
        return (self.today - self.last_visit.date).days if self.last_visit else None

    @lazy_property
    def stall(self) -> StallStatus | None:
        rule = self.node.stall
        return rule.function()(self, rule) if rule else None

    @lazy_property
    def missing_evidence(self) -> list[Missing]:
        """Only the current node is re-checked (nodes already passed are not), plus the field rules."""
        return missing_for_node(self.account, self.node) + field_problems(self.account, self.rules.journey.field_rules)

    @lazy_property
    def health(self) -> ScoreResult:
        rule = self.rules.scores.customer_health
        return rule.function()(self, rule)

    @lazy_property
    def last_visit_quality(self) -> ScoreResult | None:
        if self.last_visit is None:
            return None
        rule = self.rules.scores.visit_quality
        return rule.function()(self.last_visit, rule)

    def placeholders(self) -> dict[str, Any]:
        a = self.account
        return {"node": a.journey_node, "node_label": self.node.label, "hospital": a.hospital or a.account_id,
                "device_model": a.fields.get("device_model") or "设备"}
