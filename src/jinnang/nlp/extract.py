"""One note in, one ExtractionRecord out: decision-makers, objections, key dates, visit
facts and the journey node, each from its own finder.

The finders live in their own modules; one that is missing or fails leaves its field
empty and says so in `record.warnings` — nothing is ever filled in by guess.
"""
from __future__ import annotations

import datetime as dt
import importlib
from typing import Any, Callable

from jinnang.core.records import DocumentKind, ExtractionRecord
from jinnang.nlp.dates import find_key_dates

_FINDERS: dict[str, Callable[..., Any] | None] = {}
_MISSING: dict[str, str] = {}


def _finder(module: str, name: str, warnings: list[str]) -> Callable[..., Any] | None:
    key = f"{module}.{name}"
    if key not in _FINDERS:
        try:
            _FINDERS[key] = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            _FINDERS[key] = None
            _MISSING[key] = str(exc)
    fn = _FINDERS[key]
    if fn is None:
        warnings.append(f"{key} is not available ({_MISSING.get(key)}); its field is left empty")
    return fn


def _run(fn: Callable[..., Any] | None, label: str, warnings: list[str], *args: Any) -> Any:
    if fn is None:
        return None
    try:
        return fn(*args)
    except Exception as exc:  # one finder's fault must not lose the rest of the record
        warnings.append(f"{label} failed: {type(exc).__name__}: {exc}; its field is left empty")
        return None


def extract(text: str, reference_date: dt.date, kind: DocumentKind = "visit_note") -> ExtractionRecord:
    warnings: list[str] = []
    record = ExtractionRecord()

    people = _run(_finder("jinnang.nlp.people", "find_decision_makers", warnings), "decision makers", warnings, text)
    record.decision_makers = list(people or [])

    objections = _run(_finder("jinnang.nlp.objections", "find_objections", warnings), "objections", warnings, text)
    record.objections = list(objections or [])

    dates = _run(lambda: find_key_dates(text, reference_date, kind=kind, warnings=warnings), "key dates", warnings)
    record.key_dates = list(dates or [])

    if kind == "visit_note":
        record.visit = _run(_finder("jinnang.nlp.visit", "find_visit_facts", warnings), "visit facts", warnings, text)

    journey = _run(_finder("jinnang.nlp.journey", "find_journey_node", warnings), "journey node", warnings,
                   text, kind, reference_date)
    if journey:
        record.journey_node, record.journey_evidence = journey
    record.warnings = warnings
    return record


def clear_text_caches() -> None:
    """Forget what was worked out per text (LAC words, names, sentences), so the next call on
    the same note does the whole work again — what a benchmark over repeated notes must time."""
    from jinnang.nlp import lac, people, vocab

    lac.clear_cache()
    for cached in (*people.text_caches(), vocab.sentences, vocab.clauses):
        cached.cache_clear()
