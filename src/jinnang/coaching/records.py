"""The two records of playbook search: an indexed document and a search hit.

A corpus line `{"id", "kind", "text", "meta"}` becomes a `PlaybookDocument` (stored in
`docs-*.jsonl` with its content hash); a query returns `SearchHit`s. Their `model_dump()` is the
JSON the CLI and the API emit.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jinnang.core.errors import InputError
from jinnang.ingest.chunking import chunk_text as chunk_texts_of
from jinnang.ingest.redact import redact, redact_values

# the meta fields (and `kind`) a search can be filtered on
META_FILTERS = ("product_line", "department", "journey_node", "outcome", "kind")
CHUNK_CHARS = 400


def chunk_text(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """A short document stays whole; a long one is cut where ingest cuts (sentence ends, list items)."""
    text = text.strip()
    return [text] if len(text) <= limit else chunk_texts_of(text, max_chars=limit)


class PlaybookDocument(BaseModel):
    """One searchable document: a visit note, a trial feedback form or a talk track."""

    model_config = ConfigDict(extra="ignore")

    id: str
    kind: str = "visit_note"
    text: str
    meta: dict[str, Any] = Field(default_factory=dict)
    hash: str = ""  # of kind, text and meta: re-adding an unchanged document changes nothing

    @classmethod
    def parse(cls, raw: Any, where: str = "document") -> PlaybookDocument:
        """A corpus line checked: InputError names the bad field."""
        if isinstance(raw, PlaybookDocument):
            return raw
        if not isinstance(raw, Mapping):
            raise InputError("document", f"{where}: not a JSON object")
        doc_id = raw.get("id")
        if not isinstance(doc_id, str) or not doc_id.strip():
            raise InputError("id", f"{where}: `id` must be a non-empty string")
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InputError("text", f"{where}: `text` must be a non-empty string")
        kind = raw.get("kind", "visit_note")
        if not isinstance(kind, str) or not kind:
            raise InputError("kind", f"{where}: `kind` must be a string such as talk_track, visit_note, trial_feedback")
        meta = raw.get("meta") or {}
        if not isinstance(meta, dict):
            raise InputError("meta", f"{where}: `meta` must be an object")
        # a corpus indexed straight from a file (`jinnang index`) passes no ingest: mask patients'
        # identifiers here too (text from ingest is masked already; masking twice changes nothing)
        doc = cls(id=doc_id.strip(), kind=kind, text=redact(text), meta=redact_values(meta))
        doc.hash = doc.content_hash()
        return doc

    def content_hash(self) -> str:
        raw = json.dumps([self.kind, self.text, self.meta], ensure_ascii=False, sort_keys=True)
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()

    def chunks(self) -> list[tuple[str, str]]:
        """(chunk id, text) of each chunk: the document id itself when it is one chunk, else `id#n`."""
        pieces = chunk_text(self.text)
        if len(pieces) == 1:
            return [(self.id, pieces[0])]
        return [(f"{self.id}#{n}", piece) for n, piece in enumerate(pieces)]

    def meta_value(self, key: str) -> str:
        """A filterable field as the index stores it (`kind` is the document's own)."""
        return str((self.kind if key == "kind" else self.meta.get(key)) or "")


class SearchHit(BaseModel):
    """One document found for a query, with the snippet of its best chunk and the match spans in it."""

    doc_id: str
    score: float
    snippet: str
    highlights: list[tuple[int, int]]
    text: str
    kind: str
    meta: dict[str, Any]
