"""One note in, one ExtractionRecord out: decision-makers, objections, key dates, visit
facts and the journey node, each from its own finder (FINDERS lists them).

A finder that is missing or fails leaves its field empty and says so in `record.warnings`
— nothing is ever filled in by guess. The note's spaCy Doc is made once, by the first
finder that needs it.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jinnang.core.lazy import lazy_property
from jinnang.core.records import DocumentKind, ExtractionRecord
from jinnang.nlp.dates import find_key_dates

if TYPE_CHECKING:
    from spacy.tokens import Doc

log = logging.getLogger(__name__)


@dataclass
class Note:
    """What every finder is given: the note, its kind and date, and the record's warnings."""

    text: str
    reference_date: dt.date
    kind: DocumentKind
    warnings: list[str] = field(default_factory=list)
    # what the finders knew of each item, per field, for the confidence calibration
    details: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # the key dates' types, once found: the learned journey node reads them
    date_types: list[str] = field(default_factory=list)

    @lazy_property
    def doc(self) -> Doc:
        """The note read by the entity pipeline, made on first use."""
        from jinnang.nlp.pipeline import note_doc

        return note_doc(self.text)


@dataclass(frozen=True)
class Finder:
    """One field of the record: `find(note)` reads it, `store(record, found)` puts it in place.
    The finder modules are imported when first run, so that one missing module (or one whose
    model cannot load) empties its own field only."""

    label: str
    find: Callable[[Note], Any]
    store: Callable[[ExtractionRecord, Any], None]
    kinds: frozenset[DocumentKind] | None = None  # the document kinds it reads; None: all


def _decision_makers(note: Note) -> Any:
    from jinnang.nlp.people import find_decision_makers_in

    return find_decision_makers_in(note.doc)


def _objections(note: Note) -> Any:
    from jinnang.nlp.objections import find_objections

    return find_objections(note.text, note.details.setdefault("objections", []))


def _key_dates(note: Note) -> Any:
    # nlp/dates loads no model, so it is imported with this module; the learned types load one
    from jinnang.nlp.date_types import with_learned_types

    details = note.details.setdefault("key_dates", [])
    found = find_key_dates(note.text, note.reference_date, kind=note.kind, warnings=note.warnings, details=details)
    note.date_types = [d.type for d in found]  # the journey's rules and model were fitted on the rules' types
    return with_learned_types(note.text, found, details)


def _visit_facts(note: Note) -> Any:
    from jinnang.nlp.visit_needs import with_learned_needs
    from jinnang.nlp.visit_questions import find_visit

    return with_learned_needs(note.text, find_visit(note.text))


def _journey_node(note: Note) -> Any:
    from jinnang.nlp.journey_model import find_journey

    return find_journey(note.text, note.kind, note.reference_date, note.date_types)


def _set_journey(record: ExtractionRecord, found: Any) -> None:
    if found:
        record.journey_node, record.journey_evidence, record.journey_learned_p = found


FINDERS: tuple[Finder, ...] = (
    Finder("decision makers", _decision_makers, lambda r, found: setattr(r, "decision_makers", list(found or []))),
    Finder("objections", _objections, lambda r, found: setattr(r, "objections", list(found or []))),
    Finder("key dates", _key_dates, lambda r, found: setattr(r, "key_dates", list(found or []))),
    Finder("visit facts", _visit_facts, lambda r, found: setattr(r, "visit", found), frozenset({"visit_note"})),
    Finder("journey node", _journey_node, _set_journey),
)


def _run(finder: Finder, note: Note) -> Any:
    try:
        return finder.find(note)
    except ImportError as exc:
        log.exception("the %s finder is not available", finder.label)
        note.warnings.append(f"{finder.label} is not available ({exc}); its field is left empty")
    except Exception as exc:  # one finder's fault must not lose the rest of the record
        log.exception("the %s finder failed", finder.label)
        note.warnings.append(f"{finder.label} failed: {type(exc).__name__}: {exc}; its field is left empty")
    return None


def extract_uncalibrated(text: str, reference_date: dt.date,
                         kind: DocumentKind = "visit_note") -> tuple[ExtractionRecord, Note]:
    """The record with the finders' raw scores, and the note with what they knew of each item
    (training/train_calibration.py fits the calibration on these)."""
    import sklearn

    from jinnang.nlp.traditional import restore, simplified

    note = Note(simplified(text), reference_date, kind)
    record = ExtractionRecord()
    # the models' inputs are ours and finite: scikit-learn's checks of them cost ~5% of a note's time
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        for finder in FINDERS:
            if finder.kinds is None or kind in finder.kinds:
                finder.store(record, _run(finder, note))
    record.warnings = note.warnings
    restore(record, text, note.text)
    return record, note


def extract(text: str, reference_date: dt.date, kind: DocumentKind = "visit_note") -> ExtractionRecord:
    record, note = extract_uncalibrated(text, reference_date, kind)
    try:
        from jinnang.nlp.calibration import calibrate_record

        calibrate_record(record, note.text, kind, reference_date, note.details)
    except Exception as exc:  # the facts stand without calibrated confidences; say so
        log.exception("confidence calibration failed")
        record.warnings.append(f"confidences are not calibrated ({type(exc).__name__}: {exc})")
    return record
