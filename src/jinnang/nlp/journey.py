"""The customer-journey node a note or trial feedback form shows (node ids of shared/spec/journey.md).

    >>> find_journey_node("院采委会议定在4月14号下午，我们排第三个议题。", "visit_note")
    ('committee_scheduled', '院采委会议定在4月14号')

The furthest node whose entry event the text reports wins; a routine note gives (None, None).
Signals live in `nlp/config/journey_signals.yaml`.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jinnang.nlp.checkboxes import mask_unticked
from jinnang.nlp.vocab import (
    CONFIG_DIR,
    CompiledRule,
    CueRule,
    FollowsFile,
    SignalRules,
    check_phrases,
    clause_around,
    compile_rules,
    first_hit,
    load_config,
    phrase_alternation,
    sentences,
)

# The node ids and their order are the spec's (shared/spec/journey.md), not configuration.
JOURNEY_NODES: tuple[str, ...] = (
    "first_contact", "tender_monitoring", "demo_scheduled", "admission_filing", "trial_confirmation_signed",
    "trial_in_progress", "multi_dept_review", "committee_scheduled", "committee_approved",
    "health_commission_filing", "legal_review", "contract_signed",
)


class TrialFeedbackRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interim_node: str
    final_node: str
    interim: list[CueRule] = Field(default_factory=list)
    period_labels: list[str] = Field(default_factory=list)


class NamedContactRules(BaseModel):
    """A node entered when its event sentence names a person the note ties to a department
    elsewhere: 参与：设备处 汤处长 … 3个工作日后试机，汤处长参加."""

    model_config = ConfigDict(extra="forbid")

    signals: list[CueRule] = Field(min_length=1)
    department: list[str] = Field(min_length=1)
    titles: list[str] = Field(min_length=1)


class JourneyVocab(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terms: dict[str, list[str]] = Field(default_factory=dict)
    nodes: dict[str, SignalRules]
    named_contact: dict[str, NamedContactRules] = Field(default_factory=dict)
    trial_feedback: TrialFeedbackRules

    @model_validator(mode="after")
    def _known_nodes(self) -> "JourneyVocab":
        for _i, node in enumerate(self.nodes):
            if node not in JOURNEY_NODES:
                raise ValueError(f"unknown journey node {node!r}; known: {', '.join(JOURNEY_NODES)} [at nodes/{node}]")
        for key in ("interim_node", "final_node"):
            if getattr(self.trial_feedback, key) not in JOURNEY_NODES:
                raise ValueError(f"unknown journey node [at trial_feedback/{key}]")
        for node, sig in self.nodes.items():
            check_phrases(sig.signals, self.terms, f"nodes/{node}/signals")
            check_phrases(sig.unless, self.terms, f"nodes/{node}/unless")
        check_phrases(self.trial_feedback.interim, self.terms, "trial_feedback/interim")
        for node, rules in self.named_contact.items():
            if node not in self.nodes:
                raise ValueError(f"named_contact for a node without signals: {node!r} [at named_contact/{node}]")
            check_phrases(rules.signals, self.terms, f"named_contact/{node}/signals")
            check_phrases([CueRule(id="department", any=rules.department, examples=["-"])], self.terms,
                          f"named_contact/{node}/department")
        return self


_FULL_DATE = re.compile(r"(\d{4})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_FORM_DATE = re.compile(r"(?:填表|反馈|填写|评价)?日期\s*[:：]?\s*")


def _dates(text: str) -> list[tuple[int, dt.date]]:
    """(offset, date) of the dates in `text`; a month-day without a year takes the previous year."""
    found: list[tuple[int, int | None, int, int]] = []
    for m in _FULL_DATE.finditer(text):
        found.append((m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3))))
    taken = [(m.start(), m.end()) for m in _FULL_DATE.finditer(text)]
    for m in _MONTH_DAY.finditer(text):
        if not any(a <= m.start() < b for a, b in taken):
            found.append((m.start(), None, int(m.group(1)), int(m.group(2))))
    found.sort()
    out: list[tuple[int, dt.date]] = []
    year = None
    for pos, y, mo, d in found:
        year = y or year
        if year is None:
            continue
        try:
            out.append((pos, dt.date(year, mo, d)))
        except ValueError:
            continue
    return out


class JourneyReader:
    def __init__(self, vocab: JourneyVocab):
        self.vocab = vocab
        terms = vocab.terms
        self.order = [n for n in JOURNEY_NODES if n in vocab.nodes]
        self.signals: dict[str, list[CompiledRule]] = {n: compile_rules(vocab.nodes[n].signals, terms) for n in self.order}
        self.unless: dict[str, list[CompiledRule]] = {n: compile_rules(vocab.nodes[n].unless, terms) for n in self.order}
        self.interim = compile_rules(vocab.trial_feedback.interim, terms)
        self.period_labels = vocab.trial_feedback.period_labels
        self.named: dict[str, tuple[list[CompiledRule], re.Pattern]] = {}
        for node, rules in vocab.named_contact.items():
            dept = phrase_alternation(rules.department, terms).pattern
            titles = "|".join(sorted(map(re.escape, rules.titles), key=len, reverse=True))
            # 设备处 汤处长 / 设备科的阮科长 / 医学工程部：骆工
            person = re.compile(rf"(?:{dept})[\s、，,：:的]*([\u4e00-\u9fff])[\u4e00-\u9fff]{{0,2}}?({titles})")
            self.named[node] = (compile_rules(rules.signals, terms), person)

    def _named_signal(self, node: str, text: str) -> str | None:
        rules, person = self.named[node]
        people = {m.group(1) + m.group(2) for m in person.finditer(text)}
        if not people:
            return None
        units = sentences(text)
        for rule in rules:
            for unit, hit in rule.search_units(text, units):
                clause = clause_around(unit, unit.start + hit.start, unit.start + hit.end)
                if first_hit(self.unless[node], clause.text) is not None:
                    continue
                if any(p in unit.text for p in people):
                    return text[unit.start + hit.start:unit.start + hit.end]
        return None

    def _signal(self, node: str, text: str) -> str | None:
        units = sentences(text)
        for rule in self.signals[node]:
            for unit, hit in rule.search_units(text, units):
                start, end = unit.start + hit.start, unit.start + hit.end
                clause = clause_around(unit, start, end)
                if first_hit(self.unless[node], clause.text) is not None:
                    continue
                return text[start:end]
        return None

    def _trial_still_running(self, text: str, reference_date: dt.date | None) -> bool:
        if reference_date is None:
            m = None
            for m in _FORM_DATE.finditer(text):
                pass
            if m is not None:
                after = _dates(text[m.end():m.end() + 20])
                reference_date = after[0][1] if after else None
        if reference_date is None:
            return False
        for label in self.period_labels:
            i = text.find(label)
            if i < 0:
                continue
            window = text[i:i + 60]
            dates = _dates(window)
            if len(dates) >= 2:
                return dates[1][1] > reference_date
        return False

    def read(self, text: str, kind: str = "visit_note",
             reference_date: dt.date | None = None) -> tuple[str | None, str | None]:
        best: tuple[str | None, str | None] = (None, None)
        text = mask_unticked(text)  # 试用阶段：□中期 ■结束 is a final form
        for node in self.order:  # journey order: a later node overrides an earlier one
            evidence = self._signal(node, text)
            if evidence is None and node in self.named:
                evidence = self._named_signal(node, text)
            if evidence is not None:
                best = (node, evidence)
        if kind == "trial_feedback":
            tf = self.vocab.trial_feedback
            interim_hit = next((text[h.start:h.end] for r in self.interim for h in r.search(text)), None)
            if interim_hit is None and self._trial_still_running(text, reference_date):
                interim_hit = "试用期未结束"
            floor = (tf.interim_node, interim_hit) if interim_hit else (tf.final_node, "试用反馈表（试用结束）")
            if interim_hit and best[0] is not None and JOURNEY_NODES.index(best[0]) > JOURNEY_NODES.index(floor[0]):
                # an interim form cannot report a review of a trial still running; a fixed
                # committee date (or anything after it) still counts
                if JOURNEY_NODES.index(best[0]) < JOURNEY_NODES.index("committee_scheduled"):
                    best = floor
            if best[0] is None or JOURNEY_NODES.index(best[0]) < JOURNEY_NODES.index(floor[0]):
                best = floor
        return best


def load_journey_vocab(path: Path | str | None = None) -> JourneyVocab:
    return load_config(path or CONFIG_DIR / "journey_signals.yaml", JourneyVocab)


# rebuilt when journey_signals.yaml changes (an edit that does not validate keeps the last good one)
default_reader = FollowsFile(CONFIG_DIR / "journey_signals.yaml", lambda path: JourneyReader(load_journey_vocab(path)))


def find_journey_node(text: str, kind: str = "visit_note",
                      reference_date: dt.date | None = None) -> tuple[str | None, str | None]:
    """(node id or None, the evidence text). `reference_date` (the form's date) helps tell an
    interim trial feedback form from a final one; without it the form's own 日期 line is used."""
    return default_reader().read(text, kind, reference_date)
