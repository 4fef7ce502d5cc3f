"""Typed records that pass between ingest → nlp → rules → coaching → api.

Defined once here; every package imports them from this module. Field names and
vocabularies follow shared/spec/gold-format.md exactly; the extra fields
(evidence spans, confidence) are welcome by the CLI contract.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DocumentKind = Literal["visit_note", "trial_feedback", "talk_track"]
DOCUMENT_KINDS: tuple[str, ...] = DocumentKind.__args__  # type: ignore[attr-defined]
NoteKind = Literal["visit_note", "trial_feedback"]  # the kinds extraction reads
NOTE_KINDS: tuple[str, ...] = NoteKind.__args__  # type: ignore[attr-defined]

Role = Literal[
    "clinical_lead", "clinical_user", "equipment_dept", "procurement", "committee",
    "hospital_leader", "finance", "it", "other",
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]

ObjectionCategory = Literal[
    "price", "budget", "competitor", "clinical", "compliance", "process", "integration", "service",
]
OBJECTION_CATEGORIES: tuple[str, ...] = ObjectionCategory.__args__  # type: ignore[attr-defined]

KeyDateType = Literal[
    "next_meeting", "demo", "trial_start", "trial_end", "tender", "committee_meeting",
    "budget_approval", "contract_signing", "delivery", "other",
]
KEY_DATE_TYPES: tuple[str, ...] = KeyDateType.__args__  # type: ignore[attr-defined]

# The spec's journey (shared/spec/journey.md), in order: the gold format's `journey_node`
# vocabulary. A journey file may define other nodes (the private-hospital variant does); code
# that orders nodes takes the loaded journey's order from service/ and falls back to this one.
JOURNEY_NODES: tuple[str, ...] = (
    "first_contact", "tender_monitoring", "demo_scheduled", "admission_filing", "trial_confirmation_signed",
    "trial_in_progress", "multi_dept_review", "committee_scheduled", "committee_approved",
    "health_commission_filing", "legal_review", "contract_signed",
)

CrossDeptNeed = Literal["clinical_training", "custom_interface", "compliance_docs"]

EntityLabel = Literal["name", "position", "organization", "department"]


class Evidence(BaseModel):
    """Where a fact was read: a character span of the text (end exclusive)."""

    text: str
    start: int | None = None
    end: int | None = None
    document_id: str | None = None
    page: int | None = None


class Entity(BaseModel):
    label: EntityLabel
    text: str
    start: int
    end: int


class DecisionMaker(BaseModel):
    name: str
    title: str | None = None
    department: str | None = None
    organization: str | None = None
    role: Role = "other"
    confidence: float = 1.0
    evidence: list[Evidence] = Field(default_factory=list)


class Objection(BaseModel):
    category: ObjectionCategory
    evidence: str
    start: int | None = None
    end: int | None = None
    confidence: float = 1.0
    document_id: str | None = None
    page: int | None = None


class KeyDate(BaseModel):
    type: KeyDateType
    date: dt.date
    evidence: str | None = None
    start: int | None = None
    end: int | None = None
    confidence: float = 1.0
    document_id: str | None = None
    page: int | None = None


class VisitFacts(BaseModel):
    sample_brought: bool = False
    questions_resolved: int = Field(default=0, ge=0)
    cross_dept_needs: list[CrossDeptNeed] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


class ExtractionRecord(BaseModel):
    """What one visit note or trial feedback form says, in gold-format shape."""

    decision_makers: list[DecisionMaker] = Field(default_factory=list)
    objections: list[Objection] = Field(default_factory=list)
    key_dates: list[KeyDate] = Field(default_factory=list)
    visit: VisitFacts | None = None
    journey_node: str | None = None
    journey_evidence: str | None = None
    # set when the learned model (nlp/journey_model.py), not a rule, named the node: its probability
    # calibrated on held-out notes
    journey_learned_p: float | None = Field(default=None, ge=0.0, le=1.0)
    warnings: list[str] = Field(default_factory=list)


class ExtractionInput(BaseModel):
    """One line of `jinnang extract --jsonl`."""

    model_config = ConfigDict(extra="ignore")

    id: str | int | None = None
    text: str = Field(min_length=1)
    reference_date: dt.date
    kind: NoteKind = "visit_note"


class OcrLine(BaseModel):
    text: str
    confidence: float
    box: tuple[int, int, int, int] | None = None  # x0, y0, x1, y1 in page pixels


class OcrPage(BaseModel):
    page: int = 1
    engine: str
    lines: list[OcrLine] = Field(default_factory=list)
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)
