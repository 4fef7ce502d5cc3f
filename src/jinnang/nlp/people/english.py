"""Titled people in English notes: Director Feng of the IT department, Dr. Song, Deputy Director of
Anesthesiology."""
from __future__ import annotations

from jinnang.nlp.people.mention import PersonMention
from jinnang.nlp.people.vocabulary import AFTER_SURNAME_BLOCKERS, CJK, LATIN_WORD, english_rules, people_vocab


def english_mentions(text: str) -> list[PersonMention]:
    """Director Feng of the IT department / Dr. Song, Deputy Director of Anesthesiology."""
    if not LATIN_WORD.search(text):
        return []
    rules = english_rules()
    out: list[PersonMention] = []
    for rx in (rules.title_name, rules.name_title, rules.title_han_name, rules.han_name_title):
        for m in rx.finditer(text):
            title = rules.titles[m.group("title")]
            if title.after_surname_only and text[m.end():m.end() + 1] in AFTER_SURNAME_BLOCKERS:
                continue
            name = m.group("name")
            if (cut := people_vocab().title_rx.search(name, 1)) and CJK.match(name):
                name = name[:cut.start()]  # Director 马主任, Dr. 易医生: the surname, its title written again
            if " " in name and name.split()[1] in ("Of", "From", "In", "At", "And", "The"):
                name = name.split()[0]
            rest = text[m.end():]
            dept = rules.department_after.match(text, m.end() + len(rest) - len(rest.lstrip()))
            department = dept.group("dept").strip() if dept else rules.vocab.title_departments.get(m.group("title"))
            out.append(PersonMention(name, m.start("name"), m.end(), title, department, m.start("title")))
    return out
