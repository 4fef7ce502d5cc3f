"""The entity layer: `find_entities(text)` → name / position / organization / department spans.

>>> [(e.label, e.text) for e in find_entities("设备科沈科长")]
[('department', '设备科'), ('name', '沈'), ('position', '科长')]
"""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from jinnang.core.records import Entity, EntityLabel

if TYPE_CHECKING:
    from spacy.tokens import Doc


def entities_in(doc: Doc) -> list[Entity]:
    """Entities of a note's Doc with character offsets (end exclusive), in text order."""
    # the pipeline's labels are the four of EntityLabel; pydantic checks each one
    return [Entity(label=cast(EntityLabel, e.label_), text=e.text, start=e.start_char, end=e.end_char)
            for e in doc.ents]


def find_entities(text: str) -> list[Entity]:
    """`entities_in` for a text: builds its Doc first."""
    from jinnang.nlp.pipeline import note_doc

    if not text:
        return []
    return entities_in(note_doc(text))
