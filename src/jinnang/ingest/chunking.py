"""Chinese-aware chunking: break at sentence ends (。！？；), list items and form fields,
then pack pieces into chunks of at most `max_chars`."""
from __future__ import annotations

import re

from jinnang.core.text import SENTENCE_END

_SENTENCE_END = re.compile(f"(?<=[{re.escape(SENTENCE_END)}])")
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.、)）]|[（(]\d+[)）]|[一二三四五六七八九十]+、|[-*•·■□])")
_FORM_FIELD = re.compile(r"^[^：:\n]{1,12}[：:]")


def _pieces(text: str) -> list[str]:
    pieces: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        pieces.extend(p.strip() for p in _SENTENCE_END.split(line) if p.strip())
    return pieces


def chunk_text(text: str, max_chars: int = 300) -> list[str]:
    """`chunk_text("一。二。", max_chars=2)` → ["一。", "二。"]. Every character of content is kept."""
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text):
        starts_block = bool(_LIST_ITEM.match(piece) or _FORM_FIELD.match(piece))
        while len(piece) > max_chars:  # an over-long sentence is cut, not dropped
            if current:
                chunks.append(current)
                current = ""
            chunks.append(piece[:max_chars])
            piece = piece[max_chars:]
        joiner = "\n" if starts_block else ""
        if current and len(current) + len(joiner) + len(piece) > max_chars:
            chunks.append(current)
            current = piece
        else:
            current = f"{current}{joiner}{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


DOCUMENT_CHUNK_CHARS = 400


def document_chunks(text: str, limit: int = DOCUMENT_CHUNK_CHARS) -> list[str]:
    """The chunks a document is stored and searched by: a short document stays whole, a long one is
    cut by `chunk_text`. The playbook cuts the same way, so each chunk is embedded once a process.

    >>> document_chunks("  王主任说价格偏高。\\n下周再去。 ")
    ['王主任说价格偏高。\\n下周再去。']
    """
    text = text.strip()
    if not text:
        return []
    return [text] if len(text) <= limit else chunk_text(text, max_chars=limit)
