"""Decision-makers: customer people named with a title, with department, organization and buying role.

>>> [(d.name, d.title, d.department, d.role) for d in find_decision_makers("扬州一院设备科沈科长说可以")]
[('沈', '科长', '设备科', 'equipment_dept')]

Follows gold-format.md §1 and the dev set's labelling conventions: the fullest name
(章主任 … 章文斌 → 章文斌), bare titles (主治 → 主治医师, 戴工 → 工程师), never our own
staff, never a person without a title. Vocabularies live in nlp/gazetteers/*.yaml.

Works on a note's spaCy Doc (nlp/pipeline.py), which carries what the taggers saw:
vocabulary → mentions → attribution → merging.
"""
from __future__ import annotations

from jinnang.core.records import DecisionMaker
from jinnang.nlp.people.merging import find_decision_makers_in
from jinnang.nlp.people.vocabulary import english_vocab

__all__ = ["find_decision_makers", "find_decision_makers_in", "english_vocab"]


def find_decision_makers(text: str, organization_hint: str | None = None) -> list[DecisionMaker]:
    """`find_decision_makers_in` for a text: builds its Doc first."""
    from jinnang.nlp.pipeline import note_doc

    if not text or not text.strip():
        return []
    return find_decision_makers_in(note_doc(text), organization_hint)
