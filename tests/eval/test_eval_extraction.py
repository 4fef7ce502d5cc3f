"""The extraction scorer: micro P/R/F1 per field, accuracies, and the per-case error list."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from jinnang.core.records import DecisionMaker, ExtractionRecord, KeyDate, Objection, VisitFacts
from jinnang.eval.extraction import GoldError, load_cases, score

GOLD = {
    "decision_makers": [{"name": "王建国", "title": "主任", "role": "clinical_lead"},
                        {"name": "沈", "title": "科长", "role": "equipment_dept"}],
    "objections": [{"category": "price", "evidence": "贵"}, {"category": "service", "evidence": "送货慢"}],
    "key_dates": [{"type": "next_meeting", "date": "2026-03-11"}, {"type": "demo", "date": "2026-03-12"}],
    "visit": {"sample_brought": True, "questions_resolved": 2, "cross_dept_needs": ["clinical_training"]},
    "journey_node": "demo_scheduled",
}


def write_set(tmp_path: Path, gold: dict, name: str = "set.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"id": "c1", "kind": "visit_note", "reference_date": "2026-03-02",
                                "text": "某个笔记", "gold": gold}, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def fixed(record: ExtractionRecord):
    return lambda text, ref, kind: record


def test_perfect_prediction_scores_one(tmp_path):
    record = ExtractionRecord(
        decision_makers=[DecisionMaker(name="王建国", title="主任"), DecisionMaker(name="沈", title="科长")],
        objections=[Objection(category="price", evidence="贵"), Objection(category="service", evidence="慢")],
        key_dates=[KeyDate(type="next_meeting", date=dt.date(2026, 3, 11)), KeyDate(type="demo", date=dt.date(2026, 3, 12))],
        visit=VisitFacts(sample_brought=True, questions_resolved=2, cross_dept_needs=["clinical_training"]),
        journey_node="demo_scheduled")
    result = score(load_cases(write_set(tmp_path, GOLD)), fixed(record))
    assert result["decision_makers"]["by_name_title"]["f1"] == 1.0
    assert result["objections"]["micro"]["f1"] == 1.0
    assert result["key_dates"]["typed"]["f1"] == 1.0
    assert result["journey_node"]["accuracy"] == 1.0
    assert result["visit"]["accuracy"] == 1.0
    assert result["cases"] == []


def test_partial_prediction_counts_each_miss_and_extra(tmp_path):
    record = ExtractionRecord(
        decision_makers=[DecisionMaker(name="王建国", title="主任医师")],   # right name, wrong title
        objections=[Objection(category="price", evidence="贵"), Objection(category="budget", evidence="没钱")],
        key_dates=[KeyDate(type="other", date=dt.date(2026, 3, 11))],        # right day, wrong type
        visit=VisitFacts(sample_brought=True, questions_resolved=1, cross_dept_needs=["clinical_training"]),
        journey_node=None)
    result = score(load_cases(write_set(tmp_path, GOLD)), fixed(record))
    assert result["decision_makers"]["by_name"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "tp": 1, "fp": 0, "fn": 1}
    assert result["decision_makers"]["by_name_title"]["tp"] == 0
    assert result["objections"]["micro"]["f1"] == 0.5
    assert result["key_dates"]["typed"]["tp"] == 0
    assert result["key_dates"]["date_only"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "tp": 1, "fp": 0, "fn": 1}
    assert result["journey_node"]["accuracy"] == 0.0
    assert result["visit"]["questions_resolved"] == 0.0 and result["visit"]["sample_brought"] == 1.0
    assert result["visit"]["accuracy"] == pytest.approx(0.6667, abs=1e-4)
    (case,) = result["cases"]
    assert case["errors"]["key_dates"]["missed"] == ["demo 2026-03-12", "next_meeting 2026-03-11"]
    assert case["errors"]["objections"] == {"missed": ["service"], "extra": ["budget"]}


def test_visit_is_not_scored_for_trial_forms(tmp_path):
    gold = {**GOLD, "visit": None}
    result = score(load_cases(write_set(tmp_path, gold)), fixed(ExtractionRecord()))
    assert result["visit"]["accuracy"] is None and result["visit"]["notes"] == 0


def test_ocr_manifest_folder_is_read(tmp_path):
    line = {"id": "form-1", "kind": "trial_feedback", "reference_date": "2026-03-02", "image": "form-1.png",
            "text": "试用期3月9日至4月30日", "gold": {**GOLD, "visit": None}}
    (tmp_path / "manifest.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    (case,) = load_cases(tmp_path)
    assert case.id == "form-1" and case.text.startswith("试用期")


def test_bad_gold_line_names_line_and_field(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x", "text": "t", "gold": {}}\n', encoding="utf-8")
    with pytest.raises(GoldError, match="line 1, field reference_date"):
        load_cases(path)


def test_folder_without_manifest_is_refused(tmp_path):
    with pytest.raises(GoldError, match="manifest.jsonl"):
        load_cases(tmp_path)
