"""Names written in brackets right after a title, and names of surnames the list does not know
where the writing itself shows them to be names."""
from __future__ import annotations

import re

from jinnang.nlp.crf_features import word_lexicon
from jinnang.nlp.people.vocabulary import COMMON_WORD_TAGS, PeopleVocab

BRACKETED = re.compile(r"[（(]([\u4e00-\u9fff]{2,5})[）)]")
# what may end a form field's value: a line's end, a separator or a bracket
VALUE_END = re.compile(r"[\s\u3000；;（(|/]|$")  # not a comma: 主任：太贵了，… is a speaker's line
# a field's value beginning so is a status, no name (科主任：已签, 主任：未到, 院长：请批示)
STATUS_START = "已未无不待同请详见略否是有另"
PARTICLES = set("的了吗呢啊吧么")  # speech, no name (院长：钱的事)
# a department's or a unit's ending: 主管技师（微生物室） names a room, not a 微生 (a compound surname)
UNIT_END = re.compile(r"(?:室|科|处|部|组|办|中心)$")


def bracketed_name(text: str, ts: int, te: int, vocab: PeopleVocab) -> tuple[str, int, int] | None:
    """(name, its start, the surname's start or the title's) of a full name in brackets after the
    title at ts:te. Either it restates the surname written before the title, known or not
    (符主任（符海燕）, 贠科长（贠建军）), or it begins with a known surname (康复科主任（崔光日）); never a
    bracket holding a title, an everyday word or a people's name (主任（主持工作）, 主任（景颇族）)."""
    m = BRACKETED.match(text, te)
    if not m:
        return None
    name = m.group(1)
    if vocab.title_rx.search(name) or word_lexicon()[0].get(name) in COMMON_WORD_TAGS or name.endswith("族"):
        return None
    for length in (2, 1):  # the surname written before the title: 上官科长（上官婷）, 符主任（符海燕）
        surname = text[max(0, ts - length):ts]
        if len(surname) == length and name.startswith(surname) and len(name) - length in (1, 2):
            return name, m.start(1), ts - length
    # a surname before the title that the bracket does not restate keeps it (韩处长（回族）, 林主任（兼））
    if text[ts - 1:ts] not in vocab.surnames and vocab.starts_surname(name) \
            and len(name) <= 3 + (name[:2] in vocab.compound_surnames) and not UNIT_END.search(name):
        return name, m.start(1), ts
    return None


def field_value_name(text: str, p: int) -> str | None:
    """A form field's whole value of two or three characters after a title and a colon, whatever its
    surname (科室主任：俸丽华, 科主任：税永强): LAC and the surname list miss rare surnames, and such a
    value is a name unless the dictionary knows it, or its last two characters, as a word that is no
    name (科主任：同意, 主任：无异议)."""
    m = re.match(r"[\u4e00-\u9fff]{2,3}", text[p:])
    if not m or not VALUE_END.match(text, p + m.end()):
        return None
    value, lexicon = m.group(), word_lexicon()[0]
    if value[0] in STATUS_START or PARTICLES & set(value) or (len(value) == 2 and value[0] in "小老阿"):
        return None  # …nor a form of address: 院长：小罗，… is a speaker talking to our rep
    return None if any(not lexicon.get(w, "nr").startswith("nr") for w in {value, value[-2:], value[:2]}) else value
