"""The CRM wire format (shared/spec/next-action.md): account snapshot in, suggestions out.

Validation is strict where a lax parse would hide a CRM bug: integers and booleans must be
JSON integers and booleans, dates must be real calendar dates written as ISO strings
(`2026-02-30T09:00:00` is refused naming `last_updated_at`), counts cannot be negative.
Unknown extra keys are accepted and ignored ("the project may accept more").
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from jinnang.core.records import CrossDeptNeed, DecisionMaker, ObjectionCategory, VisitFacts

# The action vocabulary of the spec's table (the `action` ids the eval scores), written once.
ActionId = Literal[
    "confirm_demo_time", "upload_missing_evidence", "escalate_to_manager", "handle_objection",
    "create_service_ticket", "cover_missing_role", "start_wakeup_plan", "lock_signing_date",
    "coach_visit", "schedule_follow_up",
]
ACTION_IDS: tuple[str, ...] = ActionId.__args__  # type: ignore[attr-defined]
Priority = Literal["high", "medium", "low"]
PRIORITIES: tuple[str, ...] = Priority.__args__  # type: ignore[attr-defined]

HospitalTier = Literal["三甲", "三乙", "二甲", "二乙", "民营专科", "other"]
CHINA = dt.timezone(dt.timedelta(hours=8))


def _iso_text(value: Any) -> Any:
    # a number would otherwise pass as a Unix timestamp
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("must be an ISO date string such as 2026-03-10T10:00:00")
    return value


# Dates outside this span are typos or sentinels; refusing them keeps date arithmetic
# (due dates, health windows, stall hours) from overflowing into a 500.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def _plausible_day(value: dt.date) -> dt.date:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"date {day.isoformat()} is outside {EARLIEST.year}–{LATEST.year}")
    return value


def _naive_china(value: dt.datetime) -> dt.datetime:
    # Rules compare CRM times with each other and with `now`: an offset-aware time becomes
    # China wall-clock time, so "+08:00" and naive times (read as China time) mix safely.
    if value.tzinfo is not None:
        return value.astimezone(CHINA).replace(tzinfo=None)
    return value


Timestamp = Annotated[dt.datetime, BeforeValidator(_iso_text), AfterValidator(_plausible_day),
                      AfterValidator(_naive_china)]
Day = Annotated[dt.date, BeforeValidator(_iso_text), AfterValidator(_plausible_day)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Document(_Wire):
    type: StrictStr = Field(min_length=1)
    uploaded_at: Timestamp
    stamped_by_both: StrictBool = False
    id: StrictStr | None = None


class Contact(DecisionMaker):
    """A person at the account: the extraction's decision-maker, as strict as the rest of the wire.

    The spec's keys are name, title, department and role; organization, confidence and the
    evidence spans come along when the contact was read from a note."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    name: StrictStr = Field(min_length=1)
    title: StrictStr | None = None
    department: StrictStr | None = None
    organization: StrictStr | None = None


class Visit(VisitFacts):
    """A visit: the extraction's visit facts plus the day it happened and the rep's notes."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    date: Day
    sample_brought: StrictBool = False
    questions_resolved: StrictInt = Field(default=0, ge=0)
    cross_dept_needs: list[CrossDeptNeed] = []
    notes: StrictStr | None = None


class OpenObjection(_Wire):
    category: ObjectionCategory
    raised_on: Day | None = None


class Order(_Wire):
    due: Day
    delivered: Day | None = None


class ServiceTicket(_Wire):
    id: StrictStr | StrictInt
    status: StrictStr
    opened_at: Timestamp | None = None


class SigningDate(_Wire):
    """A locked predicted signing date (set by a lock_signing_date trigger, movable by ±N days)."""

    predicted: Day
    base: Day
    locked_at: Timestamp | None = None
    adjusted_by: StrictStr | None = None


class AccountFields(_Wire):
    """`fields` of the snapshot. Known date fields are checked as dates; others pass through."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    budget_approval_no: StrictStr | None = None
    device_model: StrictStr | None = None
    demo_date: Day | None = None
    trial_start: Day | None = None
    trial_end: Day | None = None
    committee_meeting_date: Day | None = None

    def get(self, key: str) -> Any:
        value = getattr(self, key, None) if key in type(self).model_fields else (self.model_extra or {}).get(key)
        return None if value in ("", []) else value


class AccountSnapshot(_Wire):
    account_id: StrictStr = Field(min_length=1)
    hospital: StrictStr | None = None
    hospital_tier: HospitalTier = "other"
    is_public: StrictBool = False
    province: StrictStr | None = None
    city: StrictStr | None = None
    hospital_type: StrictStr | None = None   # as the CRM writes it: 公立 / 民营 / 公立三甲 …; 公立 makes is_public
    product_line: StrictStr | None = None
    department: StrictStr | None = None
    rep_id: StrictStr = Field(min_length=1)
    manager_id: StrictStr | None = None
    journey_node: StrictStr = Field(min_length=1)
    node_entered_at: Timestamp
    last_updated_at: Timestamp
    fields: AccountFields = AccountFields()
    documents: list[Document] = []
    contacts: list[Contact] = []
    visits: list[Visit] = []
    open_objections: list[OpenObjection] = []
    orders: list[Order] = []
    service_tickets: list[ServiceTicket] = []
    signing_date: SigningDate | None = None
    # where hospital, province, … manager_id came from ("crm", "import", "document:<id>"): an upload
    # fills only what no one has set, and never overwrites what the CRM or its account list said
    field_sources: dict[str, StrictStr] = {}


class NextActionRequest(_Wire):
    """One line of `jinnang next-action --jsonl`: {"id", "now", "account"}."""

    id: Any = None
    now: Timestamp | None = None
    account: dict[str, Any]


class EvidenceItem(BaseModel):
    source: str
    id: str | None = None
    snippet: str


class Suggestion(BaseModel):
    action: ActionId
    priority: Priority
    notify: list[str]
    reason: str
    message: str
    evidence: list[EvidenceItem] = []
    due: dt.date
    details: dict[str, Any] = {}


class StallAlert(BaseModel):
    node: str
    idle_hours: float
    limit_hours: float
    notify: list[str]
    message: str
    mark: str | None = None


class NextActionResponse(BaseModel):
    account_id: str
    generated_at: dt.datetime
    rule_set: str
    suggestions: list[Suggestion]
    alerts: list[StallAlert] = []
    scores: dict[str, Any] = {}
    warnings: list[str] = []
