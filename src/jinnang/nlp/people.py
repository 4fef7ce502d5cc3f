"""Decision-makers: customer people named with a title, with department, organization and buying role.

>>> [(d.name, d.title, d.department, d.role) for d in find_decision_makers("扬州一院设备科沈科长说可以")]
[('沈', '科长', '设备科', 'equipment_dept')]

Follows gold-format.md §1 and the dev set's labelling conventions: the fullest name
(章主任 … 章文斌 → 章文斌), bare titles (主治 → 主治医师, 戴工 → 工程师), never our own
staff, never a person without a title. Vocabularies live in nlp/gazetteers/*.yaml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jinnang.core.records import DecisionMaker, Evidence
from jinnang.nlp.components import find_hospitals, gazetteer_regexes
from jinnang.nlp.gazetteers import HERE as GAZETTEER_DIR
from jinnang.nlp.gazetteers import Title, gazetteers
from jinnang.nlp.vocab import load_config

KIND_RANK = {"post": 3, "professional": 2, "address": 1}
SENTENCE_BREAKS = "。；;！!？?\n"
CLAUSE_BREAKS = SENTENCE_BREAKS + "，,"
# characters that end a name read after a title (科主任：钱不是问题 has no person 钱不)
NAME_STOP = set("，,。；;：:、（）()【】[]「」“”\"' \u3000\t\n签说问的是在和与及跟等也都就又还不没很太把被让再才")
CJK = re.compile(r"[\u4e00-\u9fff]")
# 工 after a surname is 工程师 unless it begins a word (王工作, 李工程, 张工人)
AFTER_SURNAME_BLOCKERS = set("作程人厂艺资期具地业会序商伤友种")
# LAC tags of words that are no name: adverbs, verbs, adjectives, particles, pronouns, numbers…
# (护士都麻木了, 护士长满意, 护士习惯了 have no person after the title)
NOT_NAME_TAGS = frozenset({"d", "v", "vd", "vn", "a", "ad", "an", "u", "xc", "c", "p", "r", "m", "q",
                           "f", "s", "t", "w", "TIME"})
# tags of dictionary words that are everyday words, not names (习惯, 满意, 马上)
COMMON_WORD_TAGS = frozenset({"n", "v", "vn", "vd", "a", "ad", "an", "d", "t", "m", "q", "r", "c", "p", "u", "f", "s"})
# a name restated right after a mention (章主任，章文斌，…); one pattern for every surname, not one compiled per name
_APPOSITIVE = re.compile(r"[，,、\s\u3000]+([^，,、\s\u3000][\u4e00-\u9fff]{1,2})[，,、（(\s\u3000]")


@dataclass
class Mention:
    name: str
    start: int  # where the name starts
    end: int  # end of the whole mention (name and title)
    title: Title
    department: str | None = None
    title_start: int = -1


@dataclass
class Person:
    name: str
    mentions: list[Mention] = field(default_factory=list)


def _word_alternation(words: list[str]) -> re.Pattern:
    """One pattern for the words; English ones only as whole words (our is not in hour)."""
    parts = [rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])" if re.search(r"[A-Za-z]", w) else re.escape(w)
             for w in sorted(words, key=len, reverse=True)]
    return re.compile("|".join(parts) or "(?!)")


@lru_cache(maxsize=1)
def _contact_rx() -> re.Pattern:
    return _word_alternation(gazetteers()["own_company"].contact_words)


@lru_cache(maxsize=1)
def _vocab():
    g = gazetteers()
    titles = sorted(g["titles"].titles, key=lambda t: len(t.written), reverse=True)
    by_written = {t.written: t for t in titles}
    title_rx = re.compile("|".join(re.escape(t.written) for t in titles))
    surnames = set(g["surnames"].single)
    compounds = tuple(g["surnames"].compound)
    cues = g["roles"].committee_cues
    committee_rx = re.compile("|".join(re.escape(c) + ("(?!会)" if c.endswith("委员") else "") for c in cues))
    own = g["own_company"]
    own_rx = _word_alternation(own.cues)
    modifiers = tuple(g["titles"].title_modifiers)
    return by_written, title_rx, surnames, compounds, committee_rx, own, own_rx, modifiers


class EnglishExample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    name: str
    title: str


class EnglishPeople(BaseModel):
    """nlp/gazetteers/english_people.yaml: titles, honorifics and pinyin surnames of English notes."""

    model_config = ConfigDict(extra="forbid")
    titles: list[Title] = Field(min_length=1)
    honorifics: list[str] = Field(default_factory=list)
    surnames: list[str] = Field(min_length=1)
    department_pattern: str
    department_before_pattern: str = "(?!)"
    sentence_window: int = Field(40, ge=0, le=120)
    title_departments: dict[str, str] = Field(default_factory=dict)
    organization_pattern: str = "(?!)"
    # capitalised words that are no English given name before a Chinese surname (Met 符主任)
    not_given_names: list[str] = Field(default_factory=list)
    examples: list[EnglishExample] = Field(default_factory=list)

    @field_validator("department_pattern", "department_before_pattern", "organization_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regular expression: {exc}") from None
        return value


@lru_cache(maxsize=1)
def english_vocab() -> EnglishPeople:
    return load_config(GAZETTEER_DIR / "english_people.yaml", EnglishPeople)


@lru_cache(maxsize=1)
def _english_rx():
    v = english_vocab()
    by_written = {t.written: t for t in v.titles}
    titles = "|".join(re.escape(w) for w in sorted(by_written, key=len, reverse=True))
    # 工 counts only after a name (Lin 工), never before one
    titles_before = "|".join(re.escape(w) for w in sorted(by_written, key=len, reverse=True)
                             if not by_written[w].after_surname_only)
    honor = "|".join(re.escape(h) for h in sorted(v.honorifics, key=len, reverse=True))
    surname = "|".join(sorted(set(v.surnames), key=len, reverse=True))
    # a pinyin name: surname, optionally one given name (Gu Wei, Lin Hui)
    name = rf"(?P<name>(?:{surname})(?:\s[A-Z][a-z]{{1,6}}(?![A-Za-z]))?)(?![A-Za-z])"
    title_name = re.compile(rf"(?<![A-Za-z])(?P<title>{titles_before})\s+(?:(?:{honor})\s+)?{name}")
    # a Chinese title may follow the pinyin name with no comma (Zhang 科长); an English one needs it
    name_title = re.compile(rf"(?<![A-Za-z])(?:(?:{honor})\s+)?{name}(?:\s*[,，(（]\s*(?:the\s+)?|\s*(?=[\u4e00-\u9fff]))(?P<title>{titles})(?![A-Za-z])")
    return (by_written, title_name, name_title, re.compile(v.department_pattern),
            re.compile(v.organization_pattern), re.compile(v.department_before_pattern))


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Words of English titles and honorifics, and the listed common words: no given names."""
    v = english_vocab()
    words = {w for t in v.titles for w in t.written.split()} | {h.rstrip(".") for h in v.honorifics}
    words |= {t.written for t in gazetteers()["titles"].titles if re.fullmatch(r"[A-Za-z]+", t.written)}
    return frozenset(words | set(v.not_given_names))


def _english_word(word: str) -> bool:
    return word in _english_words()


def _english_mentions(text: str) -> list[Mention]:
    """Director Feng of the IT department / Dr. Song, Deputy Director of Anesthesiology."""
    if not re.search(r"[A-Za-z]{3}", text):
        return []
    by_written, title_name, name_title, dept_rx, *_ = _english_rx()
    out: list[Mention] = []
    for rx in (title_name, name_title):
        for m in rx.finditer(text):
            if by_written[m.group("title")].after_surname_only and text[m.end():m.end() + 1] in AFTER_SURNAME_BLOCKERS:
                continue
            name = m.group("name")
            if " " in name and name.split()[1] in ("Of", "From", "In", "At", "And", "The"):
                name = name.split()[0]
            dept = dept_rx.match(text, m.end() + len(text[m.end():]) - len(text[m.end():].lstrip()))
            department = dept.group("dept").strip() if dept else english_vocab().title_departments.get(m.group("title"))
            out.append(Mention(name, m.start("name"), m.end(), by_written[m.group("title")],
                               department, m.start("title")))
    return out


def _surname_before(text: str, pos: int, surnames: set[str], compounds: tuple[str, ...]) -> int | None:
    """Start of a surname ending at `pos`, if there is one."""
    for c in compounds:
        if text[max(0, pos - len(c)):pos] == c:
            return pos - len(c)
    if pos >= 1 and text[pos - 1] in surnames:
        return pos - 1
    return None


def text_caches() -> tuple:
    """The per-text caches of this module (nlp.extract.clear_text_caches empties them)."""
    return (_name_spans, _hospitals, _department_spans, _words_at)


@lru_cache(maxsize=64)
def _name_spans(text: str) -> dict[int, int]:
    """start → end of person names seen by LAC (PER) and by the CRF."""
    from jinnang.nlp.lac import analyse
    from jinnang.nlp.pipeline import get_nlp

    spans: dict[int, int] = {}
    pos = 0
    for word, tag in analyse(text):
        if tag == "PER":
            spans[pos] = pos + len(word)
        pos += len(word)
    crf = get_nlp().get_pipe("jinnang_crf_ner")
    for label, s, e in crf.char_spans(text):
        if label == "name":
            spans[s] = max(spans.get(s, 0), e)
    title_rx = _vocab()[1]
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
        if 2 <= len(part) <= 4:
            clean[s] = max(clean.get(s, 0), s + len(part))
    return clean


@lru_cache(maxsize=64)
def _words_at(text: str) -> dict[int, tuple[str, str]]:
    """start → (word, LAC tag) of every word of the text."""
    from jinnang.nlp.lac import analyse

    out, pos = {}, 0
    for word, tag in analyse(text):
        out[pos] = (word, tag)
        pos += len(word)
    return out


def _looks_like_name(text: str, start: int, name: str, names: dict[int, int], field_value: bool = False) -> bool:
    """A name read after a bare title must look like one: a name the taggers saw, or words that
    are no adverb, verb or adjective (护士都麻木了), end where a word ends (护士习惯贝朗的…)
    and are no everyday dictionary word (护士习惯). A form field's whole value (麻醉科主任：管长青)
    needs only to be no everyday word: LAC often splits rare names there."""
    from jinnang.nlp.crf_features import word_lexicon

    if start in names:
        return True
    if field_value and re.match(r"[\s\u3000]|$", text[start + len(name):]):
        return word_lexicon()[0].get(name) not in COMMON_WORD_TAGS
    words = _words_at(text)
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


def _full_name_at(text: str, start: int, names: dict[int, int], surnames, compounds, titles_rx) -> str | None:
    """A person's name starting at `start` (surname first), or None."""
    if start >= len(text):
        return None
    first = next((c for c in compounds if text.startswith(c, start)), text[start])
    if first not in surnames and first not in compounds:
        return None
    end = names.get(start)
    if end and 2 <= end - start <= 4:
        name = text[start:end]
    else:
        end = start + len(first)
        while end < len(text) and end - start < 3 and CJK.match(text[end]) and text[end] not in NAME_STOP:
            end += 1
        name = text[start:end]
    m = titles_rx.search(name, 1)
    if m:  # 王主任 is a surname and a title, not a name
        name = name[:m.start()]
    return name if len(name) >= 2 else None


@lru_cache(maxsize=64)
def _hospitals(text: str) -> tuple[tuple[int, int], ...]:
    """Hospitals of the text, read with LAC's words (十堰太和医院 is one name, 走医院 is none)."""
    from jinnang.nlp.lac import analyse

    words = list(analyse(text))
    org, pos = [], 0
    for word, tag in words:
        if tag == "ORG":
            org.append((pos, pos + len(word)))
        pos += len(word)
    found = find_hospitals(text, org, words)
    if not found and re.search(r"[A-Za-z]{3}", text):  # Hospital: Shanghai Sixth People's Hospital
        found = [m.span() for m in _english_rx()[4].finditer(text)]
    return tuple(found)


def _departments(text: str) -> list[tuple[int, int]]:
    return list(_department_spans(text))


@lru_cache(maxsize=64)
def _department_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Departments outside hospital names (口腔医院 holds no department), Chinese and English."""
    hospitals = _hospitals(text)
    spans = [m.span() for m in gazetteer_regexes()["department"].finditer(text)]
    if re.search(r"[A-Za-z]{3}", text):
        spans = sorted(spans + [m.span("dept") for m in _english_rx()[5].finditer(text)])
    return tuple((s, e) for s, e in spans if not any(hs <= s < he for hs, he in hospitals))


def _dept_before(text: str, pos: int, depts: list[tuple[int, int]], max_gap: int = 3) -> str | None:
    """A department ending just before `pos` (设备科沈科长, 药学部的尤主任, 信息科：科长 钱卫,
    委员会秘书（审计处）邹科长)."""
    for s, e in reversed(depts):
        if e <= pos and pos - e <= max_gap and re.fullmatch(r"[的\s\u3000:：、）)]*", text[e:pos]):
            return text[s:e]
    return None


def _mentions(text: str) -> list[Mention]:
    by_written, title_rx, surnames, compounds, *_ = _vocab()
    names = _name_spans(text)
    depts = _departments(text)
    out: list[Mention] = []
    in_dept = [False] * (len(text) + 1)
    for s0, e0 in depts:
        for i in range(s0, e0):
            in_dept[i] = True
    for m in _title_matches(text, title_rx, in_dept):
        title = by_written[m.group()]
        ts, te = m.start(), m.end()
        if title.after_surname_only and (te < len(text) and text[te] in AFTER_SURNAME_BLOCKERS):
            continue
        # surname + title: 林主任, 戴工, 章文斌主任
        s = _surname_before(text, ts, surnames, compounds)
        if s is None:  # 刘敏科长: a name the taggers saw, whose last character is no surname
            s = next((ns for ns, ne in names.items() if ne == ts and 2 <= ts - ns <= 3 and not in_dept[ns]
                      and (text[ns] in surnames or text[ns:ns + 2] in compounds)), None)
        if s is not None and _conjunction_before_title(text, s, ts, te, names, surnames, compounds, title_rx):
            s = None  # 孙主任和副主任医师何宇: 和 joins two people, 何宇 is the 副主任医师
        if s is not None:
            start = s
            for ns, ne in names.items():
                if ne == ts and 2 <= ts - ns <= 3 and not in_dept[ns] and (
                        text[ns] in surnames or text[ns:ns + 2] in compounds):
                    start = ns
            # 'Vivian 宋' written before an English title or a surname
            lat = re.search(r"([A-Z][a-z]+\s?)$", text[:start])
            if lat and not CJK.match(text[start - 1:start] or "x") and not _english_word(lat.group(1).strip()):
                start = lat.start()
            name = text[start:ts]
            if len(name) == 2 and name[0] == name[1] and text[start - 1:start] == "姓":
                start, name = start + 1, name[1]  # 院长姓马马院长说
            # 分管副院长是骆院长 / 运营副院长邵院长: the fuller title written just before wins
            before = re.search(rf"({title_rx.pattern})是?$", text[max(0, start - 8):start])
            if before:
                prior = by_written[before.group(1)]
                if prior.kind == title.kind and title.bare in prior.bare and prior.bare != title.bare:
                    title = prior
            if _plausible_surname_start(text, start, names, depts):
                out.append(Mention(name, start, te, title, _dept_before(text, start, depts), ts))
                continue
        if title.after_surname_only:
            continue
        # a signature or form row: 科室负责人: 刘国华 主任 / 设备科：林志　科长 (the name, spaces, the
        # title); a title ending its line belongs to the name before it, not to the next line's
        gap = re.search(r"[ \u3000\t]+$", text[max(0, ts - 8):ts])
        owner = gap and _field_value_ending_at(text, ts - len(gap.group()), names, surnames, compounds)
        if owner and re.match(r"[ \u3000\t]*(?:\n|$)", text[te:]):
            out.append(Mention(owner[0], owner[1], te, title, _dept_before(text, owner[1], depts), ts))
            continue
        # title + name: 副主任医师 梅振华, 科主任签字：顾明, Director Vivian 宋
        # 护士长：邢燕 / | 护士长 | 邢燕 | (a table row)
        after = re.match(r"(?:\s|\u3000)*(?:签字|签名|审核)?[:：|]?(?:\s|\u3000)*", text[te:])
        p = te + after.end()
        name = _full_name_at(text, p, names, surnames, compounds, title_rx)
        if name and not _looks_like_name(text, p, name, names, bool(re.search(r"[:：|]", after.group()))):
            name = None
        lat = re.match(r"([A-Z][a-z]+)\s?([\u4e00-\u9fff])", text[p:])
        if lat and lat.group(2) in surnames:
            name = lat.group(0)
        if not name:  # 科主任意见：同意。　郑国栋 (a signature after the field's text)
            sig = re.match(r"意见[:：][^\n:：]{0,8}?[。.，,]?[\s\u3000]+", text[te:])
            if sig:
                p = te + sig.end()
                name = _full_name_at(text, p, names, surnames, compounds, title_rx)
                if name and not re.match(r"[\s\u3000]*(?:\n|$)", text[p + len(name):]):
                    name = None
        if not name:  # 主治陈医生: a title, then a surname with a form of address
            addressed = re.match(r"(欧阳|司马|上官|诸葛|南宫|[\u4e00-\u9fff])(医生|大夫|老师)", text[p:])
            if addressed and (addressed.group(1) in surnames or addressed.group(1) in compounds):
                name = addressed.group(1)
        if name:
            out.append(Mention(name, p, p + len(name), title, _dept_before(text, ts, depts), ts))
            continue
        # name（title）: 沈卫东（副主任医师）, 王莉（骨科护士长）, 韩医生（主治，…）
        paren = re.search(r"([（(])([^（()）]{0,8})$", text[:ts])
        if paren:
            ps = paren.start()
            while ps > 0 and text[ps - 1] in " \u3000\t":  # OCR'd forms: 方志远 （主治医师）
                ps -= 1
            inner_dept = _dept_before(text, ts, depts)
            owner = (_name_ending_at(text, ps, names, surnames, compounds, by_written)
                     or _field_value_ending_at(text, ps, names, surnames, compounds))
            if owner:
                nm, ns = owner
                out.append(Mention(nm, ns, te, title, _dept_before(text, ns, depts) or inner_dept, ts))
                continue
        if owner:
            out.append(Mention(owner[0], owner[1], te, title, _dept_before(text, owner[1], depts), ts))
            continue
        # X医生是主治 / 严老师是设备科工程师
        be = re.search(r"是(?:[\u4e00-\u9fff]{2,6}?)?$", text[:ts])
        if be:
            owner = _name_ending_at(text, be.start(), names, surnames, compounds, by_written)
            if owner:
                nm, ns = owner
                out.append(Mention(nm, ns, te, title, _dept_before(text, ts, depts, 0) or _dept_before(text, ns, depts), ts))
                continue
        # form fields: 评价医师：陆海峰　　职称：副主任医师
        field_m = re.search(r"职称[:：]\s*$", text[:ts])
        if field_m:
            line_start = text.rfind("\n", 0, ts) + 1
            cands = [(s2, e2) for s2, e2 in names.items() if line_start <= s2 and e2 <= field_m.start()]
            if cands:
                s2, e2 = max(cands)
                dept_m = re.search(r"科室[:：]\s*(\S+)", text[te:text.find("\n", te) if "\n" in text[te:] else len(text)])
                out.append(Mention(text[s2:e2], s2, te, title, dept_m.group(1) if dept_m else None, ts))
    english = _english_mentions(text)
    # an English name read whole (Lin Hui) is not also read in part by the Chinese rules
    out = [m for m in out if not any(e.start <= m.start < e.end for e in english)]
    return out + english


def _conjunction_before_title(text, s, ts, te, names, surnames, compounds, title_rx) -> bool:
    """和/与/及/跟/同 before a title are also surnames: read as a conjunction (LAC c/p) when a
    name follows the title."""
    if ts - s != 1:
        return False
    word = _words_at(text).get(s)
    if not word or word[0] != text[s] or word[1] not in ("c", "p"):
        return False
    after = re.match(r"[\s\u3000:：]*", text[te:])
    p = te + after.end()
    name = _full_name_at(text, p, names, surnames, compounds, title_rx)
    return bool(name) and _looks_like_name(text, p, name, names)


def _title_matches(text: str, title_rx: re.Pattern, in_dept: list[bool]):
    """Title matches, never starting inside a department (骨科主任医师 → 主任医师, not 科主任)."""
    pos = 0
    while pos < len(text):
        m = title_rx.search(text, pos)
        if not m:
            return
        if in_dept[m.start()]:
            pos = m.start() + 1
            continue
        yield m
        pos = m.end()


def _name_ending_at(text, pos, names, surnames, compounds, by_written) -> tuple[str, int] | None:
    """(name, start) of a person written just before `pos`: 沈卫东 / 韩医生 / 刘主任."""
    for ns, ne in names.items():
        if ne == pos and 2 <= pos - ns <= 4:
            return text[ns:ne], ns
    for written, _t in by_written.items():
        if text[:pos].endswith(written):
            s = _surname_before(text, pos - len(written), surnames, compounds)
            if s is not None:
                return text[s:pos - len(written)], s
    return None


def _field_value_ending_at(text, pos, names, surnames, compounds) -> tuple[str, int] | None:
    """(name, start) of a full name ending at `pos` that the taggers saw, or that is a form
    field's whole value (签字：祝文（科长）): never a bare surname or a word of a sentence."""
    for ns, ne in names.items():
        if ne == pos and 2 <= pos - ns <= 4 and (text[ns] in surnames or text[ns:ns + 2] in compounds):
            return text[ns:ne], ns
    value = re.search(r"[:：][ \u3000\t]*([\u4e00-\u9fff]{2,4})$", text[max(0, pos - 12):pos])
    if value:
        name, ns = value.group(1), pos - len(value.group(1))
        if (name[0] in surnames or name[:2] in compounds) and len(name) <= 3 + (name[:2] in compounds) \
                and _looks_like_name(text, ns, name, names, field_value=True):
            return name, ns
    return None


def _plausible_surname_start(text: str, start: int, names: dict[int, int], depts) -> bool:
    """The surname begins a word: not the tail of 加工/施工 or of another word."""
    from jinnang.nlp.lac import analyse

    if start == 0 or not CJK.match(text[start - 1]) or text[start - 1] in "的是和与及跟找让给见了位":
        return True
    if any(e == start for _, e in depts) or any(s <= start < e for s, e in names.items()):
        return True
    pos = 0
    for word, tag in analyse(text):
        if pos == start:
            return True
        if pos < start < pos + len(word):
            return tag == "PER"
        pos += len(word)
    return False


def _own_staff(text: str, m: Mention) -> bool:
    *_, own, own_rx, _ = _vocab()
    if m.title.own_staff:
        return True
    begin = min(m.start, m.title_start if m.title_start >= 0 else m.start)
    if own.chat_mentions and text[:begin].endswith(tuple(own.chat_mentions)):
        return True  # @张经理: a member of the rep's own chat group
    lo, units = begin, 0
    while lo > 0 and units < own.window and text[lo - 1] not in own.clause_breaks:
        lo -= 1
        if re.match(r"[A-Za-z]", text[lo]):  # an English word counts as one
            while lo > 0 and re.match(r"[A-Za-z]", text[lo - 1]):
                lo -= 1
        units += 1
    window = text[lo:begin]
    own_cue = None
    for own_cue in own_rx.finditer(window):
        pass
    # 我们先找ICU的褚护士长: the person is the one we go to see, not one of ours;
    # 她担心我们也一样 赖科长…: an adverb or adjective after the cue ends its clause
    if own_cue and not _contact_rx().search(window[own_cue.end():]) \
            and not _predicate_between(text, lo + own_cue.end(), begin):
        return True
    # an own-staff title written just before: 实施工程师 小孙, 技术支持杜工
    by_written, title_rx, *_ = _vocab()
    for t in by_written.values():
        if t.own_staff and window.rstrip(" \u3000").endswith(t.written):
            return True
    return False


def _predicate_between(text: str, start: int, end: int) -> bool:
    """An adverb or adjective word (LAC d, a, ad) lies wholly between start and end."""
    return any(start <= s and s + len(w) <= end and tag in ("d", "a", "ad")
               for s, (w, tag) in _words_at(text).items())


def _committee(text: str, m: Mention, depts) -> bool:
    *_, committee_rx, _, _, _ = _vocab()
    begin = m.start
    for c in committee_rx.finditer(text, max(0, begin - 24), begin):
        gap = text[c.end():begin]
        for s, e in depts:
            if c.end() <= s and e <= begin:
                gap = gap.replace(text[s:e], "")
        if re.fullmatch(r"[的、，,\s\u3000之一是（）()]*", gap):
            return True
    return False


def _role(title: str, department: str | None, committee: bool) -> str:
    roles = gazetteers()["roles"]
    if committee:
        return "committee"
    if title in roles.leader_titles:
        return roles.leader_titles[title]
    if department:
        for rule in roles.department_roles:
            if any(w in department for w in rule.words):
                return rule.role
    if title not in roles.title_roles and title.endswith("长") and title[:-1] in roles.title_roles:
        title = title[:-1]  # 技师长, 治疗师长 head the 技师 and 治疗师 and use the kit as they do
    return roles.title_roles.get(title, "other")


def _is_admin(department: str) -> bool:
    return any(w in department for rule in gazetteers()["roles"].department_roles for w in rule.words)


def _home_department(text: str, depts: list[tuple[int, int]], hospital: tuple[int, int] | None = None) -> str | None:
    """The document's clinical department: the one a 科室 field names, else the one written right
    after the hospital (北京积水潭医院 脊柱外科), else the first that no admin rule claims. In a
    note on several hospitals, only the departments written in `hospital`'s part count."""
    g = gazetteers()["departments"]
    clinical = [(s, e) for s, e in depts if not _is_admin(text[s:e])]
    hospitals = _hospitals(text)
    if hospital and len({text[a:b] for a, b in hospitals}) > 1:
        # 三亚中心医院（海南省第三人民医院）: a name in brackets right after is the same hospital's
        later = [a for a, b in hospitals if a > hospital[0] and text[a:b] != text[hospital[0]:hospital[1]]
                 and not re.fullmatch(r"[\s\u3000]*[（(][\s\u3000]*", text[hospital[1]:a])]
        stop = min(later, default=len(text))
        clinical = [(s, e) for s, e in clinical if hospital[0] <= s < stop]
    if g.department_fields:
        field_rx = re.compile(rf"(?:{'|'.join(map(re.escape, g.department_fields))})\s*[:：|]\s*$")
        for s, e in clinical:
            if field_rx.search(text[max(0, s - 12):s]):
                return text[s:e]
    for _hs, he in _hospitals(text):
        for s, e in clinical:
            if 0 <= s - he <= 2 and re.fullmatch(r"[\s\u3000,，]*", text[he:s]):
                return text[s:e]
    return text[clinical[0][0]:clinical[0][1]] if clinical else None


def _fuller_department(text: str, department: str, depts: list[tuple[int, int]]) -> str:
    """内镜中心 after 消化内镜中心 was written is that department, written short (the full name
    written first; 手术室 … 中心手术室 are two units)."""
    if len(department) < 3:
        return department
    first_short = min((s for s, e in depts if text[s:e] == department), default=len(text))
    fuller = {text[s:e] for s, e in depts if text[s:e].endswith(department) and e - s > len(department)
              and s + (e - s - len(department)) <= first_short}
    return fuller.pop() if len(fuller) == 1 else department


def _context_department(text: str, m: Mention, depts: list[tuple[int, int]], starts: list[int]) -> str | None:
    """A department written apart from the person: 王主任（内镜中心）; a form section 设备科意见
    （科长 殷志强） or its signer on the next line; earlier in the same sentence (去设备科找龚科长)."""
    g = gazetteers()["departments"]
    depts = [(s, e) for s, e in depts if text[s:e] not in g.adjacent_only]
    after = re.match(r"[\s\u3000]*[（(]", text[m.end:])
    if after:
        p = m.end + after.end()
        for s, e in depts:
            if s == p and re.match(r"[\s\u3000]*[）)]", text[e:]):
                return text[s:e]
    begin = min(m.start, m.title_start if m.title_start >= 0 else m.start)
    line_start = text.rfind("\n", 0, begin) + 1
    if g.section_words:
        section = "|".join(map(re.escape, g.section_words))
        heads = [text[s:e] for s, e in depts if line_start <= s and e <= begin
                 and re.match(rf"\s*(?:{section})", text[e:])]
        if heads:
            return heads[-1]
        signer = "|".join(map(re.escape, g.signer_fields))
        if signer and line_start > 0 and re.match(rf"[\s\u3000]*(?:{signer})[\s\u3000]*[:：]", text[line_start:begin]):
            prev_start = text.rfind("\n", 0, line_start - 1) + 1
            heads = [text[s:e] for s, e in depts if prev_start <= s and e < line_start
                     and re.match(rf"\s*(?:{section})", text[e:])]
            if heads:
                return heads[-1]
    window = max(g.sentence_window, english_vocab().sentence_window)
    lo = begin
    while lo > 0 and begin - lo < window and text[lo - 1] not in SENTENCE_BREAKS:
        lo -= 1
    for s, e in reversed(depts):
        if lo <= s and e <= begin:
            latin = not CJK.match(text[s])
            if begin - s > (english_vocab().sentence_window if latin else g.sentence_window):
                return None
            between = [p for p in starts if e <= p < begin]
            # another person stands between, unless joined to this one (Director Qian and Dr. Ma)
            if between and not (latin and re.search(r"(?:\band|&|,)\s*(?:(?:Dr|Prof|Mr|Ms|Mrs)\.?\s*)?$",
                                                    text[between[0]:begin])):
                return None
            return text[s:e]
    return None


def _line_heading(text: str, start: int) -> bool:
    """The hospital opens its line, after at most a list marker or a field label
    (二、桐庐县中医院, 1. 广州市…中心, | 医院 | …, 医院：…)."""
    line_start = text.rfind("\n", 0, start) + 1
    return bool(re.fullmatch(r"[\s\u3000]*(?:[-•·*#>【\[|]?[\s\u3000]*(?:[0-9一二三四五六七八九十]{1,2}[、.)）]|[（(][0-9一二三四五六七八九十]{1,2}[)）])?"
                             r"[\s\u3000]*(?:[^\s:：|]{1,6}[\s\u3000]*[:：|】\]][\s\u3000]*)?)", text[line_start:start]))


def _organization(text: str, m: Mention) -> str | None:
    span = _organization_span(text, m)
    if span is None:
        return None
    names = [text[s:e] for s, e in _hospitals(text)]
    name = text[span[0]:span[1]]
    # 广州妇儿 after 广州市妇女儿童医疗中心, 鼓楼医院 after 南京鼓楼医院: one fuller name it shortens
    fuller = {full for full in names if len(full) > len(name) and (
        (full[0] == name[0] and _is_abbreviation(name, full)) or (len(name) >= 4 and full.endswith(name)))}
    return fuller.pop() if len(fuller) == 1 else name


def _organization_span(text: str, m: Mention) -> tuple[int, int] | None:
    """The hospital a person belongs to: the nearest one before them in the same clause, else
    the last one heading a line before them (weekly reports list one hospital per section), else
    the text's first. An abbreviation of a hospital written in full earlier is that hospital."""
    hospitals = list(_hospitals(text))
    if not hospitals:
        return None
    begin = min(m.start, m.title_start if m.title_start >= 0 else m.start)
    lo = begin
    # the same clause: 听说上海六院也在用，王主任… is still the note's own hospital's 王主任
    while lo > 0 and text[lo - 1] not in CLAUSE_BREAKS:
        lo -= 1
    chosen = None
    for i, (s, e) in enumerate(hospitals):
        if e <= begin and s >= lo:
            chosen = i
    if chosen is None:
        for i, (s, e) in enumerate(hospitals):
            if e <= begin and _line_heading(text, s):
                chosen = i
    return hospitals[chosen if chosen is not None else 0]


def _is_abbreviation(short: str, full: str) -> bool:
    it = iter(full)
    return all(c in it for c in short)


def _best_title(mentions: list[Mention]) -> Title:
    titled = [m.title for m in mentions if m.title.kind != "address"]
    best = max(titled, key=lambda t: KIND_RANK[t.kind])
    for t in titled:  # 副院长 over 院长 for the same person
        if t.kind == best.kind and t.bare != best.bare and best.bare in t.bare:
            best = t
    return best


def find_decision_makers(text: str, organization_hint: str | None = None) -> list[DecisionMaker]:
    """Customer-side people named with a title, merged across mentions, in order of first mention."""
    if not text or not text.strip():
        return []
    depts = _departments(text)
    mentions = [m for m in _mentions(text) if m.name.strip()]
    own = {id(m) for m in mentions if _own_staff(text, m)}
    own_names = {m.name for m in mentions if id(m) in own}
    people: dict[str, Person] = {}
    full_names = {m.name for m in mentions if len(m.name) >= 2 and CJK.match(m.name[0])}
    for m in sorted(mentions, key=lambda m: m.start):
        key = m.name
        if len(key) == 1 or (len(key) == 2 and key in _vocab()[3]):
            fuller = [n for n in full_names if n.startswith(key) and n != key]
            if len(fuller) == 1:
                key = fuller[0]
        if len(key) == 1 and CJK.match(key):  # Vivian 宋 and 宋 are one person
            latin = [n for n in people if n.endswith(" " + key) or (n.endswith(key) and not CJK.match(n[0]))]
            if latin:
                key = latin[0]
        people.setdefault(key, Person(key)).mentions.append(m)
    # a bare surname written near its full name: 章主任，章文斌，
    names = _name_spans(text)
    for key in list(people):
        if len(key) == 1:
            first = people[key].mentions[0]
            near = [text[s:e] for s, e in names.items()
                    if text[s:s + 1] == key and 2 <= e - s <= 3 and abs(s - first.end) <= 6
                    and not any(s < m.end and m.start < e for m in mentions)]
            appositive = _APPOSITIVE.match(text, first.end)
            if not near and appositive and appositive.group(1).startswith(key):
                near = [appositive.group(1)]  # 章主任，章文斌，五十多岁 (the segmenters may miss the name)
            if len(near) == 1 and near[0] not in people:
                people[near[0]] = people.pop(key)
                people[near[0]].name = near[0]
    starts = sorted({min(m.start, m.title_start if m.title_start >= 0 else m.start) for m in mentions})
    out: list[DecisionMaker] = []
    for person in people.values():
        ms = person.mentions
        if any(id(m) in own for m in ms) or person.name in own_names:
            continue
        if all(m.title.kind == "address" for m in ms):
            continue  # people without a title are never listed
        title = _best_title(ms).bare
        department = next((m.department for m in ms if m.department), None) or next(
            (d for d in (_context_department(text, m, depts, starts) for m in ms) if d), None)
        if department:
            department = _fuller_department(text, department, depts)
        committee = any(_committee(text, m, depts) for m in ms)
        role = _role(title, department, committee)
        if department is None and role in ("clinical_lead", "clinical_user"):
            department = _home_department(text, depts, _organization_span(text, ms[0]))
            role = _role(title, department, committee)
        if role == "hospital_leader":
            department = None
        out.append(DecisionMaker(
            name=person.name, title=title, department=department,
            organization=organization_hint or _organization(text, ms[0]), role=role,
            confidence=0.9 if len(ms) > 1 else 0.8,
            evidence=[Evidence(text=text[m.start:m.end], start=m.start, end=m.end) for m in ms],
        ))
    return out
