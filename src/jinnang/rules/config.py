"""Rule files (YAML under rules/config/) → validated pydantic models.

Node names, evidence, stall limits, triggers, weights, thresholds and messages live only
in the rule files. Loading validates them and names the file, line and field of any
mistake, e.g. ``rules/config/journey.yaml, line 41, field nodes[2].stall.limit: '72 hours' is not a
duration like 72h or 14d``.
"""
from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from jinnang.core.config import ConfigError, load_yaml_model
from jinnang.rules import registry

CONFIG_DIR = Path(__file__).resolve().parent / "config"

ACTION_IDS = (
    "confirm_demo_time", "upload_missing_evidence", "escalate_to_manager", "handle_objection",
    "create_service_ticket", "cover_missing_role", "start_wakeup_plan", "lock_signing_date",
    "coach_visit", "schedule_follow_up",
)
ActionId = Literal[
    "confirm_demo_time", "upload_missing_evidence", "escalate_to_manager", "handle_objection",
    "create_service_ticket", "cover_missing_role", "start_wakeup_plan", "lock_signing_date",
    "coach_visit", "schedule_follow_up",
]
Priority = Literal["high", "medium", "low"]
Recipient = Literal["rep", "manager"]

# Placeholders a reason or message may use; a typo in a rule file fails at load, not at 2 a.m.
PLACEHOLDERS = {
    "node", "node_label", "idle", "limit", "idle_hours", "limit_hours", "missing", "categories",
    "roles", "health", "score", "visit_date", "days_since_visit", "plan", "date", "upload_date",
    "engineer", "engineer_name", "engineer_phone", "hospital", "device_model", "stall_message",
    "reasons", "workdays", "warning", "times", "adjust_days", "threshold",
}



def _hours(value: Any) -> float:
    """'72h' → 72.0, '14d' → 336.0, '2w' → 336.0; a bare number is hours."""
    if isinstance(value, bool):
        raise ValueError("must be a duration like 72h or 14d")
    if isinstance(value, (int, float)):
        return float(value)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hdw])\s*", str(value))
    if not m:
        raise ValueError(f"{value!r} is not a duration like 72h or 14d")
    return float(m.group(1)) * {"h": 1, "d": 24, "w": 168}[m.group(2)]


Hours = Annotated[float, BeforeValidator(_hours)]


def _check_template(text: str) -> str:
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None and name not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {{{name}}}; known: {', '.join(sorted(PLACEHOLDERS))}")
    return text


Template = Annotated[str, BeforeValidator(lambda v: _check_template(v) if isinstance(v, str) else v)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Registered(BaseModel):
    """A rule entry naming a registered function; its other keys are that function's params."""

    model_config = ConfigDict(extra="allow", frozen=True)
    kind: ClassVar[str] = ""

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @model_validator(mode="after")
    def _known_and_params(self):
        name = getattr(self, "rule", None) or getattr(self, "formula", None)
        try:
            fn = registry.resolve(self.kind, name)
        except Exception:
            field = "rule" if getattr(self, "rule", None) else "formula"
            raise ValueError(f"{name!r} is not a registered {self.kind} rule; known: "
                             f"{', '.join(registry.known(self.kind))} [at {field}]") from None
        model = getattr(fn, "Params", None)
        if model is not None:
            object.__setattr__(self, "__pydantic_extra__", model.model_validate(self.params).model_dump())
        return self

    def function(self):
        return registry.resolve(self.kind, getattr(self, "rule", None) or getattr(self, "formula", None))


class DocumentRequirement(_Strict):
    type: str
    min_count: int = Field(default=1, ge=1)
    label: str | None = None


def _document_requirement(value: Any) -> Any:
    return {"type": value} if isinstance(value, str) else value


class ContactRequirement(_Strict):
    role: str | None = None            # a contact with this role …
    with_field: str | None = None      # … or with this attribute filled in (e.g. department)
    label: str

    @model_validator(mode="after")
    def _one_condition(self):
        if not (self.role or self.with_field):
            raise ValueError("a contact requirement needs `role` or `with_field`")
        return self


class FieldRequirement(_Strict):
    key: str
    label: str


def _field_requirement(value: Any) -> Any:
    return {"key": value, "label": value} if isinstance(value, str) else value


class EvidenceRequirement(_Strict):
    documents: list[Annotated[DocumentRequirement, BeforeValidator(_document_requirement)]] = []
    fields: list[Annotated[FieldRequirement, BeforeValidator(_field_requirement)]] = []
    contacts: list[ContactRequirement] = []


class StallRule(_Registered):
    kind: ClassVar[str] = "stall"
    rule: str
    limit: Hours
    notify: list[Recipient]
    message: Template
    mark: str | None = None                    # e.g. red: shown on the account in the CRM
    actions: list[ActionId] = []               # suggestion ids this stall yields besides escalation


class TriggerRule(_Registered):
    kind: ClassVar[str] = "trigger"
    rule: str
    action: ActionId | None = None
    message: Template = ""


class Node(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    evidence: EvidenceRequirement = EvidenceRequirement()
    stall: StallRule | None = None
    on_enter: list[TriggerRule] = []
    on_document: list[TriggerRule] = []


class FieldRule(_Registered):
    kind: ClassVar[str] = "field"
    rule: str
    field: str
    label: str


class Engineer(_Strict):
    id: str
    name: str
    phone: str
    provinces: list[str] = []   # empty = anywhere


class JourneyFile(_Strict):
    name: str
    description: str = ""
    nodes: list[Node] = Field(min_length=1)
    field_rules: list[FieldRule] = []
    engineers: list[Engineer] = []

    @field_validator("nodes")
    @classmethod
    def _unique_ids(cls, nodes: list[Node]) -> list[Node]:
        seen: set[str] = set()
        for node in nodes:
            if node.id in seen:
                raise ValueError(f"node id {node.id!r} appears twice")
            seen.add(node.id)
        return nodes


class ScoreRule(_Registered):
    kind: ClassVar[str] = "score"
    formula: str
    description: str = ""


class ScoresFile(_Strict):
    visit_quality: ScoreRule
    customer_health: ScoreRule
    process_health: ScoreRule
    forecast_accuracy: ScoreRule


class ActionRule(_Registered):
    kind: ClassVar[str] = "action"
    action: ActionId
    rule: str
    priority: Priority
    notify: list[Recipient]
    due_in_days: int = Field(ge=0)
    reason: Template
    message: Template


class NextActionsFile(_Strict):
    suggestions: list[ActionRule]

    @field_validator("suggestions")
    @classmethod
    def _one_rule_per_action(cls, rules: list[ActionRule]) -> list[ActionRule]:
        seen = [r.action for r in rules]
        dupes = {a for a in seen if seen.count(a) > 1}
        if dupes:
            raise ValueError(f"action(s) configured twice: {', '.join(sorted(dupes))}")
        return rules


class AccountsFile(_Strict):
    """How extracted records update stored accounts (rules.accounts)."""

    key_date_fields: dict[str, str]            # key-date type → account field
    resolved_cues: list[str]                   # objection evidence with one of these counts as resolved
    first_meeting_within_days: int = Field(ge=1)


def load_file(path: Path | str, model: type[BaseModel]) -> BaseModel:
    return load_yaml_model(path, model)


class RuleSet:
    """One journey with its scores, suggestions and account-update settings."""

    def __init__(self, journey: JourneyFile, scores: ScoresFile, next_actions: NextActionsFile,
                 accounts: AccountsFile, sources: dict[str, Path]):
        self.journey, self.scores, self.next_actions, self.accounts = journey, scores, next_actions, accounts
        self.sources = sources
        self.nodes = journey.nodes
        self.node_by_id = {n.id: n for n in journey.nodes}
        self.node_number = {n.id: i for i, n in enumerate(journey.nodes, start=1)}
        self._check_cross_references()

    @property
    def name(self) -> str:
        return self.journey.name

    def _check_cross_references(self) -> None:
        unknown = [r.action for r in self.next_actions.suggestions if r.action not in ACTION_IDS]
        if unknown:  # pragma: no cover - Literal already guards this
            raise ConfigError(self.sources["next_actions"], None, "suggestions", f"unknown actions {unknown}")


def load_ruleset(journey: Path | str | None = None, scores: Path | str | None = None,
                 next_actions: Path | str | None = None, accounts: Path | str | None = None) -> RuleSet:
    """`load_ruleset()` is the default journey; `load_ruleset("variants/x.yaml")` swaps the journey only."""
    sources = {
        "journey": Path(journey) if journey else CONFIG_DIR / "journey.yaml",
        "scores": Path(scores) if scores else CONFIG_DIR / "scores.yaml",
        "next_actions": Path(next_actions) if next_actions else CONFIG_DIR / "next_actions.yaml",
        "accounts": Path(accounts) if accounts else CONFIG_DIR / "accounts.yaml",
    }
    return RuleSet(
        journey=load_file(sources["journey"], JourneyFile),
        scores=load_file(sources["scores"], ScoresFile),
        next_actions=load_file(sources["next_actions"], NextActionsFile),
        accounts=load_file(sources["accounts"], AccountsFile),
        sources=sources,
    )


@lru_cache(maxsize=1)
def default_ruleset() -> RuleSet:
    return load_ruleset()
