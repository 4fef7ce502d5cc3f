"""What the stored history says: stall episodes, the team's process health index, forecast accuracy."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from jinnang.core.errors import InputError
from jinnang.rules.accounts.store import snapshot_of
from jinnang.rules.accounts.tables import AccountRow, StallRow, TransitionRow, WorkOrderRow, session_for
from jinnang.rules.config import default_ruleset
from jinnang.rules.context import AccountContext, as_datetime
from jinnang.rules.models import AccountSnapshot
from jinnang.rules.rule_files import RuleSet
from jinnang.rules.scores import (
    ProcessHealthResult,
    ScoreResult,
    SigningForecast,
    TeamMonth,
    forecast_accuracy,
    process_health,
)
from jinnang.rules.stall import stall_alert


def scan_stalls(session_or_engine: Session | Engine, now: dt.datetime, rules: RuleSet | None = None,
                rep_ids: set[str] | None = None, record: bool = True) -> list[dict[str, Any]]:
    """Stall check over stored accounts: alerts (node AND time). With `record`, the nightly run,
    each stall episode is stored once (the process health index counts them); without, a read."""
    rules = rules or default_ruleset()
    alerts = []
    with session_for(session_or_engine) as session:
        query = select(AccountRow) if rep_ids is None else select(AccountRow).where(AccountRow.rep_id.in_(rep_ids))
        for row in session.scalars(query):
            account = snapshot_of(session, row)
            if account.journey_node not in rules.node_by_id:
                continue
            ctx = AccountContext(account=account, now=now, rules=rules)
            alert, stall = stall_alert(ctx), ctx.stall
            if alert is None or stall is None:
                continue
            alerts.append({"account_id": account.account_id, **alert.model_dump()})
            since = stall.since
            if record and not session.scalar(select(StallRow).where(StallRow.account_id == account.account_id,
                                                         StallRow.node == account.journey_node, StallRow.since == since)):
                session.add(StallRow(account_id=account.account_id, rep_id=account.rep_id, node=account.journey_node,
                                     since=since, detected_at=now))
    return alerts


class AccountMonth(TeamMonth):
    """One account's share of a month's PHI counts, so a report can say which accounts are behind a weak component."""

    account_id: str
    rep_id: str
    node: str
    hospital: str | None = None


@dataclass
class History:
    """The stored accounts of some reps with their stall episodes and work orders, loaded once so
    that several months (a trend) are counted without reading the database again."""

    accounts: list[tuple[AccountSnapshot, dt.datetime]]     # with the account's first touch
    stalls: list[StallRow]
    work_orders: list[WorkOrderRow]


def load_history(session_or_engine: Session | Engine, rep_ids: set[str] | None) -> History:
    """`rep_ids` None: every account (an admin's view)."""
    with session_for(session_or_engine) as session:
        query = select(AccountRow) if rep_ids is None else select(AccountRow).where(AccountRow.rep_id.in_(rep_ids))
        rows = session.scalars(query).all()
        ids = [r.account_id for r in rows]
        moves: dict[str, list[dt.datetime]] = {}
        for account_id, at in session.execute(select(TransitionRow.account_id, TransitionRow.at)
                                              .where(TransitionRow.account_id.in_(ids))):
            moves.setdefault(account_id, []).append(at)
        accounts = []
        for row in rows:
            account = snapshot_of(session, row)
            accounts.append((account, _first_touch(account, moves.get(row.account_id, []), row.created_at)))
        stalls = list(session.scalars(select(StallRow).where(StallRow.account_id.in_(ids))))
        orders = list(session.scalars(select(WorkOrderRow).where(WorkOrderRow.account_id.in_(ids))))
    return History(accounts=accounts, stalls=stalls, work_orders=orders)


def _first_touch(account: AccountSnapshot, moves: list[dt.datetime], created_at: dt.datetime) -> dt.datetime:
    """When the rep first dealt with the account: its earliest visit, upload, move or node entry.
    Not when jinnang stored it: an account filed today from March's notes was first touched in March."""
    times = [as_datetime(v.date) for v in account.visits] + [d.uploaded_at for d in account.documents]
    times += [*moves, account.node_entered_at]
    return min(times, default=created_at)


def month_span(month: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        start = dt.datetime.strptime(month + "-01", "%Y-%m-%d")
        end = (start + dt.timedelta(days=32)).replace(day=1)
    except (ValueError, OverflowError):     # 9999-12 has no next month
        raise InputError("month", f"month must be YYYY-MM, got {month!r}") from None
    return start, end


def account_months(history: History, month: str, rules: RuleSet | None = None) -> list[AccountMonth]:
    """Each account's PHI counts in `month` (YYYY-MM)."""
    rules = rules or default_ruleset()
    start, end = month_span(month)
    quality = rules.scores.visit_quality
    window = dt.timedelta(days=rules.accounts.first_meeting_within_days)
    first = rules.node_order[0]
    out: dict[str, AccountMonth] = {}
    for account, touched in history.accounts:
        part = AccountMonth(team=account.rep_id, month=month, account_id=account.account_id, rep_id=account.rep_id,
                            node=account.journey_node, hospital=account.hospital)
        for v in account.visits:
            if start.date() <= v.date < end.date():
                part.visits += 1
                part.high_quality_visits += "coach" not in quality.function()(v, quality).flags
        if start <= touched < end:
            part.first_touches = 1
            met = any(touched.date() <= v.date <= (touched + window).date() for v in account.visits)
            part.first_meetings = int(met or account.journey_node != first)
        out[account.account_id] = part
    for s in history.stalls:
        if s.account_id in out and start <= s.detected_at < end:
            part = out[s.account_id]
            part.stalls += 1
            part.stalls_resolved += s.resolved_at is not None
            part.stalls_by_node[s.node] = part.stalls_by_node.get(s.node, 0) + 1
    for w in history.work_orders:
        if w.account_id in out and start.date() <= w.due < end.date():
            part = out[w.account_id]
            part.work_orders_due += 1
            part.work_orders_closed_on_time += w.closed_at is not None and w.closed_at.date() <= w.due
    return list(out.values())


def add_up(team: str, month: str, parts: list[AccountMonth]) -> TeamMonth:
    total = TeamMonth(team=team, month=month)
    for part in parts:
        for key in ("visits", "high_quality_visits", "stalls", "stalls_resolved", "work_orders_due",
                    "work_orders_closed_on_time", "first_touches", "first_meetings"):
            setattr(total, key, getattr(total, key) + getattr(part, key))
        for node, n in part.stalls_by_node.items():
            total.stalls_by_node[node] = total.stalls_by_node.get(node, 0) + n
    return total


def team_month(session_or_engine: Session | Engine, team: str, rep_ids: set[str] | None, month: str,
               rules: RuleSet | None = None) -> TeamMonth:
    """Counts for the process health index of `rep_ids` in `month` (YYYY-MM), from stored history."""
    month_span(month)
    return add_up(team, month, account_months(load_history(session_or_engine, rep_ids), month, rules))


def phi_of(counts: TeamMonth, rules: RuleSet | None = None) -> ProcessHealthResult:
    rules = rules or default_ruleset()
    return process_health(counts, rules.scores.process_health, {n.id: n.label for n in rules.nodes})


def process_health_index(session_or_engine: Session | Engine, team: str, rep_ids: set[str] | None, month: str,
                         rules: RuleSet | None = None) -> ProcessHealthResult:
    rules = rules or default_ruleset()
    return phi_of(team_month(session_or_engine, team, rep_ids, month, rules), rules)


def signing_forecasts(session_or_engine: Session | Engine, rules: RuleSet | None = None) -> ScoreResult:
    """Forecast accuracy of locked signing dates against the day the account entered the last node."""
    rules = rules or default_ruleset()
    last = rules.node_order[-1]
    segment_by = rules.scores.forecast_accuracy.params["segment_by"]
    forecasts = []
    with session_for(session_or_engine) as session:
        for row in session.scalars(select(AccountRow)):
            account = snapshot_of(session, row)
            if account.signing_date is None:
                continue
            signed = session.scalar(select(TransitionRow.at).where(TransitionRow.account_id == row.account_id,
                                                                   TransitionRow.to_node == last,
                                                                   TransitionRow.accepted.is_(True)))
            if signed:
                forecasts.append(SigningForecast(account_id=row.account_id, segment=str(getattr(account, segment_by, "")),
                                                 predicted=account.signing_date.predicted, actual=signed.date()))
    return forecast_accuracy(forecasts, rules.scores.forecast_accuracy)
