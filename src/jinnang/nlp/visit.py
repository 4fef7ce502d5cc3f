"""Visit facts of a visit note: sample brought, questions answered on the spot, cross-department needs.

    >>> find_visit_facts("带了样机。主任问了两个问题，这两个当场都答了。需要研发评估HIS接口。")
    VisitFacts(sample_brought=True, questions_resolved=2, cross_dept_needs=['custom_interface'], ...)

Phrases live in `nlp/config/visit.yaml`.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jinnang.core.config import ConfigFile
from jinnang.core.records import CrossDeptNeed, Evidence, VisitFacts
from jinnang.nlp.vocab import (
    CONFIG_DIR,
    CueRule,
    Hit,
    SignalRules,
    Unit,
    check_phrases,
    clause_around,
    compile_rules,
    first_hit,
    phrase_alternation,
    sentences,
)


class QuestionRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answered: list[CueRule] = Field(min_length=1)
    answered_after_question: list[CueRule] = Field(default_factory=list)
    unanswered: list[CueRule] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)


class VisitVocab(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terms: dict[str, list[str]] = Field(default_factory=dict)
    sample_brought: SignalRules
    questions: QuestionRules
    cross_dept_needs: dict[CrossDeptNeed, list[CueRule]]

    @model_validator(mode="after")
    def _phrases_compile(self) -> "VisitVocab":
        for key in ("question", "passage_sample_brought", *(f"passage_{need}" for need in self.cross_dept_needs)):
            if key not in self.terms:  # passage_…: what the learned visit facts read (nlp/visit_needs.py)
                raise ValueError(f"terms.{key} is required [at terms]")
        check_phrases(self.sample_brought.signals, self.terms, "sample_brought/signals")
        check_phrases(self.sample_brought.unless, self.terms, "sample_brought/unless")
        for key in ("answered", "answered_after_question", "unanswered"):
            check_phrases(getattr(self.questions, key), self.terms, f"questions/{key}")
        for need, rules in self.cross_dept_needs.items():
            check_phrases(rules, self.terms, f"cross_dept_needs/{need}")
        return self


class Answer(NamedTuple):
    """An answer cue of a sentence; `reply_turn`: a line written as the rep's reply (我：…)."""

    hit: Hit
    reply_turn: bool


class VisitReader:
    def __init__(self, vocab: VisitVocab):
        self.vocab = vocab
        t = vocab.terms
        self.sample = compile_rules(vocab.sample_brought.signals, t)
        self.sample_unless = compile_rules(vocab.sample_brought.unless, t)
        self.answered = compile_rules(vocab.questions.answered, t)
        self.answered_weak = compile_rules(vocab.questions.answered_after_question, t)
        self.unanswered = compile_rules(vocab.questions.unanswered, t)
        self.question_context = phrase_alternation(t["question"], t)
        nums = "|".join(sorted(map(re.escape, vocab.questions.counts), key=len, reverse=True))
        self.counts = vocab.questions.counts
        # "这两个当场都答了" / "前三个" — a number of questions just before the answer
        # …and "前两个我当场答了" with the rep as the subject
        self.count_before = re.compile(rf"(?<!第)({nums})\s*(?:个|条|点)(?:问题|疑问)?(?:都|也)?\s*(?:我们?|我方)?\s*$") if nums else None
        self.count_asked = re.compile(rf"({nums})\s*个(?:问题|疑问|顾虑)") if nums else re.compile(r"(?!)")
        self.circled = re.compile(r"[①②③④⑤⑥⑦⑧⑨⑩]+\s*$")
        self.needs = {need: compile_rules(rules, t) for need, rules in vocab.cross_dept_needs.items()}
        # what the learned visit facts read (nlp/visit_needs.py), compiled once a load
        self.passage_words = {key.removeprefix("passage_"): phrase_alternation(words, t)
                              for key, words in t.items() if key.startswith("passage_")}

    def _sample(self, text: str) -> Evidence | None:
        units = sentences(text)
        for rule in self.sample:
            for unit, hit in rule.search_units(text, units):
                before = unit.text[:hit.end]
                if first_hit(self.sample_unless, before):
                    continue
                s, e = unit.start + hit.start, unit.start + hit.end
                return Evidence(text=text[s:e], start=s, end=e)
        return None

    def _answer_count(self, unit: Unit, hit: Hit) -> int:
        clause = clause_around(unit, unit.start + hit.start, unit.start + hit.end)
        before = unit.text[clause.start - unit.start:hit.start]
        m = self.circled.search(before)
        if m:
            return len(m.group(0).strip())
        if self.count_before:
            m = self.count_before.search(before)
            if m:
                return self.counts[m.group(1)]
            # "问了三个问题，都当场解答了": 都 refers back to the number asked earlier in the sentence
            if before.endswith(("都", "都是", "也都")) or before.strip() in ("都", "全部", "全都"):
                m = self.count_asked.search(unit.text[:clause.start - unit.start])
                if m:
                    return self.counts[m.group(1)]
        return 1

    def _answers_in(self, text: str, units: tuple[Unit, ...], i: int) -> list[Answer]:
        """Every answer cue of sentence `i` that is not put off, in text order (strong or weak)."""
        unit = units[i]
        # the sentence before, with its end mark (a question's ？ is the splitter's)
        before_unit = text[units[i - 1].start:unit.start] if i else ""
        out: list[Answer] = []
        for strong, rules in ((True, self.answered), (False, self.answered_weak)):
            for rule in rules:
                for hit in rule.search(unit.text):
                    clause = clause_around(unit, unit.start + hit.start, unit.start + hit.end)
                    if first_hit(self.unanswered, clause.text):
                        continue
                    if not strong and not self.question_context.search(before_unit + unit.text[:hit.start]):
                        continue
                    out.append(Answer(hit, rule.id == "reply_turn"))
        return sorted(out, key=lambda a: (a.hit.start, -a.hit.end))

    def _questions(self, text: str) -> tuple[int, list[Evidence]]:
        total, evidence = 0, []
        units = sentences(text)
        for i, unit in enumerate(units):
            last_end = None
            for hit, reply_turn in self._answers_in(text, units, i):
                # an answer that runs on across a new question (我说不能…他又问…我说有) ends at it
                q = self.question_context.search(unit.text, hit.start + 1, hit.end)
                hit_end = q.start() if q else hit.end
                if last_end is None:
                    total += self._reply_count(text, unit) if reply_turn else self._answer_count(unit, hit)
                elif hit.start >= last_end and self.question_context.search(unit.text[last_end:hit.start]):
                    # a long unpunctuated sentence: 他问…我说不能…他又问…我说有 — one answer per question
                    total += 1
                else:
                    last_end = max(last_end, hit_end)
                    continue
                last_end = hit_end
                s, e = unit.start + hit.start, unit.start + hit.end
                evidence.append(Evidence(text=text[s:e], start=s, end=e))
        return total, evidence

    @staticmethod
    def _reply_count(text: str, unit: Unit) -> int:
        """我：私有化可以；HRP我们做过 — a reply turn answers one point per ；-part of its line."""
        line_end = text.find("\n", unit.start)
        line = text[unit.start:line_end if line_end >= 0 else len(text)]
        return min(1 + len(re.findall(r"[；;]\s*\S", line)), 3)

    def read(self, text: str) -> VisitFacts:
        evidence: list[Evidence] = []
        sample = self._sample(text)
        if sample:
            evidence.append(sample)
        count, q_evidence = self._questions(text)
        evidence.extend(q_evidence)
        needs: list[str] = []
        units = sentences(text)
        for need, rules in self.needs.items():
            hit_in = next((uh for rule in rules for uh in rule.search_units(text, units)), None)
            if hit_in:
                unit, hit = hit_in
                needs.append(need)
                s, e = unit.start + hit.start, unit.start + hit.end
                evidence.append(Evidence(text=text[s:e], start=s, end=e))
        return VisitFacts(sample_brought=sample is not None, questions_resolved=count,
                          cross_dept_needs=needs, evidence=evidence)  # type: ignore[arg-type]


def passages_matching(text: str, pattern: re.Pattern) -> list[tuple[int, int]]:
    """(start, end) of each sentence `pattern` finds something in, joined to the sentence after it:
    what the learned visit facts read (a question and its answer, a sample and what was done with it)."""
    units = sentences(text)
    out: list[tuple[int, int]] = []
    for i, unit in enumerate(units):
        if pattern.search(unit.text):
            end = units[i + 1].start + len(units[i + 1].text) if i + 1 < len(units) else unit.start + len(unit.text)
            out.append((unit.start, end))
    return out


# rebuilt when visit.yaml changes (an edit that does not validate keeps the last good one)
default_reader: ConfigFile[VisitReader] = ConfigFile(CONFIG_DIR / "visit.yaml", VisitVocab, VisitReader)


def find_visit_facts(text: str) -> VisitFacts:
    """Sample brought, questions answered on the spot and cross-department needs, with evidence."""
    return default_reader().read(text)
