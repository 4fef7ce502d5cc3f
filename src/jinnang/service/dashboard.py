"""The 看板's numbers: accounts per journey node (in time vs overdue), each rep's share of
high-quality visits, today's top-5 overdue accounts and the process health index with its trend.

    board = dashboard(engine, viewer, Filters(team="demo-east"), now=dt.datetime.now())
    board["nodes"][0]   # {"id": "first_contact", "label": "初步接触", "in_time": 3, "overdue": 1}

Everything is computed from the accounts the viewer may see (`Viewer.visible_reps()`), after the
filters; the filters' choices come from the same accounts before filtering, so a filter whose
attribute no account has simply offers nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import Engine

from jinnang.core.access import Viewer
from jinnang.core.users import list_teams, list_users
from jinnang.rules.accounts.reports import History, account_months, add_up, load_history, month_span, phi_of
from jinnang.rules.config import default_ruleset
from jinnang.rules.context import AccountContext
from jinnang.rules.models import AccountSnapshot
from jinnang.rules.rule_files import RuleSet

TREND_MONTHS = 6
QUALITY_WINDOWS = {"30": 30, "90": 90, "365": 365, "all": None}   # the ring's period, days back from today
DEFAULT_WINDOW = "365"
TOP_OVERDUE = 5


@dataclass(frozen=True)
class Filters:
    rep: str | None = None
    team: str | None = None
    product_line: str | None = None
    province: str | None = None
    city: str | None = None
    hospital_type: str | None = None
    window: str = DEFAULT_WINDOW

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Filters:
        """Blank values are no filter; an unknown window is the default one."""
        values = {f.name: (query.get(f.name) or "").strip() or None for f in fields(cls) if f.name != "window"}
        window = query.get("window") or DEFAULT_WINDOW
        return cls(**values, window=window if window in QUALITY_WINDOWS else DEFAULT_WINDOW)

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for drill-down links that keep them)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}
        if self.window == DEFAULT_WINDOW:
            out.pop("window", None)
        return out


ACCOUNT_FILTERS = ("product_line", "province", "city", "hospital_type")


def attribute(account: AccountSnapshot, name: str) -> str | None:
    """An account attribute a filter asks about: a snapshot field, else one of its `fields`.
    The hospital type falls back to the tier (三甲, 民营专科 …) when the CRM named one."""
    value = getattr(account, name, None) or account.fields.get(name)
    if not value and name == "hospital_type" and account.hospital_tier != "other":
        value = account.hospital_tier
    return str(value) if value else None


def rep_names(engine: Engine) -> dict[str, str]:
    return {u.rep_id: u.display_name for u in list_users(engine) if u.rep_id}


def team_members(engine: Engine, visible: set[str] | None) -> dict[str, set[str]]:
    """Each team with the rep ids in it the viewer may see (teams with none are left out)."""
    teams = {}
    for team, members in list_teams(engine).items():
        reps = {u.rep_id for u in members if u.role == "rep" and u.rep_id}
        reps = reps if visible is None else reps & visible
        if reps:
            teams[team] = reps
    return teams


@dataclass
class Scope:
    """The accounts behind a board: the viewer's, loaded once, then filtered."""

    history: History
    options: dict[str, list[dict[str, str]]]
    names: dict[str, str]


def scope(engine: Engine, viewer: Viewer, filters: Filters) -> Scope:
    visible = viewer.visible_reps()
    history = load_history(engine, visible)
    names = rep_names(engine)
    teams = team_members(engine, visible)
    accounts = [a for a, _ in history.accounts]
    options: dict[str, list[dict[str, str]]] = {
        "rep": [{"value": r, "label": names.get(r, r)} for r in sorted({a.rep_id for a in accounts})],
        "team": [{"value": t, "label": t} for t in sorted(teams)],
    }
    for name in ACCOUNT_FILTERS:
        values = sorted({v for a in accounts if (v := attribute(a, name))})
        options[name] = [{"value": v, "label": v} for v in values]
    team_reps = teams.get(filters.team or "", set()) if filters.team else None

    def kept(account: AccountSnapshot) -> bool:
        if filters.rep and account.rep_id != filters.rep:
            return False
        if team_reps is not None and account.rep_id not in team_reps:
            return False
        return all(not getattr(filters, n) or attribute(account, n) == getattr(filters, n) for n in ACCOUNT_FILTERS)

    history = replace(history, accounts=[(a, t) for a, t in history.accounts if kept(a)])
    return Scope(history=history, options=options, names=names)


@dataclass
class Row:
    """One account as the board shows it."""

    account: AccountSnapshot
    node_label: str
    overdue: bool
    hours_over: float
    high_visits: int
    low_visits: int

    def as_dict(self, names: dict[str, str]) -> dict[str, Any]:
        a = self.account
        return {"account_id": a.account_id, "customer": a.hospital or a.account_id, "node": a.journey_node,
                "node_label": self.node_label, "rep": a.rep_id, "rep_name": names.get(a.rep_id, a.rep_id),
                "state": "overdue" if self.overdue else "in_time", "hours_over": round(self.hours_over),
                "high_visits": self.high_visits, "low_visits": self.low_visits}


def rows_of(found: Scope, now: dt.datetime, window: str, rules: RuleSet) -> list[Row]:
    days = QUALITY_WINDOWS.get(window)
    since = None if days is None else now.date() - dt.timedelta(days=days)
    quality = rules.scores.visit_quality
    rows = []
    for account, _ in found.history.accounts:
        if account.journey_node not in rules.node_by_id:
            continue
        ctx = AccountContext(account=account, now=now, rules=rules)
        stall = ctx.stall
        overdue = stall is not None and stall.stalled
        visits = [v for v in account.visits if (since is None or v.date > since) and v.date <= now.date()]
        low = sum("coach" in quality.function()(v, quality).flags for v in visits)
        rows.append(Row(account=account, node_label=ctx.node.label, overdue=overdue,
                        hours_over=(stall.idle_hours - stall.limit_hours) if stall and overdue else 0.0,
                        high_visits=len(visits) - low, low_visits=low))
    return rows


def months_back(now: dt.datetime, n: int) -> list[str]:
    """The `n` months ending with now's, oldest first: ["2026-07", …, "2026-12"]."""
    year, month = now.year, now.month
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def phi_trend(history: History, now: dt.datetime, rules: RuleSet, months: int = TREND_MONTHS) -> list[dict[str, Any]]:
    """The PHI of each of the last `months` months; a month without data has value None."""
    out = []
    for month in months_back(now, months):
        result = phi_of(add_up("board", month, account_months(history, month, rules)), rules)
        out.append({"month": month, "value": result.value, "missing": result.missing_components,
                    "diagnosis": result.details.get("diagnosis")})
    return out


def dashboard(engine: Engine, viewer: Viewer, filters: Filters, now: dt.datetime | None = None,
              rules: RuleSet | None = None) -> dict[str, Any]:
    """The whole board as plain data (the page renders it and embeds it as JSON for the charts)."""
    rules = rules or default_ruleset()
    now = now or dt.datetime.now()
    found = scope(engine, viewer, filters)
    rows = rows_of(found, now, filters.window, rules)
    nodes = []
    for node in rules.nodes:
        here = [r for r in rows if r.account.journey_node == node.id]
        nodes.append({"id": node.id, "label": node.label, "in_time": sum(not r.overdue for r in here),
                      "overdue": sum(r.overdue for r in here)})
    quality = []
    for rep in sorted({r.account.rep_id for r in rows}):
        high = sum(r.high_visits for r in rows if r.account.rep_id == rep)
        low = sum(r.low_visits for r in rows if r.account.rep_id == rep)
        quality.append({"rep": rep, "name": found.names.get(rep, rep), "high": high, "low": low,
                        "share": round(high / (high + low) * 100) if high + low else None})
    overdue = sorted((r for r in rows if r.overdue), key=lambda r: -r.hours_over)[:TOP_OVERDUE]
    trend = phi_trend(found.history, now, rules)
    return {"generated_at": now.isoformat(timespec="minutes"), "filters": filters.query(), "window": filters.window,
            "options": found.options, "accounts": len(rows), "nodes": nodes, "quality": quality,
            "top5": [r.as_dict(found.names) for r in overdue],
            "phi": {"month": trend[-1]["month"], "value": trend[-1]["value"], "missing": trend[-1]["missing"],
                    "diagnosis": trend[-1]["diagnosis"], "line": rules.scores.process_health.params["diagnosis_below"],
                    "trend": trend}}


def drill_down(engine: Engine, viewer: Viewer, filters: Filters, *, node: str | None = None,
               state: str | None = None, quality: str | None = None, now: dt.datetime | None = None,
               rules: RuleSet | None = None) -> list[dict[str, Any]]:
    """The accounts behind one bar or ring: `node` and `state` (overdue | in_time) of the node chart,
    `quality` (high | low: with such visits in the window) of a rep's ring; most overdue first."""
    rules = rules or default_ruleset()
    now = now or dt.datetime.now()
    found = scope(engine, viewer, filters)
    rows = rows_of(found, now, filters.window, rules)
    if node:
        rows = [r for r in rows if r.account.journey_node == node]
    if state in ("overdue", "in_time"):
        rows = [r for r in rows if r.overdue == (state == "overdue")]
    if quality == "high":
        rows = [r for r in rows if r.high_visits]
    elif quality == "low":
        rows = [r for r in rows if r.low_visits]
    rows.sort(key=lambda r: (-r.hours_over, r.account.account_id))
    return [r.as_dict(found.names) for r in rows]


def valid_month(month: str) -> str:
    """`month` when it is YYYY-MM (InputError naming `month` otherwise)."""
    month_span(month)
    return month
