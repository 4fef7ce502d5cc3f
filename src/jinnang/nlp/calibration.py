"""Calibrated confidences: the probability that an extracted item is right.

The finders' own scores were fixed numbers (every rule objection 0.8, every person 0.8 or 0.9),
so a "lowest confidence first" review list was in no order at all. Here each item (a person,
an objection, a key date, the visit facts, the journey node) is described by features its
finder already knows — which source fired, how many cues agreed, the scorer's probability,
the span's length, how many mentions — and a per-field logistic regression (Platt scaling over
those features) maps them to a probability. The regressions are fitted offline by
`python training/calibrate_on_unseen.py` on items of blind sets as the extractor read them
before it learned from them (what a new writer's notes look like); the fitted file is
nlp/models/calibration.json: each field's weights and bias (plain numbers, so that no
scikit-learn is loaded to apply them), the review line, and a card (data, cross-validated
reliability).

    >>> probability("journey_node", journey_features(None, None))  # doctest: +SKIP
    0.93

Item correctness follows `jinnang eval extraction`: a person by (name, title), an objection by
its category, a key date by (type, date), the visit facts when all three fields are right, the
journey node when it equals the gold node (None included).
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jinnang.core.records import (
    JOURNEY_NODES,
    OBJECTION_CATEGORIES,
    DecisionMaker,
    ExtractionRecord,
    KeyDate,
    Objection,
    VisitFacts,
)

MODELS = Path(__file__).resolve().parent / "models"
CALIBRATION_FILE = "calibration.json"
FIELDS = ("decision_makers", "objections", "key_dates", "visit", "journey_node")
Features = dict[str, float]
TRIAL_DATE_TYPES = ("trial_start", "trial_end")
# the journey node given to a final trial form that shows no later signal (nlp/journey.py)
FORM_FLOOR_EVIDENCE = "试用反馈表（试用结束）"


class CalibrationMissing(FileNotFoundError):
    """The fitted calibration file is not there; names the training command."""


def _length(n: int) -> float:
    return math.log1p(max(n, 0))


def person_features(dm: DecisionMaker, text: str, n_people: int) -> Features:
    name = dm.name.strip()
    latin = bool(name) and name[0].isascii()
    return {
        "mentions": _length(len(dm.evidence)), "single_mention": float(len(dm.evidence) <= 1),
        "surname_only": float(not latin and len(name) == 1), "latin_name": float(latin),
        "name_chars": float(min(len(name), 4)), "title_chars": _length(len(dm.title or "")),
        "has_department": float(bool(dm.department)), "has_organization": float(bool(dm.organization)),
        "role_other": float(dm.role == "other"), "role_clinical": float(dm.role in ("clinical_lead", "clinical_user")),
        "people_in_note": _length(n_people), "note_chars": _length(len(text)) / 8,
    }


def objection_features(objection: Objection, source: str, scorer_p: float, rule_hits: int,
                       n_objections: int, kind: str) -> Features:
    """`source` 'rule' or 'scorer'; `scorer_p` the scorer's probability of the category for the
    evidence's clause (0 without a scorer); `rule_hits` how many cue hits of the category stood."""
    span = (objection.end or 0) - (objection.start or 0) or len(objection.evidence)
    features = {
        "from_scorer": float(source == "scorer"), "scorer_p": scorer_p,
        "rule_and_scorer_agree": float(source == "rule" and scorer_p >= 0.5),
        "rule_hits": _length(rule_hits), "evidence_chars": _length(span),
        "objections_in_note": _length(n_objections), "trial_form": float(kind == "trial_feedback"),
    }
    features.update({f"category_{c}": float(objection.category == c) for c in OBJECTION_CATEGORIES})
    return features


def date_features(key_date: KeyDate, reference_date: dt.date, cued: bool, in_range: bool, n_dates: int) -> Features:
    evidence = key_date.evidence or ""
    ahead = (key_date.date - reference_date).days
    return {
        "cued": float(cued), "type_other": float(key_date.type == "other"),
        "trial_type": float(key_date.type in TRIAL_DATE_TYPES), "in_range": float(in_range),
        "written_day": float(any(ch.isdigit() for ch in evidence) or "月" in evidence),
        "evidence_chars": _length(len(evidence)), "days_ahead": _length(abs(ahead)) / 3,
        "past": float(ahead <= 0), "weekend": float(key_date.date.weekday() >= 5),
        "dates_in_note": _length(n_dates),
    }


def visit_features(visit: VisitFacts) -> Features:
    return {
        "sample_brought": float(visit.sample_brought), "questions_resolved": float(min(visit.questions_resolved, 3)),
        "questions_zero": float(visit.questions_resolved == 0), "cross_dept_needs": float(len(visit.cross_dept_needs)),
        "evidence": _length(len(visit.evidence)),
    }


def journey_features(node: str | None, evidence: str | None) -> Features:
    features = {"no_node": float(node is None), "evidence_chars": _length(len(evidence or "")),
                "form_floor": float(evidence == FORM_FLOOR_EVIDENCE)}
    features.update({f"node_{n}": float(node == n) for n in JOURNEY_NODES})
    if node is not None and node not in JOURNEY_NODES:
        features["node_unknown"] = 1.0  # a variant journey's own node
    return features


def model_path(name: str = CALIBRATION_FILE) -> Path:
    return Path(name) if Path(name).is_absolute() else MODELS / name


class FieldModel(BaseModel):
    """p = 1 / (1 + exp(−(bias + Σ weight × feature))); features it does not know weigh 0."""

    model_config = ConfigDict(extra="forbid")

    weights: dict[str, float] = Field(default_factory=dict)
    bias: float

    def probability(self, features: Features) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in features.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


class CalibrationFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    fields: dict[str, FieldModel]
    line: float = Field(ge=0.0, le=1.0)
    card: dict[str, Any] = Field(default_factory=dict)


@lru_cache(maxsize=2)
def load_calibrator(name: str = CALIBRATION_FILE) -> CalibrationFile:
    """The fitted per-field models, read once (plain JSON: no scikit-learn, no torch)."""
    path = model_path(name)
    if not path.is_file():
        raise CalibrationMissing(f"confidence calibration {path} is missing: "
                                 "run `python training/calibrate_on_unseen.py` once")
    bundle = CalibrationFile.model_validate_json(path.read_text(encoding="utf-8"))
    missing = [f for f in FIELDS if f not in bundle.fields]
    if missing:
        raise CalibrationMissing(f"{path} has no model for {', '.join(missing)}: retrain it")
    return bundle


def check_calibrator(name: str = CALIBRATION_FILE) -> str | None:
    """None when the calibration file loads; else one line saying what is wrong (for start-up checks)."""
    try:
        load_calibrator(name)
    except Exception as exc:  # a corrupt file is as fatal as a missing one
        return f"{type(exc).__name__}: {exc}"
    return None


def probabilities(field: str, rows: Sequence[Features]) -> list[float]:
    """The calibrated probability that each item of `field` is right."""
    if not rows:
        return []
    model = load_calibrator().fields[field]
    return [round(model.probability(row), 3) for row in rows]


def probability(field: str, features: Features) -> float:
    return probabilities(field, [features])[0]


def review_line() -> float:
    """The confidence under which items go to review first (chosen on tune data, in the card)."""
    return load_calibrator().line


def calibrate_record(record: ExtractionRecord, text: str, kind: str, reference_date: dt.date,
                     details: dict[str, list[dict[str, Any]]]) -> None:
    """Replace the finders' raw scores of people, objections and key dates by calibrated
    probabilities. `details` holds what the objection and date finders knew of each item."""
    people = [person_features(dm, text, len(record.decision_makers)) for dm in record.decision_makers]
    for dm, p in zip(record.decision_makers, probabilities("decision_makers", people)):
        dm.confidence = p
    objection_details = details.get("objections") or []
    if len(objection_details) == len(record.objections):
        rows = [objection_features(o, d["source"], d["scorer_p"], d["rule_hits"], len(record.objections), kind)
                for o, d in zip(record.objections, objection_details)]
        for o, p in zip(record.objections, probabilities("objections", rows)):
            o.confidence = p
    date_details = details.get("key_dates") or []
    if len(date_details) == len(record.key_dates):
        rows = [date_features(d, reference_date, x["cued"], x["in_range"], len(record.key_dates))
                for d, x in zip(record.key_dates, date_details)]
        for d, p in zip(record.key_dates, probabilities("key_dates", rows)):
            d.confidence = p


def visit_confidence(visit: VisitFacts | None) -> float | None:
    return None if visit is None else probability("visit", visit_features(visit))


def journey_confidence(record: ExtractionRecord) -> float:
    if record.journey_learned_p is not None:  # already calibrated, on held-out notes
        return round(record.journey_learned_p, 3)
    return probability("journey_node", journey_features(record.journey_node, record.journey_evidence))


def item_confidences(record: ExtractionRecord) -> dict[str, list[float]]:
    """Each field's item confidences; visit and journey are computed from the record itself."""
    visit = visit_confidence(record.visit)
    return {
        "decision_makers": [dm.confidence for dm in record.decision_makers],
        "objections": [o.confidence for o in record.objections],
        "key_dates": [d.confidence for d in record.key_dates],
        "visit": [] if visit is None else [visit],
        "journey_node": [journey_confidence(record)],
    }


def record_confidence(record: ExtractionRecord) -> float:
    """The record's confidence: that of its least sure item (journey node included, so a record
    with no item at all still has one)."""
    return min(c for values in item_confidences(record).values() for c in values)

