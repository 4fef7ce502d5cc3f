"""Cue vocabularies of the extractors: YAML under `nlp/config/`, validated on load.

A sales-operations person edits the YAML; each file is held by one `jinnang.core.config.ConfigFile`
(read again when it changes, the last good version kept on a bad edit), and a mistake is a
`ConfigError` naming the file, the line and the field, e.g.
`objections.yaml, line 42, field categories.price.cues[3].any[0]: bad phrase …`.

The shared piece is `CueRule`: a phrase rule that fires on a text span.

    any:  [太贵, 报价高]                # one of these phrases
    all:  [[预算, 额度], [没有, 用完]]    # one phrase from each group, within `within` chars
    examples: [报价高了点]               # phrasings the rule exists for (tests check each fires)

Phrases are regular-expression fragments (so `比.{0,8}贵` is allowed); `@name` stands for the
shared word list `terms.name` of the same file.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jinnang.core.text import SENTENCE_END, SENTENCE_OR_LINE_END

CONFIG_DIR = Path(__file__).resolve().parent / "config"


# ---------------------------------------------------------------- cue rules

class CueRule(BaseModel):
    """A phrase rule: `any` phrases, or one phrase from each group of `all` close together."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    any: list[str] = Field(default_factory=list)
    all: list[list[str]] = Field(default_factory=list)
    within: int = Field(default=24, ge=1, le=200)
    ordered: bool = False  # `all` groups must occur in the order written
    weight: float = Field(default=0.8, gt=0, le=1)
    examples: list[str] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> "CueRule":
        if bool(self.any) == bool(self.all):
            raise ValueError("give exactly one of `any` (phrases) or `all` (groups of phrases)")
        for gi, group in enumerate(self.all):
            if not group:
                raise ValueError(f"a group of `all` is empty [at all/{gi}]")
        return self

    def groups(self) -> list[list[str]]:
        return [self.any] if self.any else self.all


class SignalRules(BaseModel):
    """Rules that report something (`signals`) and the phrasings that cancel them (`unless`)."""

    model_config = ConfigDict(extra="forbid")

    signals: list[CueRule] = Field(min_length=1)
    unless: list[CueRule] = Field(default_factory=list)


def check_phrases(rules: list[CueRule], terms: dict[str, list[str]], field: str) -> None:
    """Compile every phrase now, so a bad regex or unknown @term fails at load, not mid-request."""
    for ri, rule in enumerate(rules):
        for gi, group in enumerate(rule.groups()):
            for pi, phrase in enumerate(group):
                where = f"{field}/{ri}/" + (f"any/{pi}" if rule.any else f"all/{gi}/{pi}")
                try:
                    re.compile(_expand(phrase, terms))
                except KeyError as exc:
                    raise ValueError(f"unknown term list @{exc.args[0]} [at {where}]") from None
                except re.error as exc:
                    raise ValueError(f"bad phrase {phrase!r}: {exc} [at {where}]") from None


def _expand(phrase: str, terms: dict[str, list[str]]) -> str:
    def repl(m: re.Match) -> str:
        words = terms[m.group(1)]
        return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"

    return re.sub(r"@([a-z_][a-z0-9_]*)", repl, phrase)


def phrase_alternation(phrases: list[str], terms: dict[str, list[str]]) -> re.Pattern:
    """One case-insensitive pattern for config phrases, `@term` lists expanded, longest first."""
    parts = sorted((_expand(p, terms) for p in phrases), key=len, reverse=True)
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Hit:
    rule: str
    start: int
    end: int
    weight: float


class CompiledRule:
    """A CueRule ready to search a text unit; spans are offsets in the unit."""

    def __init__(self, rule: CueRule, terms: dict[str, list[str]]):
        self.id = rule.id
        self.weight = rule.weight
        self.within = rule.within
        self.ordered = rule.ordered
        self.patterns = [phrase_alternation(g, terms) for g in rule.groups()]

    def present(self, text: str) -> bool:
        """Cheap pre-check on a whole text: every group occurs somewhere."""
        return all(p.search(text) for p in self.patterns)

    def search_units(self, text: str, units: tuple["Unit", ...]) -> Iterator[tuple["Unit", Hit]]:
        """Hits sentence by sentence (a rule never spans two sentences)."""
        if not self.present(text):
            return
        for unit in units:
            for hit in self.search(unit.text):
                yield unit, hit

    def search(self, text: str) -> Iterator[Hit]:
        first, rest = self.patterns[0], self.patterns[1:]
        others = [[(m.start(), m.end()) for m in p.finditer(text)] for p in rest]
        if any(not o for o in others):
            return
        # matches of one pattern come in text order, so starts and ends are both sorted: the
        # spans within reach are one slice, found by bisection (a long transcript is one sentence)
        bounds = [([s for s, _ in spans], [e for _, e in spans]) for spans in others]
        for m in first.finditer(text):
            if m.start() == m.end():
                continue
            start, end = m.start(), m.end()
            ok = True
            for spans, (starts, ends) in zip(others, bounds):
                reach = spans[bisect_right(ends, m.start() - self.within):bisect_left(starts, m.end() + self.within)]
                near = [s for s in reach if not self.ordered or s[0] >= end]
                if not near:
                    ok = False
                    break
                s = min(near, key=lambda s: abs(s[0] - m.start()))
                start, end = min(start, s[0]), max(end, s[1])
            if ok:
                yield Hit(self.id, start, end, self.weight)


def compile_rules(rules: list[CueRule], terms: dict[str, list[str]]) -> list[CompiledRule]:
    return [CompiledRule(r, terms) for r in rules]


def first_hit(rules: list[CompiledRule], text: str) -> Hit | None:
    for rule in rules:
        for hit in rule.search(text):
            return hit
    return None


# ---------------------------------------------------------------- text units

@dataclass(frozen=True)
class Unit:
    """A sentence or list item (start/end are offsets in the whole text)."""

    text: str
    start: int
    end: int


_SENTENCE_END = re.compile(f"[{re.escape(SENTENCE_OR_LINE_END)}]+")
_LIST_MARK = re.compile(r"^\s*(?:[-·•*■□☑]|[①②③④⑤⑥⑦⑧⑨⑩]|[(（]?\d{1,2}[)）.、．]|[一二三四五六七八九十]+、|[^，。；\s]{1,8}[:：])")


def _wrapped_breaks(text: str) -> list[int]:
    """Offsets of line breaks inside a sentence: prose wrapped by hand in a form cell or OCR line
    ("…需按我院新SPD供应商\n标准重新开发"), as opposed to a new field, item or sentence."""
    out, pos = [], 0
    lines = text.split("\n")
    for line, nxt in zip(lines, lines[1:]):
        pos += len(line)
        s = line.rstrip()
        if s and nxt.strip() and not _LIST_MARK.match(nxt):
            if s[-1] in "，,、" or (len(s) >= 12 and s[-1] not in SENTENCE_END + "：:|）)】" and re.search("[，。；,;]", s)):
                out.append(pos)
        pos += 1
    return out
# list items inside one line: ①②…, "(1)", "1." / "1、" (not decimals like 2.0)
_ITEM_START = re.compile(r"(?<![①②③④⑤⑥⑦⑧⑨⑩])(?=[①②③④⑤⑥⑦⑧⑨⑩])|(?<=[\s　：:])(?=[(（]?\d{1,2}[)）]|\d{1,2}[、.．](?!\d))")
# a plain space between Chinese words is a pause in voice-to-text transcripts without punctuation
_CLAUSE_END = re.compile(r"[，,：:、　]+|——|--|(?<=[\u4e00-\u9fff])[ \t]+(?=[\u4e00-\u9fff])")


def _pieces(text: str, start: int, splitter: re.Pattern) -> list[Unit]:
    out, last = [], 0
    for m in splitter.finditer(text):
        if m.start() > last:
            out.append(Unit(text[last:m.start()], start + last, start + m.start()))
        last = m.end()
    if last < len(text):
        out.append(Unit(text[last:], start + last, start + len(text)))
    return out


def _split_items(unit: Unit) -> list[Unit]:
    cuts = sorted({m.start() for m in _ITEM_START.finditer(unit.text)} | {0, len(unit.text)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        piece = unit.text[a:b]
        stripped = piece.rstrip(" \t")
        if stripped.strip():
            lead = len(stripped) - len(stripped.lstrip(" \t"))
            out.append(Unit(stripped.lstrip(" \t"), unit.start + a + lead, unit.start + a + len(stripped)))
    return out


# The finders of one note ask for its sentences and clauses many times (7% of extraction when
# split anew each time). The caches hold only the last few notes: nothing outlives them, so
# nothing needs clearing, and a benchmark over more than a handful of notes is never served
# from a previous round.
@lru_cache(maxsize=8)
def sentences(text: str) -> tuple[Unit, ...]:
    """Sentences and list items of `text`, e.g. "价格高。①接口②培训" → 价格高 / ①接口 / ②培训."""
    out: list[Unit] = []
    # hide wrapped line breaks from the sentence splitter (same length, so offsets stay)
    masked = text
    for i in _wrapped_breaks(text):
        masked = masked[:i] + "\u2060" + masked[i + 1:]
    for unit in _pieces(masked, 0, _SENTENCE_END):
        unit = Unit(text[unit.start:unit.end], unit.start, unit.end)
        out.extend(_split_items(unit))
    return tuple(out)


@lru_cache(maxsize=256)
def clauses(unit: Unit) -> tuple[Unit, ...]:
    """Comma-level clauses of a sentence (offsets in the whole text)."""
    return tuple(_pieces(unit.text, unit.start, _CLAUSE_END)) or (unit,)


def clause_around(unit: Unit, start: int, end: int) -> Unit:
    """The stretch of clauses of `unit` that overlaps [start, end) (whole-text offsets)."""
    parts = [c for c in clauses(unit) if c.start < end and c.end > start]
    if not parts:
        return unit
    a, b = parts[0].start, parts[-1].end
    return Unit(unit.text[a - unit.start:b - unit.start], a, b)
