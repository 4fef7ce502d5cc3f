"""Score extraction against a labelled set (shared/spec/gold-format.md §1).

PATH is an extraction JSON Lines file, or a folder holding an OCR `manifest.jsonl`
(its drawn `text` is scored here; OCR'd text is scored by `jinnang eval ocr`).
Per field: decision-makers by name and by name+title, objection categories, key dates as
(type, date) pairs and as dates only — all micro precision/recall/F1 — journey-node
accuracy and visit-field accuracy, with a per-case list of what was missed or added.
Confidences: expected calibration error (10 bins) per field and overall, and the precision of
items above and below a confidence line (nlp/calibration.py).
"""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jinnang.core.records import DocumentKind, ExtractionRecord


class GoldCase(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    kind: DocumentKind = "visit_note"
    reference_date: dt.date
    text: str = Field(min_length=1)
    gold: dict[str, Any]


class GoldError(ValueError):
    """A labelled set that cannot be read; names the file and line."""


def load_cases(path: Path) -> list[GoldCase]:
    path = Path(path)
    if path.is_dir():
        if not (path / "manifest.jsonl").is_file():
            raise GoldError(f"{path}: a folder must hold manifest.jsonl")
        path = path / "manifest.jsonl"
    if not path.is_file():
        raise GoldError(f"{path}: no such file")
    cases: list[GoldCase] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(GoldCase.model_validate_json(line))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            raise GoldError(f"{path} line {number}, field {where}: {first['msg']}") from exc
    return cases


class Tally:
    """Micro precision/recall/F1 over multisets of items, case by case."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, gold: Iterable[Any], pred: Iterable[Any]) -> tuple[list[Any], list[Any]]:
        g, p = Counter(gold), Counter(pred)
        hit = g & p
        missed, extra = list((g - hit).elements()), list((p - hit).elements())
        self.tp += sum(hit.values())
        self.fn += len(missed)
        self.fp += len(extra)
        return missed, extra

    def scores(self) -> dict[str, float | int]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


class Accuracy:
    def __init__(self) -> None:
        self.right = self.total = 0

    def add(self, ok: bool) -> bool:
        self.right += int(ok)
        self.total += 1
        return ok

    @property
    def value(self) -> float | None:
        return round(self.right / self.total, 4) if self.total else None


def _norm(text: Any) -> str | None:
    return str(text).strip() if text not in (None, "") else None


def item_outcomes(record: ExtractionRecord, gold: dict[str, Any]) -> dict[str, list[bool]]:
    """Whether each extracted item is right, in the record's order (nlp/calibration.py's fields):
    a person by (name, title), an objection by category, a key date by (type, date), the visit
    facts when all three fields are right (only where the gold has visit facts), the journey node."""
    people = {(_norm(p.get("name")), _norm(p.get("title"))) for p in gold.get("decision_makers") or []}
    categories = {o.get("category") for o in gold.get("objections") or []}
    dates = {(d.get("type"), str(d.get("date"))) for d in gold.get("key_dates") or []}
    g_visit, p_visit = gold.get("visit"), record.visit
    visit = [] if g_visit is None or p_visit is None else [
        p_visit.sample_brought == g_visit.get("sample_brought")
        and p_visit.questions_resolved == g_visit.get("questions_resolved")
        and set(p_visit.cross_dept_needs) == set(g_visit.get("cross_dept_needs") or [])]
    return {
        "decision_makers": [(_norm(p.name), _norm(p.title)) in people for p in record.decision_makers],
        "objections": [o.category in categories for o in record.objections],
        "key_dates": [(d.type, d.date.isoformat()) in dates for d in record.key_dates],
        "visit": visit,
        "journey_node": [gold.get("journey_node") == record.journey_node],
    }


def expected_calibration_error(pairs: list[tuple[float, bool]], bins: int = 10) -> float | None:
    """Σ over equal-width confidence bins of (share of items) × |accuracy − mean confidence|."""
    if not pairs:
        return None
    total = 0.0
    for b in range(bins):
        inside = [(c, ok) for c, ok in pairs if min(int(c * bins), bins - 1) == b]
        if inside:
            accuracy = sum(ok for _, ok in inside) / len(inside)
            confidence = sum(c for c, _ in inside) / len(inside)
            total += len(inside) / len(pairs) * abs(accuracy - confidence)
    return round(total, 4)


class Reliability:
    """Item confidences against outcomes, per field, and each record's confidence against
    whether it holds any error."""

    def __init__(self) -> None:
        self.items: dict[str, list[tuple[float, bool]]] = {}
        self.records: list[tuple[float, bool]] = []
        self.problem: str | None = None

    def add(self, record: ExtractionRecord, gold: dict[str, Any]) -> None:
        from jinnang.nlp.calibration import item_confidences

        if self.problem is not None:
            return
        try:
            confidences = item_confidences(record)
        except FileNotFoundError as exc:
            self.problem = str(exc)
            return
        outcomes = item_outcomes(record, gold)
        pairs: list[tuple[float, bool]] = []
        for field, oks in outcomes.items():
            values = confidences[field]
            for c, ok in zip(values, oks):
                pairs.append((c, ok))
                self.items.setdefault(field, []).append((c, ok))
        if pairs:
            self.records.append((min(c for c, _ in pairs), all(ok for _, ok in pairs)))

    @staticmethod
    def _split(pairs: list[tuple[float, bool]], line: float) -> dict[str, Any]:
        above = [ok for c, ok in pairs if c >= line]
        below = [ok for c, ok in pairs if c < line]
        wrong = sum(not ok for _, ok in pairs)
        return {"n_above": len(above), "precision_above": round(sum(above) / len(above), 4) if above else None,
                "n_below": len(below), "precision_below": round(sum(below) / len(below), 4) if below else None,
                "errors": wrong, "errors_below": sum(not ok for ok in below),
                "share_of_errors_below": round(sum(not ok for ok in below) / wrong, 4) if wrong else None}

    def scores(self, line: float | None) -> dict[str, Any]:
        if self.problem is not None:
            return {"error": self.problem}
        if line is None:
            from jinnang.nlp.calibration import review_line

            line = review_line()
        every = [pair for pairs in self.items.values() for pair in pairs]

        def block(pairs: list[tuple[float, bool]]) -> dict[str, Any]:
            return {"n": len(pairs), "ece": expected_calibration_error(pairs),
                    "mean_confidence": round(sum(c for c, _ in pairs) / len(pairs), 4) if pairs else None,
                    "accuracy": round(sum(ok for _, ok in pairs) / len(pairs), 4) if pairs else None}

        return {"line": line, "overall": {**block(every), **self._split(every, line)},
                "per_field": {f: {**block(self.items[f]), **self._split(self.items[f], line)} for f in sorted(self.items)},
                "records": {"n": len(self.records), "ece_no_error": expected_calibration_error(self.records),
                            **self._split(self.records, line)}}


def score(cases: list[GoldCase],
          predict: Callable[[str, dt.date, DocumentKind], ExtractionRecord],
          line: float | None = None) -> dict[str, Any]:
    """`line`: the confidence line for precision above/below (default: the calibration card's)."""
    dm_name, dm_title = Tally(), Tally()
    objections = Tally()
    per_category: dict[str, Tally] = {}
    dates_typed, dates_only = Tally(), Tally()
    per_date_type: dict[str, Tally] = {}
    journey = Accuracy()
    visit = {"sample_brought": Accuracy(), "questions_resolved": Accuracy(), "cross_dept_needs": Accuracy()}
    case_reports: list[dict[str, Any]] = []
    reliability = Reliability()
    started = time.perf_counter()

    for case in cases:
        record = predict(case.text, case.reference_date, case.kind)
        gold = case.gold
        reliability.add(record, gold)
        errors: dict[str, Any] = {}

        def note(field: str, missed: list[Any], extra: list[Any], errors: dict[str, Any] = errors) -> None:
            if missed or extra:
                errors[field] = {"missed": missed, "extra": extra}

        g_people = gold.get("decision_makers") or []
        note("decision_makers", *dm_name.add([_norm(p.get("name")) for p in g_people],
                                              [_norm(p.name) for p in record.decision_makers]))
        missed, extra = dm_title.add([(_norm(p.get("name")), _norm(p.get("title"))) for p in g_people],
                                     [(_norm(p.name), _norm(p.title)) for p in record.decision_makers])
        if missed or extra:
            errors["decision_makers_title"] = {"missed": [list(x) for x in missed], "extra": [list(x) for x in extra]}

        g_cats = {o.get("category") for o in gold.get("objections") or []}
        p_cats = {o.category for o in record.objections}
        note("objections", *objections.add(sorted(g_cats), sorted(p_cats)))
        for cat in g_cats | p_cats:
            per_category.setdefault(cat, Tally()).add([cat] * (cat in g_cats), [cat] * (cat in p_cats))

        g_dates = {(d.get("type"), str(d.get("date"))) for d in gold.get("key_dates") or []}
        p_dates = {(d.type, d.date.isoformat()) for d in record.key_dates}
        missed, extra = dates_typed.add(sorted(g_dates), sorted(p_dates))
        if missed or extra:
            errors["key_dates"] = {"missed": [f"{t} {d}" for t, d in missed], "extra": [f"{t} {d}" for t, d in extra],
                                   "evidence": {f"{d.type} {d.date}": d.evidence for d in record.key_dates
                                                if (d.type, d.date.isoformat()) in set(extra)}}
        dates_only.add(sorted({d for _, d in g_dates}), sorted({d for _, d in p_dates}))
        for kind in {t for t, _ in g_dates | p_dates}:
            per_date_type.setdefault(kind, Tally()).add([x for x in g_dates if x[0] == kind],
                                                        [x for x in p_dates if x[0] == kind])

        if not journey.add(gold.get("journey_node") == record.journey_node):
            errors["journey_node"] = {"gold": gold.get("journey_node"), "predicted": record.journey_node,
                                      "evidence": record.journey_evidence}

        g_visit = gold.get("visit")
        if g_visit is not None:
            p_visit = record.visit
            checks = {
                "sample_brought": p_visit is not None and p_visit.sample_brought == g_visit.get("sample_brought"),
                "questions_resolved": p_visit is not None
                and p_visit.questions_resolved == g_visit.get("questions_resolved"),
                "cross_dept_needs": p_visit is not None
                and set(p_visit.cross_dept_needs) == set(g_visit.get("cross_dept_needs") or []),
            }
            for field, ok in checks.items():
                if not visit[field].add(ok):
                    errors.setdefault("visit", {})[field] = {
                        "gold": g_visit.get(field),
                        "predicted": None if p_visit is None else getattr(p_visit, field)}

        if errors or record.warnings:
            case_reports.append({"id": case.id, "errors": errors, "warnings": record.warnings})

    seconds = time.perf_counter() - started
    visit_parts = {k: v.value for k, v in visit.items()}
    known = [v for v in visit_parts.values() if v is not None]
    return {
        "n_cases": len(cases),
        "decision_makers": {"by_name": dm_name.scores(), "by_name_title": dm_title.scores()},
        "objections": {"micro": objections.scores(),
                       "per_category": {k: per_category[k].scores() for k in sorted(per_category)}},
        "key_dates": {"typed": dates_typed.scores(), "date_only": dates_only.scores(),
                      "per_type": {k: per_date_type[k].scores() for k in sorted(per_date_type)}},
        "journey_node": {"accuracy": journey.value, "right": journey.right, "total": journey.total},
        "visit": {"accuracy": round(sum(known) / len(known), 4) if known else None, **visit_parts,
                  "notes": visit["sample_brought"].total},
        "seconds": round(seconds, 3),
        "notes_per_second": round(len(cases) / seconds, 1) if seconds > 0 else None,
        "calibration": reliability.scores(line),
        "cases": case_reports,
    }


def summary_lines(result: dict[str, Any]) -> list[str]:
    """The headline figures, one per line, for people rather than programs."""
    kd, dm, ob = result["key_dates"], result["decision_makers"], result["objections"]["micro"]
    return [
        f"cases                         {result['n_cases']}",
        f"decision-makers F1 (name)     {dm['by_name']['f1']:.3f}",
        f"decision-makers F1 (+title)   {dm['by_name_title']['f1']:.3f}",
        f"objections micro-F1           {ob['f1']:.3f}",
        f"key dates F1 (type, date)     {kd['typed']['f1']:.3f}",
        f"key dates F1 (date only)      {kd['date_only']['f1']:.3f}",
        f"journey-node accuracy         {result['journey_node']['accuracy']}",
        f"visit-field accuracy          {result['visit']['accuracy']}  "
        f"(sample {result['visit']['sample_brought']}, questions {result['visit']['questions_resolved']}, "
        f"cross-dept {result['visit']['cross_dept_needs']})",
        f"notes/s (incl. model loading) {result['notes_per_second']}",
        *calibration_lines(result.get("calibration") or {}),
    ]


def calibration_lines(calibration: dict[str, Any]) -> list[str]:
    """Expected calibration error per field and overall, and precision above / below the line."""
    if "error" in calibration or not calibration:
        return [f"calibration                   {calibration.get('error', 'not measured')}"]

    def fmt(value: Any) -> str:
        return "-" if value is None else f"{value:.3f}"

    line = calibration["line"]
    rows = [f"calibration: ECE (10 bins) and precision of items at/above vs below the line {line:.2f}",
            f"  {'field':<16} {'items':>5} {'ECE':>6} {'conf':>6} {'right':>6}   {'P above (n)':>14} "
            f"{'P below (n)':>14}  errors below"]
    for name, block in [*calibration["per_field"].items(), ("overall", calibration["overall"])]:
        rows.append(f"  {name:<16} {block['n']:>5} {fmt(block['ece']):>6} {fmt(block['mean_confidence']):>6} "
                    f"{fmt(block['accuracy']):>6}   {fmt(block['precision_above']):>7} ({block['n_above']:>4}) "
                    f"{fmt(block['precision_below']):>7} ({block['n_below']:>4})  "
                    f"{block['errors_below']}/{block['errors']}")
    records = calibration["records"]
    rows.append(f"  records below the line: {records['n_below']}/{records['n']}, holding "
                f"{records['errors_below']}/{records['errors']} of the records with an error "
                f"(record ECE {fmt(records['ece_no_error'])})")
    return rows


def leave_one_set_out(names: list[str] | None = None, refit_char_scorer: bool = True) -> dict[str, Any]:
    """Objection micro-F1 of each training set with the learned parts (character scorer, clause
    classifier) as shipped — fitted on that set too — and fitted on the other sets only: the gap
    is what tuning on a set is worth there. A blind set is among the sets only once retired."""
    from jinnang.nlp.learning import (
        TRAINING_SETS,
        char_categories,
        micro,
        packaged_c,
        packaged_threshold,
        prepared_sets,
        with_model,
    )
    from jinnang.nlp.learning import leave_one_set_out as folds
    from jinnang.nlp.objection_clauses import MODEL_FILE, MODELS, load_model

    unknown = sorted(set(names or []) - set(TRAINING_SETS))
    if unknown:
        raise GoldError(f"no training set named {', '.join(unknown)} (known: {', '.join(TRAINING_SETS)})")
    started = time.perf_counter()
    sets = prepared_sets()
    shipped = load_model(MODELS / MODEL_FILE)
    held_out = folds(sets, packaged_threshold(), c=packaged_c(), refit_char_scorer=refit_char_scorer, only=names or None)
    out: dict[str, Any] = {}
    for name, figures in held_out.items():
        notes = sets[name]
        gold = [n.gold_cats for n in notes]
        base = char_categories(notes)
        out[name] = {"notes": len(notes),
                     "shipped": {"rules+char": micro(zip(gold, base)),
                                 "rules+char+clauses": micro(zip(gold, with_model(notes, base, shipped)))},
                     "left_out": figures}
    return {"sets": out, "seconds": round(time.perf_counter() - started, 1)}


def leave_one_set_out_lines(result: dict[str, Any]) -> list[str]:
    rows = ["objections micro-F1: learned parts as shipped (fitted on the set too) vs fitted without the set",
            f"  {'set':<7} {'notes':>5} {'rules':>6}   {'+char shipped':>13} {'left out':>8}   "
            f"{'+clauses shipped':>16} {'left out':>8}"]
    for name, r in result["sets"].items():
        left, shipped = r["left_out"], r["shipped"]
        rows.append(f"  {name:<7} {r['notes']:>5} {left['rules']['f1']:>6.3f}   {shipped['rules+char']['f1']:>13.3f} "
                    f"{left['rules+char']['f1']:>8.3f}   {shipped['rules+char+clauses']['f1']:>16.3f} "
                    f"{left['rules+char+clauses']['f1']:>8.3f}")
    rows.append(f"  ({result['seconds']} s; the rules were tuned on every set but tune5, so only tune5's "
                "'rules' column is blind)")
    return rows
