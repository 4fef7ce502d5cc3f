"""The customer-journey node a note or trial feedback form shows (node ids of shared/spec/journey.md).

    >>> find_journey_node("院采委会议定在4月14号下午，我们排第三个议题。", "visit_note")
    JourneyReading(node='committee_scheduled', evidence='院采委会议定在4月14号')

The furthest node whose entry event the text reports wins; a routine note gives (None, None).
Signals live in `nlp/config/journey_signals.yaml`.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jinnang.core.config import ConfigFile
from jinnang.core.records import JOURNEY_NODES
from jinnang.nlp.checkboxes import mask_unticked
from jinnang.nlp.dates import written_days
from jinnang.nlp.vocab import (
    CONFIG_DIR,
    CompiledRule,
    CueRule,
    SignalRules,
    check_phrases,
    clause_around,
    compile_rules,
    first_hit,
    phrase_alternation,
    sentences,
)

SIGNALS_PATH = CONFIG_DIR / "journey_signals.yaml"


class TrialFeedbackRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interim_node: str
    final_node: str
    # on an interim form (trial still running) a node after interim_node counts only from this
    # one on (a fixed committee date still does); unset: none counts
    counts_during_trial_from: str | None = None
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
    """journey_signals.yaml. Node ids are checked against `node_order`: the spec's by default,
    a variant journey's through `JourneyVocab.for_order(...)`."""

    model_config = ConfigDict(extra="forbid")
    node_order: ClassVar[tuple[str, ...]] = JOURNEY_NODES

    terms: dict[str, list[str]] = Field(default_factory=dict)
    nodes: dict[str, SignalRules]
    named_contact: dict[str, NamedContactRules] = Field(default_factory=dict)
    trial_feedback: TrialFeedbackRules

    @classmethod
    def for_order(cls, node_order: Sequence[str]) -> type[JourneyVocab]:
        """The model that checks node ids against `node_order` (a loaded journey's node ids)."""
        return cls if tuple(node_order) == cls.node_order else _vocab_for(tuple(node_order))

    @model_validator(mode="after")
    def _known_nodes(self) -> "JourneyVocab":
        known = self.node_order
        for node in self.nodes:
            if node not in known:
                raise ValueError(f"unknown journey node {node!r}; known: {', '.join(known)} [at nodes/{node}]")
        for key in ("interim_node", "final_node", "counts_during_trial_from"):
            value = getattr(self.trial_feedback, key)
            if value is not None and value not in known:
                raise ValueError(f"unknown journey node {value!r} [at trial_feedback/{key}]")
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


@lru_cache(maxsize=8)
def _vocab_for(node_order: tuple[str, ...]) -> type[JourneyVocab]:
    return type("JourneyVocab", (JourneyVocab,), {"node_order": node_order, "__module__": __name__})


class JourneyReading(NamedTuple):
    """The node a text shows and the words that show it; (None, None) for a routine note."""

    node: str | None
    evidence: str | None


# the form's own date line: 填表日期：2026-03-01
_FORM_DATE = re.compile(r"(?:填表|反馈|填写|评价)?日期\s*[:：]?\s*")


class JourneyReader:
    """Compiled signals of one journey_signals.yaml, read in the order of `node_order` (the
    vocabulary's own by default)."""

    def __init__(self, vocab: JourneyVocab, node_order: Sequence[str] | None = None):
        self.vocab = vocab
        self.node_order = tuple(node_order) if node_order is not None else vocab.node_order
        tf = vocab.trial_feedback
        named = [*vocab.nodes, tf.interim_node, tf.final_node, *filter(None, [tf.counts_during_trial_from])]
        unknown = [n for n in named if n not in self.node_order]
        if unknown:
            raise ValueError(f"journey signals for nodes not in the journey: {', '.join(unknown)}")
        terms = vocab.terms
        self.order = [n for n in self.node_order if n in vocab.nodes]
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
            form_dates = list(_FORM_DATE.finditer(text))
            if form_dates:  # the form's own date: its last 日期 line
                after = form_dates[-1].end()
                days = written_days(text[after:after + 20])
                reference_date = days[0].date if days else None
        if reference_date is None:
            return False
        for label in self.period_labels:
            i = text.find(label)
            if i < 0:
                continue
            period = written_days(text[i:i + 60])
            if len(period) >= 2:
                return period[1].date > reference_date
        return False

    def read(self, text: str, kind: str = "visit_note", reference_date: dt.date | None = None) -> JourneyReading:
        best = JourneyReading(None, None)
        text = mask_unticked(text)  # 试用阶段：□中期 ■结束 is a final form
        for node in self.order:  # journey order: a later node overrides an earlier one
            evidence = self._signal(node, text)
            if evidence is None and node in self.named:
                evidence = self._named_signal(node, text)
            if evidence is not None:
                best = JourneyReading(node, evidence)
        if kind == "trial_feedback":
            best = self._trial_form_floor(text, reference_date, best)
        return best

    def _trial_form_floor(self, text: str, reference_date: dt.date | None, best: JourneyReading) -> JourneyReading:
        """A trial feedback form is at least at the trial's node: an interim form at interim_node,
        a final one at final_node."""
        tf = self.vocab.trial_feedback
        rank = self.node_order.index
        interim_hit = next((text[h.start:h.end] for r in self.interim for h in r.search(text)), None)
        if interim_hit is None and self._trial_still_running(text, reference_date):
            interim_hit = "试用期未结束"
        floor = JourneyReading(tf.interim_node, interim_hit) if interim_hit \
            else JourneyReading(tf.final_node, "试用反馈表（试用结束）")
        if interim_hit and best.node is not None and rank(best.node) > rank(tf.interim_node):
            # an interim form cannot report a review of a trial still running; a fixed
            # committee date (or anything after it) still counts
            still_counts = tf.counts_during_trial_from
            if still_counts is None or rank(best.node) < rank(still_counts):
                best = floor
        if best.node is None or rank(best.node) < rank(floor.node):
            best = floor
        return best


def journey_reader(node_order: Sequence[str] = JOURNEY_NODES, path: Path | str = SIGNALS_PATH) -> ConfigFile[JourneyReader]:
    """The reader of a signals file for a journey's node order, rebuilt when the file changes (an
    edit that does not validate keeps the last good one). service/ hands in a variant's order."""
    return _reader_file(tuple(node_order), Path(path))


@lru_cache(maxsize=8)
def _reader_file(node_order: tuple[str, ...], path: Path) -> ConfigFile[JourneyReader]:
    return ConfigFile(path, JourneyVocab.for_order(node_order), lambda vocab: JourneyReader(vocab, node_order),
                      primary=node_order == JOURNEY_NODES)


default_reader = journey_reader()
"""The spec journey's reader: `default_reader()` is the version in use."""


def find_journey_node(text: str, kind: str = "visit_note", reference_date: dt.date | None = None,
                      node_order: Sequence[str] | None = None) -> JourneyReading:
    """(node id or None, the evidence text). `reference_date` (the form's date) helps tell an
    interim trial feedback form from a final one; without it the form's own 日期 line is used.
    `node_order`: the loaded journey's node ids (default the spec's, core.records.JOURNEY_NODES)."""
    return journey_reader(node_order or JOURNEY_NODES)().read(text, kind, reference_date)
