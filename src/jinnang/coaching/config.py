"""The YAML configuration of playbook search, validated on load and followed while running.

`load_concepts()`, `load_search_config()` and `load_playbook_config()` return the shipped
`coaching/config/*.yaml`, re-read when the file changes; an edit that does not validate is logged
(file, line, field) and the last good version stays in use. Given a path, they read that file.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from jinnang.core.config import ConfigFile, load_yaml_model
from jinnang.core.records import DOCUMENT_KINDS, OBJECTION_CATEGORIES

CONFIG_DIR = Path(__file__).resolve().parent / "config"
# what an intent can favour: a document kind, a deal outcome, or what a note records
# (`lesson`: a lost/open note that states its lesson; `action`: a won note that says what was done)
FACETS = DOCUMENT_KINDS + ("won", "lost", "open", "lesson", "action")
# any node id, not only the spec's: a journey variant (private hospitals) has nodes of its own
NODE_ID = r"^[a-z][a-z0-9_]*$"
T = TypeVar("T")


class Concept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["objection", "situation", "department", "journey", "intent"]
    terms: list[str] = Field(min_length=1)
    objection: Literal[OBJECTION_CATEGORIES] | None = None  # type: ignore[valid-type]
    department: str | None = None
    journey_node: str | None = Field(default=None, pattern=NODE_ID)
    weight: float = Field(default=1.0, ge=0, le=5)
    # (intent) extra score for documents with these facets when the query has this intent
    boost: dict[Literal[FACETS], float] = Field(default_factory=dict)  # type: ignore[valid-type]
    # concepts a query about this one should also find, at `related_weight` (准入材料 → 注册证)
    related: list[str] = Field(default_factory=list)

    @field_validator("terms")
    @classmethod
    def _no_blank_terms(cls, terms: list[str]) -> list[str]:
        cleaned = [str(t).strip() for t in terms]
        if any(not t for t in cleaned):
            raise ValueError("terms must not be blank")
        return cleaned

    @model_validator(mode="after")
    def _department_named(self) -> Concept:
        if self.kind == "department" and not self.department:
            raise ValueError("a department concept needs `department` (its canonical name)")
        return self


class ConceptLexicon(BaseModel):
    model_config = ConfigDict(extra="forbid")

    concepts: list[Concept] = Field(min_length=1)
    _derived: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> ConceptLexicon:
        seen: set[str] = set()
        for c in self.concepts:
            if c.id in seen:
                raise ValueError(f"concept id {c.id!r} is used twice")
            seen.add(c.id)
        for c in self.concepts:
            for r in c.related:
                if r not in seen:
                    raise ValueError(f"concept {c.id!r} is related to unknown concept {r!r}")
        return self

    def derived(self, name: str, build: Callable[[ConceptLexicon], T]) -> T:
        """Something computed from this version of the lexicon (term matcher, pinyin index), kept
        with it: an edited file is a new lexicon object, so nothing built from the old one survives."""
        if name not in self._derived:
            self._derived[name] = build(self)
        return self._derived[name]

    def by_id(self) -> dict[str, Concept]:
        return self.derived("by_id", lambda lexicon: {c.id: c for c in lexicon.concepts})


class ChannelWeights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    words: float = Field(ge=0)
    chars: float = Field(ge=0)
    concepts: float = Field(ge=0)
    dense: float = Field(ge=0)


class Prior(BaseModel):
    model_config = ConfigDict(extra="forbid")

    talk_track: float
    won: float
    lost: float
    open: float
    unknown: float = 0.0
    trial_feedback: float = 0.0
    action_bonus: float = 0.0
    lesson_bonus: float = 0.0


class Feedback(BaseModel):
    """Pseudo-relevance feedback: the concept tags shared by the first pass's best documents
    join the query (finds the other answers to a situation the query names only one way)."""
    model_config = ConfigDict(extra="forbid")

    docs: int = Field(default=0, ge=0, le=20)
    tags: int = Field(default=5, ge=1, le=50)
    weight: float = Field(default=0.0, ge=0, le=2)


LabelField = Literal["objection_category", "journey_node", "department", "product_line", "situation"]


def _default_label_fields() -> list[LabelField]:
    return ["objection_category", "journey_node", "department"]


class LabelClasses(BaseModel):
    """The query classified by label centroids of the indexed chunks (mined at index time)."""
    model_config = ConfigDict(extra="forbid")

    weight: float = Field(default=0.0, ge=0, le=2)
    temperature: float = Field(default=0.05, gt=0, le=10)
    fields: list[LabelField] = Field(default_factory=_default_label_fields)
    min_chunks: int = Field(default=3, ge=1, le=10000)


class SearchConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: ChannelWeights
    candidates: int = Field(default=200, ge=10, le=5000)
    related_weight: float = Field(default=0.5, ge=0, le=1)
    objection_label_weight: float = Field(default=0.5, ge=0, le=2)
    journey_label_weight: float = Field(default=0.0, ge=0, le=2)
    feedback: Feedback = Field(default_factory=Feedback)
    label_classes: LabelClasses = Field(default_factory=LabelClasses)
    prior: Prior
    action_cues: list[str] = Field(default_factory=list)
    lesson_cues: list[str] = Field(default_factory=list)
    snippet_chars: int = Field(default=120, ge=20, le=2000)
    # words of a query never highlighted in a hit (they carry the question, not the topic)
    highlight_skip: list[str] = Field(default_factory=list)


class PlaybookConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tip_cues: list[str] = Field(min_length=1)
    lesson_cues: list[str] = Field(min_length=1)
    tip_kinds: list[str] = Field(default_factory=lambda: ["visit_note"])
    max_tips_per_scenario: int = Field(default=12, ge=1, le=200)


CONCEPTS: ConfigFile[ConceptLexicon] = ConfigFile(CONFIG_DIR / "concepts.yaml", ConceptLexicon)
SEARCH: ConfigFile[SearchConfig] = ConfigFile(CONFIG_DIR / "search.yaml", SearchConfig)
PLAYBOOK: ConfigFile[PlaybookConfig] = ConfigFile(CONFIG_DIR / "playbook.yaml", PlaybookConfig)


def load_concepts(path: Path | None = None) -> ConceptLexicon:
    return CONCEPTS() if path is None else load_yaml_model(path, ConceptLexicon)


def load_search_config(path: Path | None = None) -> SearchConfig:
    return SEARCH() if path is None else load_yaml_model(path, SearchConfig)


def load_playbook_config(path: Path | None = None) -> PlaybookConfig:
    return PLAYBOOK() if path is None else load_yaml_model(path, PlaybookConfig)
