"""Names written by sound, which carry no Han surname: Uyghur, Kazakh, Mongolian, Tibetan, Yi …
(古丽娜尔主任, 设备科额尔敦科长, 科主任：阿苦日哈, 努尔兰·阿合买提（副主任医师）).

The surname-first rules of `mentions.py` find nobody there. This reader takes a run of the
characters such names are written with (`transliteration` in nlp/gazetteers/surnames.yaml) where a
name must stand: right before a title, from a boundary (a line or field start, a space, a
department's end, 见/和/请 …), or as a form field's whole value after a title and a colon. Names of two
characters stay with the surname rules (`compound` there lists the common ones: 卓玛, 苏和)."""
from __future__ import annotations

import re
from functools import lru_cache

from spacy.tokens import Doc

from jinnang.nlp.components import doc_text
from jinnang.nlp.gazetteers import Title, gazetteers
from jinnang.nlp.people.doc_facts import departments, words_at
from jinnang.nlp.people.vocabulary import BEFORE_NAME, CJK, COMMON_WORD_TAGS, DOTS, NOT_NAME_PLACES, people_vocab

MIN_CHARS = 3  # without its dot
MAX_PART = 8  # characters of one part of a dotted name


@lru_cache(maxsize=1)
def _name_rx() -> tuple[re.Pattern, re.Pattern]:
    chars = re.escape(gazetteers()["surnames"].transliteration or "\u0000")
    part = f"[{chars}]{{2,{MAX_PART}}}"
    name = rf"{part}(?:[{DOTS}]{part})?"
    # before a title: the run ends at the title (spaces or a bracket between). The dot marks a name by
    # sound, so a dotted name's first part may hold characters the inventory leaves out as everyday
    # ones (阿不都外力·依沙克主任); name_before_title still starts it at a boundary
    dotted = rf"[\u4e00-\u9fff]{{2,{MAX_PART}}}[{DOTS}]{part}"
    before = re.compile(rf"({dotted}|{name})[ \u3000\t]*[（(]?[ \u3000\t]*$")
    # after a title and a colon, the field's whole value; a dotted name (病理科主任伊力哈木·艾山说)
    # needs no colon: the dot marks it as a name by sound; nor does a run of four or more that ends at a
    # break (主任乌云毕力格和…, 护士 阿依古丽/)
    stop = "和与及跟说问的是在也都就"
    after = re.compile(rf"[ \u3000\t]*(?:[:：][ \u3000\t]*({name})(?=$|[^\u4e00-\u9fff{DOTS}])|({part}[{DOTS}]{part})"
                       rf"|([{chars}]{{4,{MAX_PART}}})(?=$|[^\u4e00-\u9fff{DOTS}]|[{stop}]))")
    return before, after


# LAC tags of a run read before a title that make it no name (安排其他主任, 别让卢主任); numbers and
# measure words are not among them: LAC reads 次仁多吉 as one
NOT_NAME_WORD_TAGS = frozenset({"v", "vd", "vn", "d", "a", "ad", "an", "p", "c", "r", "u"})


def _plausible(doc: Doc, start: int, name: str, field_value: bool = False) -> bool:
    """A run that can be a name: long enough, no title or everyday word, no company or place, no
    department. A form field's whole value (科主任：次仁多吉) needs no more; a run before a title
    must also not begin with a word LAC or the dictionary read as an everyday one."""
    from jinnang.nlp.crf_features import word_lexicon

    bare = name.translate({ord(d): None for d in DOTS})
    if len(bare) < MIN_CHARS or people_vocab().title_rx.search(name):
        return False
    lexicon = word_lexicon()[0]
    if lexicon.get(name) in COMMON_WORD_TAGS:
        return False
    if any(s < start + len(name) and start < e for s, e in departments(doc)):
        return False
    word = words_at(doc).get(start)
    if word and word[1] in NOT_NAME_PLACES:
        return False
    if field_value:
        return True
    if word and word[1] != "PER" and word[1] in NOT_NAME_WORD_TAGS and len(word[0]) > 1:
        return False
    return True


def _boundary_before(doc: Doc, text: str, start: int, name: str = "") -> bool:
    if start == 0 or not CJK.match(text[start - 1]) or text[start - 1] in BEFORE_NAME:
        return True
    # 今天阿力木江主任: LAC reads the very run as a person
    return any(e == start for _, e in departments(doc)) or words_at(doc).get(start) == (name, "PER")


def _whole_per(doc: Doc, start: int, name: str) -> str:
    """The run, or the person LAC reads from its start when that goes a little further
    (艾克拜尔·吐尔逊: 逊 is no character the inventory lists)."""
    word = words_at(doc).get(start)
    if word and word[1] == "PER" and word[0].startswith(name) and len(word[0]) - len(name) <= 2 \
            and all(CJK.match(c) for c in word[0][len(name):]):
        return word[0]
    return name


def name_before_title(doc: Doc, title_start: int) -> tuple[str, int] | None:
    """(name, start) of a name by sound ending just before the title at `title_start`."""
    text = doc_text(doc)
    m = _name_rx()[0].search(text[max(0, title_start - 2 * MAX_PART - 4):title_start])
    if not m:
        return None
    run_start = title_start - (len(m.group(0)))
    run = m.group(1)
    # the run may have taken in the end of the word before it: the longest part from a boundary
    for cut in range(len(run) - MIN_CHARS + 1):
        start, name = run_start + cut, run[cut:]
        if name[0] in DOTS:
            continue
        if any(d in name for d in DOTS):
            # a dotted name (its first part may hold any characters) starts at a boundary or where an
            # everyday word (今天, 下午, 见了) ends, never inside or at one
            if _everyday_word(doc, start) or not (_after_everyday_word(doc, start) or (
                    not _outside_inventory(name) and _boundary_before(doc, text, start, name))):
                continue
            if _plausible(doc, start, name):
                return name, start
        elif _boundary_before(doc, text, start, name) and _plausible(doc, start, name):
            return name, start
    return None


@lru_cache(maxsize=1)
def inventory() -> frozenset[str]:
    """The characters names by sound are written with (`transliteration` in surnames.yaml)."""
    return frozenset(gazetteers()["surnames"].transliteration or "")


def _outside_inventory(name: str) -> bool:
    """The dotted name's first part holds a character the inventory leaves out."""
    return not set(re.split(f"[{DOTS}]", name)[0]) <= inventory()


# LAC's tags of words no dotted name begins with: everyday words, times, places, organisations
NOT_NAME_START_TAGS = COMMON_WORD_TAGS | {"TIME", "LOC", "ORG"}


def _everyday_word(doc: Doc, start: int) -> bool:
    """An everyday word starts at `start`; a one-character one only if names by sound are not written
    with it (LAC cuts 吾 off 吾买尔江 as a pronoun, but 见 of 见了 is no name's)."""
    word = words_at(doc).get(start)
    if not word or word[1] not in NOT_NAME_START_TAGS:
        return False
    return len(word[0]) > 1 or word[0] not in inventory()


def _after_everyday_word(doc: Doc, start: int) -> bool:
    """`start` is the text's, a line's or a clause's start, or where an everyday word ends."""
    text = doc_text(doc)
    if start == 0 or not CJK.match(text[start - 1]) or text[start - 1] in BEFORE_NAME:
        return True
    return any(s + len(w) == start and tag in NOT_NAME_START_TAGS for s, (w, tag) in words_at(doc).items())


def name_after_title(doc: Doc, title_end: int) -> tuple[str, int] | None:
    """(name, start) of a name by sound that is a form field's whole value after a title:
    科主任：阿苦日哈 日期：…"""
    text = doc_text(doc)
    m = _name_rx()[1].match(text, title_end)
    if not m:
        return None
    group = next(g for g in (1, 2, 3) if m.group(g))
    if not _plausible(doc, m.start(group), m.group(group), field_value=group < 3):
        return None
    return _whole_per(doc, m.start(group), m.group(group)), m.start(group)


def _reaches_back(doc: Doc, start: int, name: str, seen: str) -> bool:
    """吐尔洪 for 洪 (a surname right before the title), but never 别让卢 for 卢: where LAC too reads a
    name beginning at the surname (卢主任 as a person), the two readers agree and the surname stays."""
    from jinnang.nlp.crf_features import word_lexicon

    at_surname = start + len(name) - len(seen)
    word = words_at(doc).get(at_surname)
    return (name.endswith(seen) and word_lexicon()[0].get(name[:2]) not in COMMON_WORD_TAGS
            and not (word and word[1] == "PER"))


def names_by_sound(doc: Doc, claimed: dict[int, str]) -> list[tuple[str, int, int, Title, int]]:
    """(name, start, end, title, title_start) of each title that `claimed` (title start → the name
    the surname rules read there) leaves without a whole name, where a name by sound stands."""
    text, vocab = doc_text(doc), people_vocab()
    depts = departments(doc)
    out = []
    pos = 0
    while (m := vocab.title_rx.search(text, pos)) is not None:
        ts, te = m.span()
        if any(s <= ts < e for s, e in depts):  # 麻醉科主任: the title is 主任, not 科主任
            pos = ts + 1
            continue
        pos = te
        title = vocab.titles[m.group()]
        found = name_before_title(doc, ts) or (None if title.after_surname_only else name_after_title(doc, te))
        if found is None:
            continue
        name, start = found
        seen = claimed.get(ts)
        if seen is not None and not (seen != name and (name.startswith(seen) or _reaches_back(doc, start, name, seen))):
            continue  # the surname rules read someone else, or this very name
        out.append((name, start, max(te, start + len(name)), title, ts))
    return out
