"""The extraction scorer: micro P/R/F1 per field, accuracies, and the per-case error list."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from jinnang.core.records import DecisionMaker, ExtractionRecord, KeyDate, Objection, VisitFacts
from jinnang.eval.extraction import (
    GoldError,
    Reliability,
    calibration_lines,
    expected_calibration_error,
    item_outcomes,
    load_cases,
    score,
)

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


def test_item_outcomes_follow_the_scorer_item_by_item():
    record = ExtractionRecord(
        decision_makers=[DecisionMaker(name="王建国", title="主任"), DecisionMaker(name="沈", title="处长")],
        objections=[Objection(category="price", evidence="贵"), Objection(category="budget", evidence="没钱")],
        key_dates=[KeyDate(type="demo", date=dt.date(2026, 3, 12)), KeyDate(type="other", date=dt.date(2026, 3, 11))],
        visit=VisitFacts(sample_brought=True, questions_resolved=2, cross_dept_needs=["clinical_training"]),
        journey_node="first_contact")
    assert item_outcomes(record, GOLD) == {
        "decision_makers": [True, False], "objections": [True, False], "key_dates": [True, False],
        "visit": [True], "journey_node": [False]}
    assert item_outcomes(record, {**GOLD, "visit": None})["visit"] == []


def test_expected_calibration_error_by_hand():
    assert expected_calibration_error([]) is None
    assert expected_calibration_error([(0.9, True)] * 9 + [(0.9, False)]) == 0.0
    # bin 0.9: 2 items, both right (|1 − 0.95| = 0.05); bin 0.2: 2 items, one right (|0.5 − 0.2| = 0.3)
    pairs = [(0.95, True), (0.95, True), (0.2, True), (0.2, False)]
    assert expected_calibration_error(pairs) == pytest.approx(0.5 * 0.05 + 0.5 * 0.3)
    assert expected_calibration_error([(1.0, False)]) == 1.0  # 1.0 falls in the last bin


def test_precision_above_and_below_the_line():
    split = Reliability._split([(0.9, True), (0.95, True), (0.85, False), (0.4, False), (0.5, True)], 0.8)
    assert split == {"n_above": 3, "precision_above": 0.6667, "n_below": 2, "precision_below": 0.5,
                     "errors": 2, "errors_below": 1, "share_of_errors_below": 0.5}


def test_score_reports_calibration_per_field_and_records(tmp_path):
    record = ExtractionRecord(
        decision_makers=[DecisionMaker(name="王建国", title="主任", confidence=0.95),
                         DecisionMaker(name="李", title="主任", confidence=0.3)],
        objections=[Objection(category="price", evidence="贵", confidence=0.9)],
        journey_node="demo_scheduled")
    result = score(load_cases(write_set(tmp_path, GOLD)), fixed(record), line=0.5)
    cal = result["calibration"]
    assert cal["line"] == 0.5
    people = cal["per_field"]["decision_makers"]
    assert people["n"] == 2 and people["precision_above"] == 1.0 and people["precision_below"] == 0.0
    assert people["ece"] == pytest.approx(0.5 * 0.05 + 0.5 * 0.3)
    assert set(cal["per_field"]) == {"decision_makers", "objections", "journey_node"}
    assert cal["overall"]["n"] == 4 and cal["overall"]["errors_below"] == 1
    assert cal["records"] == {"n": 1, "ece_no_error": 0.3, "n_above": 0, "precision_above": None, "n_below": 1,
                              "precision_below": 0.0, "errors": 1, "errors_below": 1, "share_of_errors_below": 1.0}
    text = "\n".join(calibration_lines(cal))
    assert "ECE" in text and "overall" in text and "decision_makers" in text
    # without a line, the calibration card's (chosen on tune data) is used
    assert 0.3 <= score(load_cases(write_set(tmp_path, GOLD)), fixed(record))["calibration"]["line"] <= 0.95


def test_eval_extraction_command_prints_reliability(tmp_path):
    from typer.testing import CliRunner

    from jinnang.cli import nlp_cmds  # noqa: F401  (registers the commands)
    from jinnang.cli.app import app

    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"id": "c1", "kind": "visit_note", "reference_date": "2026-03-02",
                                "text": "拜访心内科王建国主任，王主任说单价偏高。下周三去科室做演示。",
                                "gold": GOLD}, ensure_ascii=False) + "\n", encoding="utf-8")
    done = CliRunner().invoke(app, ["eval", "extraction", str(path), "--line", "0.6"])
    assert done.exit_code == 0, done.output
    assert "ECE (10 bins)" in done.output and "line 0.60" in done.output and "records below the line" in done.output
    done = CliRunner().invoke(app, ["eval", "extraction", str(path), "--json"])
    cal = json.loads(done.output)["calibration"]
    assert cal["overall"]["n"] >= 4 and 0.0 <= cal["overall"]["ece"] <= 1.0


def test_leave_one_set_out_refuses_a_blind_set_not_yet_retired_and_prints_shipped_beside_left_out():
    from jinnang.eval.extraction import GoldError, leave_one_set_out, leave_one_set_out_lines

    with pytest.raises(GoldError, match="no training set named holdout36"):
        leave_one_set_out(["holdout36"])
    figures = {"f1": 0.5, "precision": 0.5, "recall": 0.5}
    lines = leave_one_set_out_lines({"seconds": 1.0, "sets": {"tune5": {
        "notes": 50, "shipped": {"rules+char": {**figures, "f1": 0.949}, "rules+char+clauses": {**figures, "f1": 0.929}},
        "left_out": {"rules": {**figures, "f1": 0.644}, "rules+char": {**figures, "f1": 0.726},
                     "rules+char+clauses": {**figures, "f1": 0.762}}}}})
    assert lines[2].split() == ["tune5", "50", "0.644", "0.949", "0.726", "0.929", "0.762"]
