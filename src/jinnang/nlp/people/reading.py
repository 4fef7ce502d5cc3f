"""What the name rules read a note with: its text, the names and departments the taggers saw, and
how a name is told from words where it stands alone: a form field's value, a table cell, a name
before a title (mentions.py reads the titles)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from spacy.tokens import Doc

from jinnang.nlp.components import doc_text
from jinnang.nlp.crf_features import word_lexicon
from jinnang.nlp.people.doc_facts import departments, lac_words, name_spans, words_at
from jinnang.nlp.people.vocabulary import CJK, COMMON_WORD_TAGS, DOTS, NOT_NAME_TAGS, people_vocab

FIELD_END = r"[\s\u3000；;，,、。）)|/]|$"  # what may follow a name written as a field's or list's value


class SurnameRules:
    """One note as the surname-first rules see it; mentions.py reads its titles with these."""

    def __init__(self, doc: Doc):
        self.doc, self.text = doc, doc_text(doc)
        self.vocab = people_vocab()
        self.names = name_spans(doc)
        self.depts = departments(doc)

    def _surname_before(self, pos: int) -> int | None:
        """Start of a surname ending at `pos`, if there is one."""
        text = self.text
        for c in self.vocab.compound_surnames:
            if text[max(0, pos - len(c)):pos] == c:
                return pos - len(c)
        if pos >= 1 and text[pos - 1] in self.vocab.surnames:
            return pos - 1
        return None

    def _seen_name_ending_at(self, pos: int, in_dept: list[bool]) -> Iterator[int]:
        """Starts of names the taggers saw ending at `pos` (2–3 characters, surname first)."""
        for ns, ne in self.names.items():
            if ne == pos and 2 <= pos - ns <= 3 and not in_dept[ns] and self.vocab.starts_surname(self.text, ns):
                yield ns

    def _looks_like_name(self, start: int, name: str, field_value: bool = False) -> bool:
        """A name read after a bare title must look like one: a name the taggers saw, or words that
        are no adverb, verb or adjective (护士都麻木了), end where a word ends (护士习惯贝朗的…)
        and are no everyday dictionary word (护士习惯). A form field's whole value (麻醉科主任：管长青)
        needs only to be no everyday word: LAC often splits rare names there."""
        text = self.text
        if start in self.names or (len(name) >= 3 and self._compound_surname(name)):
            return True  # 夹谷秀梅
        if field_value and re.match(FIELD_END, text[start + len(name):]):
            return word_lexicon()[0].get(name) not in COMMON_WORD_TAGS
        words = words_at(self.doc)
        first = words.get(start)
        if first is None:
            return True  # the name starts inside a word (OCR'd forms glue words); nothing to judge
        word, tag = first
        if tag == "PER":
            return True
        if tag in NOT_NAME_TAGS:
            return False
        end = start + len(name)
        if end < len(text) and end not in words and CJK.match(text[end]):
            return False  # 习惯贝 ends inside 贝朗
        pos = word_lexicon()[0].get(word)
        return not (len(word) >= 2 and pos in COMMON_WORD_TAGS and len(name) <= len(word))

    def _compound_surname(self, name: str) -> bool:
        """Begins with a compound surname that is no number, place or adverb (百里, 东门, 单于)."""
        return name[:2] in self.vocab.compound_surnames and word_lexicon()[0].get(name[:2]) not in ("m", "s", "ns", "d")

    def _name_ending_at(self, pos: int) -> tuple[str, int] | None:
        """(name, start) of a person written just before `pos`: 沈卫东 / 韩医生 / 刘主任."""
        text = self.text
        for ns, ne in self.names.items():  # a dotted name by sound may be longer: 艾尔肯·吐尔逊（副主任医师）
            if ne == pos and (2 <= pos - ns <= 4 or (pos - ns <= 16 and any(d in text[ns:ne] for d in DOTS))):
                return text[ns:ne], ns
        for written in self.vocab.titles:
            if text[:pos].endswith(written):
                s = self._surname_before(pos - len(written))
                if s is not None:
                    return text[s:pos - len(written)], s
        return None

    def _field_value_ending_at(self, pos: int) -> tuple[str, int] | None:
        """(name, start) of a full name ending at `pos` that the taggers saw, or that is a form
        field's whole value (签字：祝文（科长）): never a bare surname or a word of a sentence."""
        text, vocab = self.text, self.vocab
        for ns, ne in self.names.items():
            if ne == pos and 2 <= pos - ns <= 4 and vocab.starts_surname(text, ns):
                return text[ns:ne], ns
        before = text[max(0, pos - 12):pos] if pos > 12 else "\n" + text[:pos]
        value = re.search(r"(?:[:：][ \u3000\t]*|\t|[|｜\n][ \u3000]*)([\u4e00-\u9fff]{2,4})$", before)
        if value:
            name, ns = value.group(1), pos - len(value.group(1))
            if vocab.starts_surname(name) and len(name) <= 3 + (name[:2] in vocab.compound_surnames) \
                    and not vocab.title_rx.search(name, 1) \
                    and self._looks_like_name(ns, name, field_value=True):
                return name, ns
        return None

    def _row_cell_owner(self, pos: int) -> tuple[str, int] | None:
        """The name in a table row's cell before the cell starting at `pos` (\t于海波\t设备科科长\t,
        | 上官婉清 | 放射科主任 |); a department's cell between is passed over (洪丽娟 | 重症医学科 | 护士长)."""
        for _ in range(2):
            sep = re.search(r"[ \u3000]*[\t|｜][ \u3000]*$", self.text[max(0, pos - 8):pos])
            if not sep:
                return None
            end = pos - len(sep.group())
            if found := self._field_value_ending_at(end):
                return found
            before = self.text[max(0, end - 4):end] if end > 4 else "\n" + self.text[:end]
            if (lone := re.search(r"[\n\t|｜][ \u3000]*([\u4e00-\u9fff])$", before)) \
                    and lone.group(1) in self.vocab.surnames:
                return lone.group(1), end - 1  # | 戚 | 财务科科长 |: a surname alone in its cell
            pos = next((s0 for s0, e0 in self.depts if e0 == end), -1)
            if pos < 0:
                return None
        return None

    def _plausible_surname_start(self, start: int) -> bool:
        """The surname begins a word: not the tail of 加工/施工 or of another word."""
        text = self.text
        if start == 0 or not CJK.match(text[start - 1]) or text[start - 1] in "的是和与及跟找让给见了位":
            return True
        if any(e == start for _, e in self.depts) or any(s <= start < e for s, e in self.names.items()):
            return True
        pos = 0
        for word, tag in lac_words(self.doc):
            if pos == start:
                return True
            if pos < start < pos + len(word):
                return tag == "PER"
            pos += len(word)
        return False
