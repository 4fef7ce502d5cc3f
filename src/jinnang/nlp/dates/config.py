"""The cue words of key-date typing: `nlp/config/dates.yaml`, validated, held by one ConfigFile
(an edit is picked up while running; a bad edit keeps the last good version)."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jinnang.core.config import ConfigFile
from jinnang.core.records import KeyDateType

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "dates.yaml"

# Generic cues (a meeting, a deadline) give way to any cue naming a deal event in the same clause.
GENERIC_TYPES = ("next_meeting", "other")


class CueGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: KeyDateType | None = None
    reason: str | None = None
    cues: list[str] = Field(min_length=1)
    max_gap: int | None = Field(default=None, ge=0)
    side: Literal["any", "before", "after"] = "any"
    # the cue only counts when the date's sentence also holds one of these words
    requires: list[str] = Field(default_factory=list)
    # generic cues (a meeting, a deadline) give way to any specific one in the same clause;
    # unset: generic for next_meeting and other, specific for the rest
    generic: bool | None = None
    # the cue does not count right after one of these words (带授权书去设备科 is a visit, not a document)
    not_after: list[str] = Field(default_factory=list)
    # a cue of this group standing right before the date wins over a specific cue far after it
    # (Next meeting on 4月15日 … the demo), where 约了10月15日…演示 stays a demo
    adjacent_wins: bool = False
    # phrasings the group exists for; the tests check each is typed (or left out) by this group
    examples: list[str] = Field(default_factory=list)

    @property
    def is_generic(self) -> bool:
        return self.generic if self.generic is not None else self.type in GENERIC_TYPES

    @field_validator("cues")
    @classmethod
    def _cues_not_blank(cls, cues: list[str]) -> list[str]:
        for cue in cues:
            if not str(cue).strip():
                raise ValueError("a cue may not be blank")
        return [str(c) for c in cues]

class DatesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: int = Field(default=24, ge=1, le=200)
    # the date's own clause is read this far at most (a transcript without punctuation is one long clause)
    clause_window: int = Field(default=48, ge=1, le=400)
    default_type: KeyDateType = "other"
    types: list[CueGroup]
    exclude: list[CueGroup] = Field(default_factory=list)
    trial_range_cues: list[str] = Field(min_length=1)
    trial_lookback: int = Field(default=16, ge=1, le=200)
    trial_lookahead: int = Field(default=8, ge=0, le=200)
    header_labels: list[str] = Field(default_factory=list)
    # 明日计划： / 下周计划： a date word naming a report's section heads the plan, it is no date itself
    section_heading_after: list[str] = Field(default_factory=list)
    approximate_after: list[str] = Field(default_factory=list)
    approximate_before: list[str] = Field(default_factory=list)
    either_or_after: list[str] = Field(default_factory=list)
    recurring_before: list[str] = Field(default_factory=list)
    lunar_before: list[str] = Field(default_factory=list)
    rescheduled_before: list[str] = Field(default_factory=list)
    # 三天后才到: a relative day followed by one of these narrates the past
    past_narration_after: list[str] = Field(default_factory=list)
    # a specific cue further than this beyond a generic cue standing right next to the date
    # gives way to it (Next meeting on 4月15日 … trial plan; 下周一去找院长，党委会…)
    adjacent_generic_gap: int = Field(default=4, ge=0, le=50)
    adjacent_generic_margin: int = Field(default=6, ge=0, le=100)

    @field_validator("types")
    @classmethod
    def _types_are_typed(cls, groups: list[CueGroup]) -> list[CueGroup]:
        for group in groups:
            if group.type is None:
                raise ValueError("each entry under types needs a `type`")
        return groups

    @field_validator("exclude")
    @classmethod
    def _exclusions_have_reason(cls, groups: list[CueGroup]) -> list[CueGroup]:
        for group in groups:
            if not group.reason or group.type is not None:
                raise ValueError("each entry under exclude needs a `reason` and no `type`")
        return groups


# parsed once per file version: re-reading the YAML for every note cost ~35 ms a note
dates_config: ConfigFile[DatesConfig] = ConfigFile(CONFIG_PATH, DatesConfig)
"""The shipped dates.yaml: `dates_config()` is the version in use."""
