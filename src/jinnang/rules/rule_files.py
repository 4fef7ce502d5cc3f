"""The rule files (YAML under rules/config/) as validated pydantic models, and the RuleSet they make.

Node names, evidence, stall limits, triggers, weights, thresholds and messages live only
in the rule files. Validation names the file, line and field of any mistake, e.g.
``rules/config/journey.yaml, line 41, field nodes[2].stall.limit: '72 hours' is not a
duration like 72h or 14d``. A rule entry names a registered function, so the registries must
be filled first: load through `rules.config`, which does that.
"""
from __future__ import annotations

import re
import string
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

from jinnang.rules import registry
from jinnang.rules.models import ActionId, Priority

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
    name_key: ClassVar[str] = "rule"      # the key that names the function (`formula` for scores)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @property
    def registered_name(self) -> str:
        return str(getattr(self, self.name_key))

    @model_validator(mode="after")
    def _known_and_params(self):
        try:
            fn = registry.resolve(self.kind, self.registered_name)
        except registry.UnknownRule:
            raise ValueError(f"{self.registered_name!r} is not a registered {self.kind} rule; known: "
                             f"{', '.join(registry.known(self.kind))} [at {self.name_key}]") from None
        model = getattr(fn, "Params", None)
        if model is not None:
            object.__setattr__(self, "__pydantic_extra__", model.model_validate(self.params).model_dump())
        return self

    def function(self) -> Any:
        return registry.resolve(self.kind, self.registered_name)


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
    name_key: ClassVar[str] = "formula"
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


class RuleSet:
    """One journey with its scores, suggestions and account-update settings."""

    def __init__(self, journey: JourneyFile, scores: ScoresFile, next_actions: NextActionsFile,
                 accounts: AccountsFile, sources: dict[str, Path]):
        self.journey, self.scores, self.next_actions, self.accounts = journey, scores, next_actions, accounts
        self.sources = sources
        self.nodes = journey.nodes
        # the loaded journey's node ids in order (a variant journey has its own)
        self.node_order: tuple[str, ...] = tuple(n.id for n in journey.nodes)
        self.node_by_id = {n.id: n for n in journey.nodes}
        self.node_number = {node_id: i for i, node_id in enumerate(self.node_order, start=1)}

    @property
    def name(self) -> str:
        return self.journey.name
