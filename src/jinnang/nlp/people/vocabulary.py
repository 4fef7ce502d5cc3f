"""The people finder's vocabulary, compiled once from nlp/gazetteers/*.yaml: titles, surnames,
committee and own-company cues, and the English notes' titles and pinyin surnames."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from jinnang.core.config import ConfigFile, RegexPattern
from jinnang.nlp.gazetteers import HERE as GAZETTEER_DIR
from jinnang.nlp.gazetteers import OwnCompany, Title, gazetteers

KIND_RANK = {"post": 3, "professional": 2, "address": 1}
SENTENCE_BREAKS = "。；;！!？?\n"
CLAUSE_BREAKS = SENTENCE_BREAKS + "，,"
# characters that end a name read after a title (科主任：钱不是问题 has no person 钱不)
NAME_STOP = set("，,。；;：:、（）()【】[]「」“”\"' \u3000\t\n签说问的是在和与及跟等也都就又还不没很太把被让再才")
CJK = re.compile(r"[\u4e00-\u9fff]")
DOTS = "·•・．"  # the dots of a name by sound: 努尔兰·阿合买提
LATIN_WORD = re.compile(r"[A-Za-z]{3}")  # a note with English in it
# 工 after a surname is 工程师 unless it begins a word (王工作, 李工程, 张工人)
AFTER_SURNAME_BLOCKERS = set("作程人厂艺资期具地业会序商伤友种")
# LAC tags of words that are no name: adverbs, verbs, adjectives, particles, pronouns, numbers…
# (护士都麻木了, 护士长满意, 护士习惯了 have no person after the title)
NOT_NAME_TAGS = frozenset({"d", "v", "vd", "vn", "a", "ad", "an", "u", "xc", "c", "p", "r", "m", "q",
                           "f", "s", "t", "w", "TIME"})
NOT_NAME_PLACES = frozenset({"ORG", "LOC", "nz", "nw", "ns", "nt"})  # LAC's organisations, places, brands
BEFORE_NAME = set("了见是的和与及跟找让给位请约陪向由")  # a name may begin right after these (见了令狐晓燕主任)
ADDRESS_TAILS = set("总工哥姐")  # 谭总, 李工: a surname and a form of address, no full name
# tags of dictionary words that are everyday words, not names (习惯, 满意, 马上)
COMMON_WORD_TAGS = frozenset({"n", "v", "vn", "vd", "a", "ad", "an", "d", "t", "m", "q", "r", "c", "p", "u", "f", "s"})


def word_alternation(words: list[str]) -> re.Pattern:
    """One pattern for the words; English ones only as whole words (our is not in hour)."""
    parts = [rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])" if re.search(r"[A-Za-z]", w) else re.escape(w)
             for w in sorted(words, key=len, reverse=True)]
    return re.compile("|".join(parts) or "(?!)")


@dataclass(frozen=True)
class PeopleVocab:
    titles: dict[str, Title]  # written → title, longest written first
    title_rx: re.Pattern
    surnames: set[str]
    compound_surnames: tuple[str, ...]
    committee_rx: re.Pattern
    own_company: OwnCompany
    own_rx: re.Pattern
    contact_rx: re.Pattern  # words showing we go to meet the person (我们先找…)

    def starts_surname(self, text: str, pos: int = 0) -> bool:
        return text[pos:pos + 1] in self.surnames or text[pos:pos + 2] in self.compound_surnames


@lru_cache(maxsize=1)
def people_vocab() -> PeopleVocab:
    g = gazetteers()
    titles = sorted(g["titles"].titles, key=lambda t: len(t.written), reverse=True)
    cues = g["roles"].committee_cues
    own = g["own_company"]
    bodies = g["titles"].body_words
    body = f"(?!{'|'.join(map(re.escape, bodies))})" if bodies else ""
    return PeopleVocab(
        titles={t.written: t for t in titles},
        title_rx=re.compile("(?:" + "|".join(re.escape(t.written) + (f"(?={t.followed_by})" if t.followed_by else "")
                                             for t in titles) + ")" + body),
        surnames=set(g["surnames"].single),
        compound_surnames=tuple(g["surnames"].compound),
        committee_rx=re.compile("|".join(re.escape(c) + ("(?!会)" if c.endswith("委员") else "") for c in cues)),
        own_company=own,
        own_rx=word_alternation(own.cues),
        contact_rx=word_alternation(own.contact_words),
    )


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
    department_pattern: RegexPattern
    department_before_pattern: RegexPattern = "(?!)"
    sentence_window: int = Field(40, ge=0, le=120)
    title_departments: dict[str, str] = Field(default_factory=dict)
    organization_pattern: RegexPattern = "(?!)"
    # capitalised words that are no English given name before a Chinese surname (Met 符主任)
    not_given_names: list[str] = Field(default_factory=list)
    examples: list[EnglishExample] = Field(default_factory=list)



@dataclass(frozen=True)
class EnglishRules:
    vocab: EnglishPeople
    titles: dict[str, Title]  # written → title
    title_name: re.Pattern  # Director Feng
    name_title: re.Pattern  # Song, Deputy Director / Zhang 科长
    title_han_name: re.Pattern  # Director 向红军
    han_name_title: re.Pattern  # Dr. 揭 (消化内科 Director)
    department_after: re.Pattern
    organization: re.Pattern
    department_before: re.Pattern
    # words of titles and honorifics and the listed common words: no given names
    not_given_names: frozenset[str]


def _english_rules(v: EnglishPeople) -> EnglishRules:
    by_written = {t.written: t for t in v.titles}
    longest_first = sorted(by_written, key=len, reverse=True)
    titles = "|".join(re.escape(w) for w in longest_first)
    # 工 counts only after a name (Lin 工), never before one
    titles_before = "|".join(re.escape(w) for w in longest_first if not by_written[w].after_surname_only)
    honor = "|".join(re.escape(h) for h in sorted(v.honorifics, key=len, reverse=True))
    surname = "|".join(sorted(set(v.surnames), key=len, reverse=True))
    # a pinyin name: surname, optionally one given name (Gu Wei, Lin Hui)
    name = rf"(?P<name>(?:{surname})(?:\s[A-Z][a-z]{{1,6}}(?![A-Za-z]))?)(?![A-Za-z])"
    # a name in characters after an English title or honorific: a Chinese surname and up to two more,
    # standing alone (Director 向红军 (泌尿外科 head), Dr. 揭 (消化内科 Director))
    han = gazetteers()["surnames"]
    han_surname = "|".join([*sorted(han.compound, key=len, reverse=True), f"[{re.escape(''.join(han.single))}]"])
    han_name = rf"(?P<name>(?:{han_surname})[\u4e00-\u9fff]{{0,2}})(?![\u4e00-\u9fff])"
    latin_titles = "|".join(re.escape(w) for w in longest_first
                            if re.fullmatch(r"[A-Za-z ]+", w) and not by_written[w].after_surname_only)
    words = {w for t in v.titles for w in t.written.split()} | {h.rstrip(".") for h in v.honorifics}
    words |= {t.written for t in gazetteers()["titles"].titles if re.fullmatch(r"[A-Za-z]+", t.written)}
    return EnglishRules(
        vocab=v,
        titles=by_written,
        title_name=re.compile(rf"(?<![A-Za-z])(?P<title>{titles_before})\s+(?:(?:{honor})\s+)?{name}"),
        # a Chinese title may follow the pinyin name with no comma (Zhang 科长); an English one needs it
        # …and in brackets after the department written in characters (Dr. 揭 (消化内科 Director))
        name_title=re.compile(rf"(?<![A-Za-z])(?:(?:{honor})\s+)?{name}(?:\s*[,，(（]\s*(?:the\s+)?|\s*(?=[\u4e00-\u9fff]))(?P<title>{titles})(?![A-Za-z])"),
        title_han_name=re.compile(rf"(?<![A-Za-z])(?P<title>{latin_titles})\s+(?:(?:{honor})\s+)?{han_name}"),
        # the title in brackets, after the department written in characters
        han_name_title=re.compile(rf"(?<![A-Za-z])(?:{honor})\s+{han_name}\s*[(（]\s*(?:[\u4e00-\u9fff]{{2,8}}\s*)?"
                                  rf"(?P<title>{titles})(?![A-Za-z])"),
        department_after=re.compile(v.department_pattern),
        organization=re.compile(v.organization_pattern),
        department_before=re.compile(v.department_before_pattern),
        not_given_names=frozenset(words | set(v.not_given_names)),
    )


english_rules = ConfigFile(GAZETTEER_DIR / "english_people.yaml", EnglishPeople, _english_rules, reload=False)


def english_vocab() -> EnglishPeople:
    return english_rules().vocab
