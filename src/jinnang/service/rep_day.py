"""A rep's day: the next actions over their accounts, the accounts overdue in their node (stalls),
and the key dates coming up — what the rep home shows and the weekly report plans from.

    day = rep_day(settings, {"rep-07"}, now=dt.datetime(2026, 3, 16, 9))
    day.actions[0]   # ActionItem(account_id='acc-demo-01', name='金华市人民医院', action='handle_objection', …)
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from jinnang.core.errors import InputError
from jinnang.core.settings import Settings
from jinnang.nlp.store import ExtractionRow, reviewed_record
from jinnang.rules.accounts.store import snapshot_of
from jinnang.rules.accounts.tables import AccountRow
from jinnang.rules.config import default_ruleset
from jinnang.rules.context import TalkTrackProvider
from jinnang.rules.models import AccountSnapshot
from jinnang.rules.next_action import PRIORITY_RANK, suggest
from jinnang.rules.rule_files import RuleSet
from jinnang.service.visits import account_names, accounts_engine

log = logging.getLogger(__name__)

# how far back a note's key dates are looked for (a date named half a year ahead is still coming)
KEY_DATE_LOOKBACK_DAYS = 200


@dataclass(frozen=True)
class ActionItem:
    account_id: str
    name: str
    rep_id: str
    node_label: str
    action: str
    priority: str
    reason: str
    message: str
    due: dt.date


@dataclass(frozen=True)
class StallItem:
    account_id: str
    name: str
    rep_id: str
    node: str
    node_label: str
    idle_hours: float
    limit_hours: float
    message: str
    mark: str | None

    @property
    def hours_over(self) -> float:
        return round(self.idle_hours - self.limit_hours, 1)


@dataclass(frozen=True)
class KeyDateItem:
    account_id: str | None
    name: str
    rep_id: str | None
    type: str
    date: dt.date
    evidence: str
    document_id: str | None  # None: the account's own field


@dataclass(frozen=True)
class RepDay:
    now: dt.datetime
    accounts: int
    actions: list[ActionItem]
    stalls: list[StallItem]
    key_dates: list[KeyDateItem]


def node_label(rules: RuleSet, node: str | None) -> str:
    return rules.node_by_id[node].label if node and node in rules.node_by_id else (node or "")


def stored_accounts(engine: Engine, rep_ids: set[str] | None) -> list[AccountSnapshot]:
    with Session(engine) as session:
        query = select(AccountRow) if rep_ids is None else select(AccountRow).where(AccountRow.rep_id.in_(rep_ids))
        return [snapshot_of(session, row) for row in session.scalars(query)]


def actions_and_stalls(accounts: list[AccountSnapshot], names: dict[str, str], now: dt.datetime, rules: RuleSet,
                       talk_tracks: TalkTrackProvider | None = None) -> tuple[list[ActionItem], list[StallItem]]:
    """The next-action engine over each account: its suggestions and its stall alert, if any."""
    actions: list[ActionItem] = []
    stalls: list[StallItem] = []
    for account in accounts:
        if account.journey_node not in rules.node_by_id:
            continue  # a node of another rule set: the engine cannot judge it
        try:
            response = suggest(account, now, rules, talk_tracks)
        except InputError:
            log.exception("no next actions for account %s", account.account_id)
            continue
        name, label = names.get(account.account_id, account.account_id), node_label(rules, account.journey_node)
        actions += [ActionItem(account.account_id, name, account.rep_id, label, s.action, s.priority, s.reason,
                               s.message, s.due) for s in response.suggestions]
        stalls += [StallItem(account.account_id, name, account.rep_id, a.node, node_label(rules, a.node),
                             a.idle_hours, a.limit_hours, a.message, a.mark) for a in response.alerts]
    actions.sort(key=lambda a: (PRIORITY_RANK[a.priority], a.due, a.name))
    stalls.sort(key=lambda s: -s.hours_over)
    return actions, stalls


def key_dates_between(engine: Engine, accounts: list[AccountSnapshot], rep_ids: set[str] | None, start: dt.date,
                      end: dt.date, names: dict[str, str], rules: RuleSet) -> list[KeyDateItem]:
    """Key dates in [start, end]: the accounts' date fields and the dates the reps' notes named."""
    found: dict[tuple[str | None, str, dt.date], KeyDateItem] = {}
    field_types = {field: kind for kind, field in rules.accounts.key_date_fields.items()}
    for account in accounts:
        for field, kind in field_types.items():
            value = account.fields.get(field)
            day = dt.date.fromisoformat(value) if isinstance(value, str) else value
            if isinstance(day, dt.date) and start <= day <= end:
                found[(account.account_id, kind, day)] = KeyDateItem(
                    account.account_id, names.get(account.account_id, account.account_id), account.rep_id, kind,
                    day, "", None)
    account_ids = {a.account_id for a in accounts}
    owners = {a.account_id: a.rep_id for a in accounts}
    with Session(engine) as session:
        query = select(ExtractionRow).where(ExtractionRow.reference_date >= start - dt.timedelta(KEY_DATE_LOOKBACK_DAYS),
                                            ExtractionRow.reference_date <= end)
        if rep_ids is not None:
            query = query.where(ExtractionRow.rep_id.in_(rep_ids) | ExtractionRow.account_id.in_(account_ids))
        for row in session.scalars(query):
            for kd in reviewed_record(session, row).get("key_dates") or []:
                day = dt.date.fromisoformat(str(kd["date"]))
                key = (row.account_id, kd["type"], day)
                if start <= day <= end and key not in found:
                    found[key] = KeyDateItem(row.account_id, names.get(row.account_id or "", row.hospital or "")
                                             or row.hospital or "", owners.get(row.account_id or "", row.rep_id),
                                             kd["type"], day, kd.get("evidence") or "", row.document_id)
    return sorted(found.values(), key=lambda k: (k.date, k.name))


def rep_day(settings: Settings, rep_ids: set[str] | None, now: dt.datetime | None = None,
            talk_tracks: TalkTrackProvider | None = None, horizon_days: int = 14) -> RepDay:
    """Next actions, stalls and the key dates of the next `horizon_days` over the accounts of `rep_ids`."""
    now = now or dt.datetime.now()
    rules = default_ruleset()
    engine = accounts_engine(settings)
    accounts = stored_accounts(engine, rep_ids)
    names = account_names(engine, [a.account_id for a in accounts])
    actions, stalls = actions_and_stalls(accounts, names, now, rules, talk_tracks)
    dates = key_dates_between(engine, accounts, rep_ids, now.date(), now.date() + dt.timedelta(horizon_days),
                              names, rules)
    return RepDay(now=now, accounts=len(accounts), actions=actions, stalls=stalls, key_dates=dates)
