"""The entity layer's spaCy Language, built once from nlp/config.cfg, and the one Doc made per note.

>>> doc = note_doc("设备科沈科长")
>>> [(e.text, e.label_) for e in doc.ents]
[('设备科', 'department'), ('沈', 'name'), ('科长', 'position')]
"""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import jinnang.nlp.components  # noqa: F401  (registers the components and the Doc attributes)

CONFIG = Path(__file__).resolve().parent / "config.cfg"
_lock = threading.Lock()


@lru_cache(maxsize=1)
def get_nlp() -> Language:
    with _lock:
        config = spacy.util.load_config(CONFIG)
        pipeline = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
        pipeline.initialize()
        return pipeline


def note_doc(text: str) -> Doc:
    """A note read by the whole pipeline: LAC words (`doc._.lac_words`), the CRF's spans
    (`doc._.crf_spans`) and the entities (`doc.ents`). Make it once per note and pass it on."""
    return get_nlp()(text)
