"""Text facts every layer shares: where a Chinese or English sentence ends."""
from __future__ import annotations

SENTENCE_END = "。！？!?；;"
"""Marks that end a sentence (a Chinese semicolon ends a clause-sized thought in notes)."""

SENTENCE_OR_LINE_END = SENTENCE_END + "\n"
"""The same, with a line break: notes written as one line per point end a sentence there too."""
