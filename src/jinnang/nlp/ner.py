"""The entity layer: `find_entities(text)` → name / position / organization / department spans.

>>> [(e.label, e.text) for e in find_entities("设备科沈科长")]
[('department', '设备科'), ('name', '沈'), ('position', '科长')]
"""
from __future__ import annotations

from jinnang.core.records import Entity


def find_entities(text: str) -> list[Entity]:
    """Entities of `text` with character offsets (end exclusive), in text order."""
    from jinnang.nlp.pipeline import get_nlp

    if not text:
        return []
    doc = get_nlp()(text)
    return [Entity(label=e.label_, text=e.text, start=e.start_char, end=e.end_char) for e in doc.ents]
