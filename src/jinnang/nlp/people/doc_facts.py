"""What the taggers saw in one note, worked out once and carried on its Doc (`doc._.<name>`):
LAC's words by position, person names, hospitals and departments."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from spacy.tokens import Doc

from jinnang.nlp.components import carry_on_doc, doc_text, find_hospitals, gazetteer_regexes
from jinnang.nlp.lac import Words, tagged_spans
from jinnang.nlp.people.vocabulary import DOTS, LATIN_WORD, english_rules, people_vocab

Spans = tuple[tuple[int, int], ...]
T = TypeVar("T")

carry_on_doc("words_at", "name_spans", "hospitals", "departments")


def _carried(doc: Doc, name: str, work_out: Callable[[Doc], T]) -> T:
    value = getattr(doc._, name)
    if value is None:
        value = work_out(doc)
        setattr(doc._, name, value)
    return value


def lac_words(doc: Doc) -> Words:
    return doc._.lac_words or ()


def words_at(doc: Doc) -> dict[int, tuple[str, str]]:
    """start → (word, LAC tag) of every word of the note."""
    def work_out(doc: Doc) -> dict[int, tuple[str, str]]:
        out, pos = {}, 0
        for word, tag in lac_words(doc):
            out[pos] = (word, tag)
            pos += len(word)
        return out

    return _carried(doc, "words_at", work_out)


def name_spans(doc: Doc) -> dict[int, int]:
    """start → end of person names seen by LAC (PER) and by the CRF."""
    return _carried(doc, "name_spans", _name_spans)


def _name_spans(doc: Doc) -> dict[int, int]:
    text = doc_text(doc)
    spans = dict(tagged_spans(lac_words(doc), "PER"))
    for label, s, e in doc._.crf_spans or ():
        if label == "name":
            spans[s] = max(spans.get(s, 0), e)
    title_rx = people_vocab().title_rx
    clean: dict[int, int] = {}
    for s, e in spans.items():
        while s < e and not text[s].strip():
            s += 1
        part = text[s:e]
        cut = re.search(r"[\s\u3000，,。：:（(、]", part)
        if cut:
            part = part[:cut.start()]
        m = title_rx.search(part, 1)
        if m:  # LAC glues 林主任 into one PER word
            part = part[:m.start()]
        if 2 <= len(part) <= 4 or (len(part) <= 16 and any(d in part for d in DOTS)):  # 艾尔肯·吐尔逊
            clean[s] = max(clean.get(s, 0), s + len(part))
    return clean


def hospitals(doc: Doc) -> Spans:
    """Hospitals of the note, read with LAC's words (十堰太和医院 is one name, 走医院 is none)."""
    def work_out(doc: Doc) -> Spans:
        text, words = doc_text(doc), lac_words(doc)
        found = find_hospitals(text, tagged_spans(words, "ORG"), list(words))
        if not found and LATIN_WORD.search(text):  # Hospital: Shanghai Sixth People's Hospital
            found = [m.span() for m in english_rules().organization.finditer(text)]
        return tuple(found)

    return _carried(doc, "hospitals", work_out)


def departments(doc: Doc) -> Spans:
    """Departments outside hospital names (口腔医院 holds no department), Chinese and English."""
    def work_out(doc: Doc) -> Spans:
        text, in_hospitals = doc_text(doc), hospitals(doc)
        spans = [m.span() for m in gazetteer_regexes()["department"].finditer(text)]
        if LATIN_WORD.search(text):
            spans = sorted(spans + [m.span("dept") for m in english_rules().department_before.finditer(text)])
        return tuple((s, e) for s, e in spans if not any(hs <= s < he for hs, he in in_hospitals))

    return _carried(doc, "departments", work_out)
