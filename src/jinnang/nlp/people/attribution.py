"""Attribution: what a mention says about its person beyond name and title — whether they are
our own staff, on a committee, which department and hospital they belong to, their buying role."""
from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.tokens import Doc

from jinnang.core.records import Role
from jinnang.nlp.components import doc_text
from jinnang.nlp.gazetteers import gazetteers
from jinnang.nlp.people.doc_facts import hospitals, words_at
from jinnang.nlp.people.mention import PersonMention
from jinnang.nlp.people.vocabulary import CJK, CLAUSE_BREAKS, SENTENCE_BREAKS, english_vocab, people_vocab

Spans = Sequence[tuple[int, int]]


def own_staff(doc: Doc, m: PersonMention) -> bool:
    text, vocab = doc_text(doc), people_vocab()
    own = vocab.own_company
    if m.title.own_staff:
        return True
    begin = m.begin
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
    cues = list(vocab.own_rx.finditer(window))
    own_cue = cues[-1] if cues else None  # the cue nearest the person
    # 我们先找ICU的褚护士长: the person is the one we go to see, not one of ours;
    # 她担心我们也一样 赖科长…: an adverb or adjective after the cue ends its clause
    if own_cue and not vocab.contact_rx.search(window[own_cue.end():]) \
            and not _predicate_between(doc, lo + own_cue.end(), begin):
        return True
    # an own-staff title written just before: 实施工程师 小孙, 技术支持杜工
    return any(t.own_staff and window.rstrip(" \u3000").endswith(t.written) for t in vocab.titles.values())


def _predicate_between(doc: Doc, start: int, end: int) -> bool:
    """An adverb or adjective word (LAC d, a, ad) lies wholly between start and end."""
    return any(start <= s and s + len(w) <= end and tag in ("d", "a", "ad")
               for s, (w, tag) in words_at(doc).items())


def on_committee(text: str, m: PersonMention, depts: Spans) -> bool:
    begin = m.start
    for c in people_vocab().committee_rx.finditer(text, max(0, begin - 24), begin):
        gap = text[c.end():begin]
        for s, e in depts:
            if c.end() <= s and e <= begin:
                gap = gap.replace(text[s:e], "")
        if re.fullmatch(r"[的、，,\s\u3000之一是（）()]*", gap):
            return True
    return False


def role(title: str, department: str | None, committee: bool) -> Role:
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


def home_department(doc: Doc, depts: Spans, hospital: tuple[int, int] | None = None) -> str | None:
    """The document's clinical department: the one a 科室 field names, else the one written right
    after the hospital (北京积水潭医院 脊柱外科), else the first that no admin rule claims. In a
    note on several hospitals, only the departments written in `hospital`'s part count."""
    text = doc_text(doc)
    g = gazetteers()["departments"]
    clinical = [(s, e) for s, e in depts if not _is_admin(text[s:e])]
    in_note = hospitals(doc)
    if hospital and len({text[a:b] for a, b in in_note}) > 1:
        # 三亚中心医院（海南省第三人民医院）: a name in brackets right after is the same hospital's
        later = [a for a, b in in_note if a > hospital[0] and text[a:b] != text[hospital[0]:hospital[1]]
                 and not re.fullmatch(r"[\s\u3000]*[（(][\s\u3000]*", text[hospital[1]:a])]
        stop = min(later, default=len(text))
        clinical = [(s, e) for s, e in clinical if hospital[0] <= s < stop]
    if g.department_fields:
        field_rx = re.compile(rf"(?:{'|'.join(map(re.escape, g.department_fields))})\s*[:：|]\s*$")
        for s, e in clinical:
            if field_rx.search(text[max(0, s - 12):s]):
                return text[s:e]
    for _hs, he in in_note:
        for s, e in clinical:
            if 0 <= s - he <= 2 and re.fullmatch(r"[\s\u3000,，]*", text[he:s]):
                return text[s:e]
    return text[clinical[0][0]:clinical[0][1]] if clinical else None


def fuller_department(text: str, department: str, depts: Spans) -> str:
    """内镜中心 after 消化内镜中心 was written is that department, written short (the full name
    written first; 手术室 … 中心手术室 are two units)."""
    if len(department) < 3:
        return department
    first_short = min((s for s, e in depts if text[s:e] == department), default=len(text))
    fuller = {text[s:e] for s, e in depts if text[s:e].endswith(department) and e - s > len(department)
              and s + (e - s - len(department)) <= first_short}
    return fuller.pop() if len(fuller) == 1 else department


def context_department(text: str, m: PersonMention, depts: Spans, starts: list[int]) -> str | None:
    """A department written apart from the person: 王主任（内镜中心）; a form section 设备科意见
    （科长 殷志强） or its signer on the next line; earlier in the same sentence (去设备科找龚科长)."""
    g = gazetteers()["departments"]
    english_window = english_vocab().sentence_window
    depts = [(s, e) for s, e in depts if text[s:e] not in g.adjacent_only]
    after = re.match(r"[\s\u3000]*[（(]", text[m.end:])
    if after:
        p = m.end + after.end()
        for s, e in depts:
            if s == p and re.match(r"[\s\u3000]*[）)]", text[e:]):
                return text[s:e]
    begin = m.begin
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
    window = max(g.sentence_window, english_window)
    lo = begin
    while lo > 0 and begin - lo < window and text[lo - 1] not in SENTENCE_BREAKS:
        lo -= 1
    for s, e in reversed(depts):
        if lo <= s and e <= begin:
            latin = not CJK.match(text[s])
            if begin - s > (english_window if latin else g.sentence_window):
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


def organization(doc: Doc, m: PersonMention) -> str | None:
    span = organization_span(doc, m)
    if span is None:
        return None
    text = doc_text(doc)
    names = [text[s:e] for s, e in hospitals(doc)]
    name = text[span[0]:span[1]]
    # 广州妇儿 after 广州市妇女儿童医疗中心, 鼓楼医院 after 南京鼓楼医院: one fuller name it shortens
    fuller = {full for full in names if len(full) > len(name) and (
        (full[0] == name[0] and _is_abbreviation(name, full)) or (len(name) >= 4 and full.endswith(name)))}
    return fuller.pop() if len(fuller) == 1 else name


def organization_span(doc: Doc, m: PersonMention) -> tuple[int, int] | None:
    """The hospital a person belongs to: the nearest one before them in the same clause, else
    the last one heading a line before them (weekly reports list one hospital per section), else
    the text's first. An abbreviation of a hospital written in full earlier is that hospital."""
    text, in_note = doc_text(doc), hospitals(doc)
    if not in_note:
        return None
    begin = m.begin
    lo = begin
    # the same clause: 听说上海六院也在用，王主任… is still the note's own hospital's 王主任
    while lo > 0 and text[lo - 1] not in CLAUSE_BREAKS:
        lo -= 1
    chosen = None
    for i, (s, e) in enumerate(in_note):
        if e <= begin and s >= lo:
            chosen = i
    if chosen is None:
        for i, (s, e) in enumerate(in_note):
            if e <= begin and _line_heading(text, s):
                chosen = i
    return in_note[chosen if chosen is not None else 0]


def _is_abbreviation(short: str, full: str) -> bool:
    it = iter(full)
    return all(c in it for c in short)
