"""Merging: a note's mentions grouped into people (章主任 … 章文斌 → 章文斌, Vivian 宋 … 宋),
each listed once with their best title and attributes."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.tokens import Doc

from jinnang.core.records import DecisionMaker, Evidence
from jinnang.nlp.components import doc_text
from jinnang.nlp.gazetteers import Title
from jinnang.nlp.people.attribution import (
    context_department,
    fuller_department,
    home_department,
    on_committee,
    organization,
    organization_span,
    own_staff,
    role,
)
from jinnang.nlp.people.doc_facts import departments, name_spans
from jinnang.nlp.people.learned_names import with_learned_names
from jinnang.nlp.people.mention import PersonMention
from jinnang.nlp.people.mentions import mentions
from jinnang.nlp.people.own_engineers import OwnEngineersModel, packaged_model
from jinnang.nlp.people.vocabulary import ADDRESS_TAILS, CJK, KIND_RANK, people_vocab

# a name restated right after a mention (章主任，章文斌，… / 公冶主任（公冶明）); one pattern for every
# surname, not one compiled per name
_APPOSITIVE = re.compile(r"[，,、\s\u3000（(]+([^，,、\s\u3000（(][\u4e00-\u9fff]{1,3})[，,、（()）\s\u3000]")


@dataclass
class Person:
    name: str
    mentions: list[PersonMention] = field(default_factory=list)


def _best_title(ms: list[PersonMention], name: str) -> Title:
    in_full = [m.title for m in ms if m.name == name and len(name) >= 2 and m.title.kind != "address"]
    # 邵主任 beside 邵敏副主任医师 is how a senior doctor is addressed, not a post, unless the
    # full name itself carries a post
    addressed = set() if any(t.kind == "post" for t in in_full) else {t.bare for t in in_full}
    titled = [m.title for m in ms if m.title.kind != "address"
              and not (m.name != name and addressed.intersection(m.title.addresses))]
    best = max(titled, key=lambda t: KIND_RANK[t.kind])
    for t in titled:  # 副院长 over 院长 for the same person
        if t.kind == best.kind and t.bare != best.bare and best.bare in t.bare:
            best = t
    return best


def _people(doc: Doc, found: list[PersonMention]) -> dict[str, Person]:
    """Mentions grouped by person, under the fullest name written for them."""
    text = doc_text(doc)
    compounds = people_vocab().compound_surnames
    people: dict[str, Person] = {}
    full_names = {m.name for m in found if len(m.name) >= 2 and CJK.match(m.name[0])}
    for m in sorted(found, key=lambda m: m.start):
        key = m.name
        if len(key) == 1 or (len(key) == 2 and key in compounds):
            fuller = [n for n in full_names if n.startswith(key) and n != key]
            if len(fuller) == 1:
                key = fuller[0]
        elif len(key) == 2 and CJK.match(key[0]):
            # 才让主任 beside 才让东周主任: a name by sound is said by its first part (a Han name of four
            # characters has a compound surname, handled above)
            fuller = [n for n in full_names if n.startswith(key) and len(n) >= 4]
            if len(fuller) == 1:
                key = fuller[0]
        if len(key) == 1 and CJK.match(key):  # Vivian 宋 and 宋 are one person
            latin = [n for n in people if n.endswith(" " + key) or (n.endswith(key) and not CJK.match(n[0]))]
            if latin:
                key = latin[0]
        people.setdefault(key, Person(key)).mentions.append(m)
    # a bare surname written near its full name: 章主任，章文斌， / 见到罗世英，罗主任说
    names = name_spans(doc)
    for key in list(people):
        if len(key) == 1 or (len(key) == 2 and key in compounds):  # 章 / 公冶: a surname alone
            first = people[key].mentions[0]
            near = [text[s:e] for s, e in names.items()
                    if text[s:s + len(key)] == key and len(key) + 1 <= e - s <= len(key) + 2
                    and (abs(s - first.end) <= 6 or 0 <= first.start - e <= 6)  # after it, or just before
                    and not (e - s == len(key) + 1 and text[e - 1] in ADDRESS_TAILS)
                    and not any(s < m.end and m.start < e for m in found)]
            appositive = _APPOSITIVE.match(text, first.end)
            if (not near and appositive and appositive.group(1).startswith(key)
                    and len(appositive.group(1)) <= len(key) + 2
                    and not people_vocab().title_rx.search(appositive.group(1), 1)):  # Director 马 (马主任)
                near = [appositive.group(1)]  # 章主任，章文斌，五十多岁 (the segmenters may miss the name)
            if len(near) == 1 and near[0] not in people:
                people[near[0]] = people.pop(key)
                people[near[0]].name = near[0]
    return people


def find_decision_makers_in(doc: Doc, organization_hint: str | None = None) -> list[DecisionMaker]:
    """Customer-side people of a note's Doc named with a title, merged across mentions, in order of
    first mention."""
    if not doc_text(doc).strip():
        return []
    return decision_makers_from(doc, with_learned_names(doc, [m for m in mentions(doc) if m.name.strip()]),
                                organization_hint)


def decision_makers_from(doc: Doc, found: list[PersonMention], organization_hint: str | None = None,
                         engineers: OwnEngineersModel | None | str = "packaged") -> list[DecisionMaker]:
    """The people of `found`, the note's mentions: its own staff left out, merged, each with title,
    department, organization and buying role. `engineers` (default the packaged model; None: keep
    every engineer) leaves out the engineers it reads as our own."""
    text = doc_text(doc)
    depts = departments(doc)
    own = {id(m) for m in found if own_staff(doc, m)}
    own_names = {m.name for m in found if id(m) in own}
    starts = sorted({m.begin for m in found})
    out: list[DecisionMaker] = []
    for person in _people(doc, found).values():
        ms = person.mentions
        if any(id(m) in own for m in ms) or person.name in own_names:
            continue
        if all(m.title.kind == "address" for m in ms):
            continue  # people without a title are never listed
        best = _best_title(ms, person.name)
        title = best.bare
        department = next((m.department for m in ms if m.department), None) or next(
            (d for d in (context_department(text, m, depts, starts) for m in ms) if d), None)
        if department is None and best.needs_department:
            continue  # 王经理：您好 (the report's addressee), 经销商的郝经理
        if department:
            department = fuller_department(text, department, depts)
        committee = any(on_committee(text, m, depts) for m in ms)
        buying_role = role(title, department, committee)
        if department is None and buying_role in ("clinical_lead", "clinical_user"):
            department = home_department(doc, depts, organization_span(doc, ms[0]))
            buying_role = role(title, department, committee)
        if buying_role == "hospital_leader":
            department = None
        out.append(DecisionMaker(
            name=person.name, title=title, department=department,
            organization=organization_hint or organization(doc, ms[0]), role=buying_role,
            confidence=0.9 if len(ms) > 1 else 0.8,
            evidence=[Evidence(text=text[m.start:m.end], start=m.start, end=m.end) for m in ms],
        ))
    model = packaged_model() if engineers == "packaged" else engineers
    return model.keep(text, out) if isinstance(model, OwnEngineersModel) else out
