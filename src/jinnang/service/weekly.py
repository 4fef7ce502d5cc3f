"""The weekly report (周报) of one rep or a manager's team for one ISO week, made from what is stored:
accounts that moved, the week's visits with their quality score, open objections and questions left
unanswered, stalls, and next week's plan from the next actions and the coming key dates.

    report = weekly_report(settings, {"rep-07"}, parse_week("2026-W11"))
    report.moves[0]     # Move(name='金华市人民医院', from_label='初步接触', to_label='已预约设备科演示', …)
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.core.errors import InputError
from jinnang.core.settings import Settings
from jinnang.core.users import list_users
from jinnang.nlp.store import ExtractionRow, reviewed_record
from jinnang.nlp.visit import default_reader
from jinnang.nlp.vocab import first_hit, sentences
from jinnang.rules.accounts.tables import ObjectionRow, TransitionRow
from jinnang.rules.config import default_ruleset
from jinnang.rules.context import TalkTrackProvider
from jinnang.rules.models import Visit
from jinnang.rules.rule_files import RuleSet
from jinnang.service.rep_day import (
    ActionItem,
    KeyDateItem,
    StallItem,
    actions_and_stalls,
    key_dates_between,
    node_label,
    stored_accounts,
)
from jinnang.service.visits import account_names, accounts_engine

WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")
SUMMARY_CHARS = 80


@dataclass(frozen=True)
class IsoWeek:
    year: int
    week: int

    @property
    def start(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    def shifted(self, weeks: int) -> IsoWeek:
        return week_of(self.start + dt.timedelta(weeks=weeks))


def week_of(day: dt.date) -> IsoWeek:
    year, week, _ = day.isocalendar()
    return IsoWeek(year, week)


def parse_week(text: str | None, today: dt.date | None = None) -> IsoWeek:
    """"2026-W11" → IsoWeek(2026, 11); nothing → this week. A week that does not exist is refused."""
    if not text:
        return week_of(today or dt.date.today())
    m = WEEK_PATTERN.match(text.strip())
    if not m:
        raise InputError("week", f"week must be written YYYY-Www, e.g. 2026-W11; got {text!r}")
    try:
        dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise InputError("week", f"{text} is not a week of {m.group(1)}") from None
    return IsoWeek(int(m.group(1)), int(m.group(2)))


@dataclass(frozen=True)
class Move:
    account_id: str
    name: str
    rep_id: str
    from_label: str
    to_label: str
    at: dt.datetime
    steps: int


@dataclass(frozen=True)
class VisitLine:
    document_id: str
    account_id: str | None
    name: str
    rep_id: str | None
    date: dt.date
    kind: str
    quality: float | None  # None: the note had no visit facts to score (e.g. a form)
    coach: bool            # at or below the score the rules flag for coaching
    summary: str


@dataclass(frozen=True)
class ObjectionLine:
    account_id: str
    name: str
    rep_id: str
    category: str
    raised_on: dt.date | None
    evidence: str
    new_this_week: bool


@dataclass(frozen=True)
class QuestionLine:
    document_id: str
    name: str
    rep_id: str | None
    date: dt.date
    sentence: str


@dataclass
class RepSummary:
    rep_id: str
    name: str
    visits: int = 0
    quality_total: float = 0.0
    scored: int = 0
    moves: int = 0
    stalls: int = 0
    open_objections: int = 0

    @property
    def average_quality(self) -> float | None:
        return round(self.quality_total / self.scored, 1) if self.scored else None


@dataclass
class WeeklyReport:
    week: IsoWeek
    rep_ids: list[str]
    rep_names: dict[str, str]
    as_of: dt.datetime
    moves: list[Move] = field(default_factory=list)
    visits: list[VisitLine] = field(default_factory=list)
    objections: list[ObjectionLine] = field(default_factory=list)
    questions: list[QuestionLine] = field(default_factory=list)
    stalls: list[StallItem] = field(default_factory=list)
    plan_actions: list[ActionItem] = field(default_factory=list)
    plan_dates: list[KeyDateItem] = field(default_factory=list)
    summaries: list[RepSummary] = field(default_factory=list)


def rep_names(settings: Settings) -> dict[str, str]:
    """Rep id → the person's display name, for every user who has a rep id."""
    from jinnang.core.db import open_engine

    return {u.rep_id: u.display_name for u in list_users(open_engine(settings.db_url)) if u.rep_id}


def _moves(session: Session, owners: dict[str, str], names: dict[str, str], start: dt.datetime, end: dt.datetime,
           rules: RuleSet) -> list[Move]:
    rows = session.scalars(select(TransitionRow).where(TransitionRow.account_id.in_(set(owners)),
                                                       TransitionRow.accepted.is_(True),
                                                       TransitionRow.at >= start, TransitionRow.at < end)
                           .order_by(TransitionRow.at, TransitionRow.id)).all()
    by_account: dict[str, list[TransitionRow]] = {}
    for row in rows:
        if row.from_node != row.to_node:  # an account's creation is recorded as a move onto its first node
            by_account.setdefault(row.account_id, []).append(row)
    moves = [Move(a, names.get(a, a), owners[a], node_label(rules, steps[0].from_node),
                  node_label(rules, steps[-1].to_node), steps[-1].at, len(steps)) for a, steps in by_account.items()]
    return sorted(moves, key=lambda m: m.at)


def _visits_and_questions(session: Session, rep_ids: set[str], names: dict[str, str], week: IsoWeek,
                          rules: RuleSet) -> tuple[list[VisitLine], list[QuestionLine]]:
    quality = rules.scores.visit_quality
    unanswered = default_reader().unanswered
    visits, questions = [], []
    rows = session.scalars(select(ExtractionRow).where(ExtractionRow.rep_id.in_(rep_ids),
                                                       ExtractionRow.reference_date >= week.start,
                                                       ExtractionRow.reference_date <= week.end)
                           .order_by(ExtractionRow.reference_date, ExtractionRow.id)).all()
    for row in rows:
        record = reviewed_record(session, row)
        name = names.get(row.account_id or "", row.hospital or "") or row.hospital or row.account_id or ""
        score, coach = None, False
        if record.get("visit"):
            result = quality.function()(Visit.model_validate({**record["visit"], "date": row.reference_date}), quality)
            score, coach = result.value, "coach" in result.flags
        summary = " ".join(row.text.split())
        visits.append(VisitLine(row.document_id, row.account_id, name, row.rep_id, row.reference_date, row.kind,
                                score, coach, summary[:SUMMARY_CHARS] + ("…" if len(summary) > SUMMARY_CHARS else "")))
        for unit in sentences(row.text):
            if first_hit(unanswered, unit.text):
                questions.append(QuestionLine(row.document_id, name, row.rep_id, row.reference_date, unit.text.strip()))
    return visits, questions


def weekly_report(settings: Settings, rep_ids: set[str], week: IsoWeek, now: dt.datetime | None = None,
                  talk_tracks: TalkTrackProvider | None = None) -> WeeklyReport:
    """The report of `rep_ids` (one rep, or a manager's team) for `week`, as of its end (or now, if sooner)."""
    now = now or dt.datetime.now()
    rules = default_ruleset()
    start, end = dt.datetime.combine(week.start, dt.time()), dt.datetime.combine(week.end + dt.timedelta(1), dt.time())
    as_of = min(now, end - dt.timedelta(seconds=1))
    engine = accounts_engine(settings)
    accounts = stored_accounts(engine, rep_ids)
    owners = {a.account_id: a.rep_id for a in accounts}
    names = account_names(engine, list(owners))
    people = rep_names(settings)
    report = WeeklyReport(week=week, rep_ids=sorted(rep_ids), rep_names={r: people.get(r, r) for r in rep_ids},
                          as_of=as_of)
    with Session(engine) as session:
        report.moves = _moves(session, owners, names, start, end, rules)
        report.visits, report.questions = _visits_and_questions(session, rep_ids, names, week, rules)
        # open now and already raised by the week's end (a later one was not open that week)
        for o in session.scalars(select(ObjectionRow).where(ObjectionRow.account_id.in_(set(owners)),
                                                            ObjectionRow.status == "open",
                                                            (ObjectionRow.raised_on <= week.end)
                                                            | ObjectionRow.raised_on.is_(None))
                                 .order_by(ObjectionRow.raised_on, ObjectionRow.id)):
            report.objections.append(ObjectionLine(
                o.account_id, names.get(o.account_id, o.account_id), owners[o.account_id], o.category, o.raised_on,
                o.evidence or "", o.raised_on is not None and week.start <= o.raised_on <= week.end))
    report.plan_actions, report.stalls = actions_and_stalls(accounts, names, as_of, rules, talk_tracks)
    next_week = week.shifted(1)
    report.plan_dates = key_dates_between(engine, accounts, rep_ids, next_week.start, next_week.end, names, rules)
    report.summaries = _summaries(report)
    return report


def _summaries(report: WeeklyReport) -> list[RepSummary]:
    summaries = {r: RepSummary(r, report.rep_names.get(r, r)) for r in report.rep_ids}
    for v in report.visits:
        s = summaries.get(v.rep_id or "")
        if s:
            s.visits += 1
            if v.quality is not None:
                s.quality_total += v.quality
                s.scored += 1
    for m in report.moves:
        if m.rep_id in summaries:
            summaries[m.rep_id].moves += 1
    for st in report.stalls:
        if st.rep_id in summaries:
            summaries[st.rep_id].stalls += 1
    for o in report.objections:
        if o.rep_id in summaries:
            summaries[o.rep_id].open_objections += 1
    return list(summaries.values())
