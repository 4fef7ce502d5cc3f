"""What the stored history says: stall episodes, the team's process health index, forecast accuracy."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from jinnang.core.errors import InputError
from jinnang.rules.accounts.store import snapshot_of
from jinnang.rules.accounts.tables import AccountRow, StallRow, TransitionRow, WorkOrderRow, session_for
from jinnang.rules.config import default_ruleset
from jinnang.rules.context import AccountContext
from jinnang.rules.rule_files import RuleSet
from jinnang.rules.scores import ScoreResult, SigningForecast, TeamMonth, forecast_accuracy, process_health
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


def team_month(session_or_engine: Session | Engine, team: str, rep_ids: set[str], month: str,
               rules: RuleSet | None = None) -> TeamMonth:
    """Counts for the process health index of `rep_ids` in `month` (YYYY-MM), from stored history."""
    rules = rules or default_ruleset()
    try:
        start = dt.datetime.strptime(month + "-01", "%Y-%m-%d")
        end = (start + dt.timedelta(days=32)).replace(day=1)
    except (ValueError, OverflowError):     # 9999-12 has no next month
        raise InputError("month", f"month must be YYYY-MM, got {month!r}") from None
    quality = rules.scores.visit_quality
    counts = TeamMonth(team=team, month=month)
    with session_for(session_or_engine) as session:
        rows = session.scalars(select(AccountRow).where(AccountRow.rep_id.in_(rep_ids))).all()
        ids = {r.account_id for r in rows}
        for row in rows:
            account = snapshot_of(session, row)
            for v in account.visits:
                if start.date() <= v.date < end.date():
                    counts.visits += 1
                    counts.high_quality_visits += "coach" not in quality.function()(v, quality).flags
        for s in session.scalars(select(StallRow).where(StallRow.account_id.in_(ids), StallRow.detected_at >= start,
                                                        StallRow.detected_at < end)):
            counts.stalls += 1
            counts.stalls_resolved += s.resolved_at is not None
            counts.stalls_by_node[s.node] = counts.stalls_by_node.get(s.node, 0) + 1
        for w in session.scalars(select(WorkOrderRow).where(WorkOrderRow.account_id.in_(ids))):
            if start.date() <= w.due < end.date():
                counts.work_orders_due += 1
                counts.work_orders_closed_on_time += w.closed_at is not None and w.closed_at.date() <= w.due
        first = rules.node_order[0]
        window = dt.timedelta(days=rules.accounts.first_meeting_within_days)
        for row in rows:
            if not (start <= row.created_at < end or start <= _entered_first(session, row.account_id, first, row) < end):
                continue
            counts.first_touches += 1
            touched = _entered_first(session, row.account_id, first, row)
            account = snapshot_of(session, row)
            met = any(touched.date() <= v.date <= (touched + window).date() for v in account.visits)
            moved = account.journey_node != first
            counts.first_meetings += met or moved
    return counts


def _entered_first(session: Session, account_id: str, first: str, row: AccountRow) -> dt.datetime:
    t = session.scalar(select(TransitionRow.at).where(TransitionRow.account_id == account_id,
                                                      TransitionRow.to_node == first).order_by(TransitionRow.at))
    return t or row.created_at


def process_health_index(session_or_engine: Session | Engine, team: str, rep_ids: set[str], month: str,
                         rules: RuleSet | None = None) -> ScoreResult:
    rules = rules or default_ruleset()
    counts = team_month(session_or_engine, team, rep_ids, month, rules)
    return process_health(counts, rules.scores.process_health, {n.id: n.label for n in rules.nodes})


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
