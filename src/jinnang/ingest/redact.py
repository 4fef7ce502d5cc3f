"""Masking patients' and personal identifiers in a document's text (PIPL minimisation).

Everything derived from a document — stored text, OCR lines, chunks, vectors, extraction records,
the playbook, exports, logs — is made from the masked text; the uploaded file is the one place the
identifiers remain. Each identifier becomes a fixed placeholder of its kind (`【手机号】`, `【患者】`…)
and the text around it stays, so extraction of everything else reads the note as before.

Two passes: numbers and codes first (phones, ID numbers, bed/admission/record numbers), then
patients' names, found next to the words that mark a patient (患者, 家属, a masked bed number).
Doctors and staff are business contacts and never masked. Cue words and name lists are in
`config/redaction.yaml`, which sales operations may extend.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jinnang.core.config import ConfigFile, RegexPattern

CONFIG_DIR = Path(__file__).resolve().parent / "config"

Kind = Literal["mobile", "landline", "id_card", "bed", "admission", "record", "patient"]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
Word = str


class Cues(BaseModel):
    model_config = ConfigDict(extra="forbid")

    admission: list[Word] = []
    record: list[Word] = []
    bed: list[Word] = []
    id_card: list[Word] = []
    phone: list[Word] = []


class Names(BaseModel):
    model_config = ConfigDict(extra="forbid")

    before_name: list[Word] = Field(min_length=1)
    after_name: list[Word] = []
    form_name: list[Word] = []
    record_context: list[Word] = []
    surnames: str = Field(min_length=1)
    compound_surnames: list[Word] = []
    anonymised: list[Word] = []
    not_name_chars: str = ""
    not_names: list[Word] = []
    contact_titles: list[Word] = []
    honorifics: list[Word] = []


class ExtraPattern(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    pattern: RegexPattern


class RedactionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    placeholders: dict[Kind, str]
    cues: Cues = Cues()
    bed_count_cues: list[Word] = []
    names: Names
    extra_patterns: list[ExtraPattern] = []

    @model_validator(mode="after")
    def _every_kind_has_a_placeholder(self) -> RedactionFile:
        given: dict[str, str] = {str(k): v for k, v in self.placeholders.items()}
        missing = [k for k in KINDS if not given.get(k)]
        if missing:
            raise ValueError(f"a placeholder is needed for {', '.join(missing)} [at placeholders]")
        if any("\n" in p for p in self.placeholders.values()):
            raise ValueError("a placeholder must be one line [at placeholders]")
        return self


@dataclass(frozen=True)
class Masked:
    """One identifier found: text[start:end] is replaced by the placeholder of `kind`."""

    start: int
    end: int
    kind: str


def _words(words: Sequence[str]) -> str:
    # longest first, so "住院号码" wins over "住院号"
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)


_EDGE = r"(?<![0-9A-Za-z])"
_DAY = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_STRUCTURED: tuple[tuple[str, str], ...] = (
    ("id_card", rf"{_EDGE}[1-9]\d{{5}}[ -]?(?:18|19|20)\d{{2}}{_DAY}[ -]?\d{{3}}[\dXx](?![0-9A-Za-z])"),
    ("id_card", rf"{_EDGE}[1-9]\d{{7}}{_DAY}\d{{3}}(?![0-9A-Za-z])"),  # the old 15-digit numbers
    ("mobile", r"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ -]?|[(（]\+?86[)）] ?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9A-Za-z])"),
    ("landline", r"(?<![0-9A-Za-z\-/.])(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[ -]?[2-9]\d{6,7}"
                 r"(?:[ ]?(?:转|分机|-|ext\.?|#)[ ]?\d{1,5})?(?![0-9])"),
    ("bed", r"(?<![0-9A-Za-z.])(?:[A-Za-z]-?)?\d{1,3}号?床(?![位单旁头垫边])|[一二三四五六七八九十百零]{1,4}号床"),
)
# after a cue word: an optional colon, at most one line break (a form's label above its value)
_SEPARATOR = r"(?:[ \t]*[:：#]?[ \t]*\n?[ \t]*(?:为|是)?[ \t]*)"
_CUE_VALUES = {
    "admission": r"(?=[A-Za-z0-9\-]*\d)[A-Za-z0-9][A-Za-z0-9\-]{2,29}(?![A-Za-z0-9])",
    "record": r"(?=[A-Za-z0-9\-]*\d)[A-Za-z0-9][A-Za-z0-9\-]{2,29}(?![A-Za-z0-9])",
    "bed": r"[A-Za-z]?-?\d{1,4}[A-Za-z]?(?![0-9])",
    "id_card": r"[0-9Xx][0-9Xx \-]{13,20}[0-9Xx](?![0-9A-Za-z])",
    "phone": r"(?:\+?86[ -]?)?[(（]?\d[\d xX*＊\-()（）]{5,18}[\dxX*＊](?![0-9A-Za-z])",
}
_DATE_LIKE = re.compile(r"\d{4}[-./年]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


class Redactor:
    """The loaded configuration, compiled: `Redactor(file).redact(text)`."""

    def __init__(self, file: RedactionFile):
        self.placeholders: dict[str, str] = {str(k): v for k, v in file.placeholders.items()}
        self.structured = [(kind, re.compile(p)) for kind, p in _STRUCTURED]
        self.structured += [(x.kind, re.compile(x.pattern)) for x in file.extra_patterns]
        self.cued = [(kind, re.compile(rf"(?<![A-Za-z])(?:{_words(words)}){_SEPARATOR}(?P<value>{_CUE_VALUES[kind]})"))
                     for kind, words in file.cues.model_dump().items() if words]
        self.bed_count_cues = tuple(file.bed_count_cues)
        names = file.names
        self.surnames = set(names.surnames.replace(" ", "").replace("\n", ""))
        self.compound_surnames = tuple(sorted(names.compound_surnames, key=len, reverse=True))
        self.anonymised = tuple(sorted(names.anonymised, key=len, reverse=True))
        self.not_name_chars = set(names.not_name_chars)
        self.not_names = tuple(names.not_names)
        self.titles = tuple(names.contact_titles)
        self.honorifics = tuple(names.honorifics)
        bed = re.escape(self.placeholders["bed"])
        self.before_name = re.compile(rf"(?:{_words(names.before_name)}|{bed})(?:姓名)?(?:[ \t]*[:：][ \t]*\n?[ \t]*|[ \t]{{1,2}})?")
        self.after_name = re.compile(_words(names.after_name)) if names.after_name else None
        self.form_name = (re.compile(rf"(?:{_words(names.form_name)})[ \t]*[:：]?[ \t]*\n?[ \t]*")
                          if names.form_name else None)
        self.record_context = tuple(names.record_context)

    # --- the first pass: numbers and codes --------------------------------------------------------
    def _numbers(self, text: str) -> Iterator[tuple[int, Masked]]:
        for kind, pattern in self.cued:  # a cue says what a number is, so it comes first (priority 0)
            for m in pattern.finditer(text):
                value = m.group("value")
                if kind == "phone":
                    if sum(c.isdigit() or c in "xX*＊" for c in value) < 7 or _DATE_LIKE.match(value):
                        continue
                    digits = re.sub(r"\D", "", value).removeprefix("86")
                    kind_found = "mobile" if digits.startswith("1") else "landline"
                    yield 0, Masked(m.start("value"), m.end("value"), kind_found)
                else:
                    yield 0, Masked(m.start("value"), m.end("value"), kind)
        for kind, pattern in self.structured:
            for m in pattern.finditer(text):
                if kind == "bed" and text[max(0, m.start() - 4):m.start()].endswith(self.bed_count_cues):
                    continue  # "中央站只能看8床" counts beds
                yield 1, Masked(m.start(), m.end(), kind)

    # --- the second pass: patients' names ---------------------------------------------------------
    def _surname_length(self, text: str, at: int) -> int:
        for compound in self.compound_surnames:
            if text.startswith(compound, at):
                return len(compound)
        return 1 if at < len(text) and text[at] in self.surnames else 0

    def _is_name_char(self, char: str) -> bool:
        return _is_han(char) and char not in self.not_name_chars

    def _name_after(self, text: str, at: int) -> Masked | None:
        """The patient's name starting at `at` (after 患者, 家属, a bed number), or None."""
        surname = self._surname_length(text, at)
        if not surname:
            return None
        body = at + surname
        if text.startswith(self.titles, body):
            return None  # 王主任: a contact
        if text.startswith(self.honorifics, body):
            return Masked(at, body, "patient")  # 患者王先生 → 【患者】先生
        for mark in self.anonymised:
            if text.startswith(mark, body):
                return Masked(at, body + len(mark), "patient")
        length = 0
        while length < 2 and body + length < len(text) and self._is_name_char(text[body + length]):
            length += 1
        if not length or text.startswith(self.titles, body + 1) or text.startswith(self.titles, body + length):
            return None  # nothing name-like, or 李芳医生: a contact
        if text[at:body + length].startswith(self.not_names):
            return None
        return Masked(at, body + length, "patient")

    def _name_before(self, text: str, cue: int) -> Masked | None:
        """The patient's name that ends where `cue` (患者) starts: 张建国患者."""
        for length in (4, 3, 2):
            start = cue - length
            if start < 0:
                continue
            surname = self._surname_length(text, start)
            if not surname or surname >= length:
                continue
            body = text[start + surname:cue]
            if (all(self._is_name_char(c) for c in body) and not body.startswith(self.titles)
                    and not text[start:cue].startswith(self.not_names) and len(body) <= 2):
                return Masked(start, cue, "patient")
        return None

    def _on_a_patient_record(self, text: str, at: int) -> bool:
        """Whether the line of `at`, or one up to two lines away (a form read as label and value lines),
        reads like a patient's record."""
        line = text.count("\n", 0, at)
        nearby = "\n".join(text.split("\n")[max(0, line - 2):line + 3])
        return any(word in nearby for word in self.record_context)

    def _names(self, text: str) -> Iterator[tuple[int, Masked]]:
        for m in self.before_name.finditer(text):
            at = m.end()
            while (found := self._name_after(text, at)) is not None:
                yield 0, found
                # 患者张建国、李芳: a list of names after one cue
                if found.end < len(text) and text[found.end] in "、和及与,，" and found.end + 1 < len(text):
                    at = found.end + 1
                else:
                    break
        if self.form_name is not None:
            for m in self.form_name.finditer(text):
                if self._on_a_patient_record(text, m.start()) and (found := self._name_after(text, m.end())):
                    yield 0, found
        if self.after_name is not None:
            for m in self.after_name.finditer(text):
                if (found := self._name_before(text, m.start())) is not None:
                    yield 0, found

    # --- masking ----------------------------------------------------------------------------------
    def _apply(self, text: str, found: Iterator[tuple[int, Masked]]) -> str:
        # earliest first, then the longest, then the one a cue word named; overlaps are dropped
        ordered = sorted(found, key=lambda pm: (pm[1].start, -(pm[1].end - pm[1].start), pm[0]))
        out: list[str] = []
        position = 0
        for _, masked in ordered:
            if masked.start < position:
                continue
            out += [text[position:masked.start], self.placeholders[masked.kind]]
            position = masked.end
        out.append(text[position:])
        return "".join(out)

    def redact(self, text: str) -> str:
        return self._apply(numbers := self._apply(text, self._numbers(text)), self._names(numbers))


REDACTION: ConfigFile[Redactor] = ConfigFile(CONFIG_DIR / "redaction.yaml", RedactionFile, build=Redactor)


def redact(text: str) -> str:
    """The text with every identifier replaced by its placeholder; line breaks are never removed."""
    return REDACTION().redact(text) if text else text


def redact_values(value: Any) -> Any:
    """Every string in a JSON-like value masked (a document's meta: {"customer_phone": "139…"})."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_values(item) for item in value]
    return value


def redact_lines(lines: Sequence[str]) -> list[str]:
    """Mask lines read together (a label on one OCR line, its value on the next), one output line each."""
    masked = redact("\n".join(lines)).split("\n")
    return masked if len(masked) == len(lines) else [redact(line) for line in lines]
