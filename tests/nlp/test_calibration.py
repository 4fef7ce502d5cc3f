"""Calibrated confidences: probabilities from the finders' features, a record's confidence, the file."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from jinnang.core.records import DecisionMaker, Evidence, ExtractionRecord, KeyDate, Objection
from jinnang.nlp import calibration
from jinnang.nlp.dates import find_key_dates
from jinnang.nlp.extract import extract, extract_uncalibrated
from jinnang.nlp.learning import TRAINING_SETS
from jinnang.nlp.objections import find_objections

REF = dt.date(2026, 3, 2)  # a Monday
NOTE = ("今天拜访扬州一院心内科王建国主任，王主任说单价偏高，科里觉得这个东西太贵了。"
        "设备科沈科长说今年预算冻结了。下周三下午再去科室做演示，3月20日开院采委会。")


def test_the_shipped_file_loads_and_names_a_line_and_every_field():
    bundle = calibration.load_calibrator()
    assert set(calibration.FIELDS) <= set(bundle.fields)
    assert 0.3 <= bundle.line <= 0.95
    # fitted on sets the project trains on (blind sets read before their retirement), never on a
    # blind set still to be measured
    assert bundle.card["data"] and set(bundle.card["data"]) <= set(TRAINING_SETS)


def test_extracted_items_carry_probabilities_not_fixed_scores():
    record = extract(NOTE, REF)
    assert not [w for w in record.warnings if "calibrated" in w]
    scores = [dm.confidence for dm in record.decision_makers] + [o.confidence for o in record.objections] + \
             [d.confidence for d in record.key_dates]
    assert scores and all(0.0 <= s <= 1.0 for s in scores)
    raw, _ = extract_uncalibrated(NOTE, REF)
    # the finders' raw scores were 0.8 / 0.9 / 1.0; calibration replaces them
    assert [o.confidence for o in raw.objections] != [o.confidence for o in record.objections]
    assert len(set(scores)) > 2


def test_facts_are_the_same_with_and_without_calibration():
    record = extract(NOTE, REF)
    raw, _ = extract_uncalibrated(NOTE, REF)
    drop = {"confidence"}
    assert [d.model_dump(exclude=drop) for d in record.decision_makers] == \
        [d.model_dump(exclude=drop) for d in raw.decision_makers]
    assert [o.model_dump(exclude=drop) for o in record.objections] == [o.model_dump(exclude=drop) for o in raw.objections]
    assert [k.model_dump(exclude=drop) for k in record.key_dates] == [k.model_dump(exclude=drop) for k in raw.key_dates]
    assert (record.visit, record.journey_node) == (raw.visit, raw.journey_node)


def test_objection_details_say_which_source_found_each_one():
    details: list[dict] = []
    found = find_objections("主任说单价偏高。护士长说这个导管放进去以后总是有点卡，担心病人不舒服。", details)
    assert len(details) == len(found) and found
    price = next(d for o, d in zip(found, details) if o.category == "price")
    assert price["source"] == "rule" and price["rule_hits"] >= 1
    assert all(0.0 <= d["scorer_p"] <= 1.0 for d in details)


def test_date_details_tell_a_cued_date_from_a_default_one():
    details: list[dict] = []
    dates = find_key_dates("下周三去科室做演示。3月25日再说。", REF, details=details)
    assert len(details) == len(dates) == 2
    by_type = {d.type: x for d, x in zip(dates, details)}
    assert by_type["demo"]["cued"] is True and by_type["other"]["cued"] is False


def test_more_support_means_more_confidence():
    def person(mentions: int, department: str | None) -> float:
        dm = DecisionMaker(name="王建国", title="主任", department=department, organization="扬州一院",
                           role="clinical_lead", evidence=[Evidence(text="王主任")] * mentions)
        return calibration.probability("decision_makers", calibration.person_features(dm, NOTE, 2))

    assert person(3, "心内科") > person(1, None)

    def objection(source: str, p: float, hits: int) -> float:
        o = Objection(category="price", evidence="单价偏高", start=0, end=4)
        return calibration.probability("objections", calibration.objection_features(o, source, p, hits, 2, "visit_note"))

    assert objection("rule", 0.9, 2) > objection("scorer", 0.72, 0)


def test_record_confidence_is_its_least_sure_item_journey_included():
    empty = ExtractionRecord()
    journey = calibration.journey_confidence(empty)
    assert calibration.record_confidence(empty) == journey  # a record without items still has one
    record = ExtractionRecord(key_dates=[KeyDate(type="other", date=dt.date(2026, 3, 9), confidence=0.31)])
    assert calibration.record_confidence(record) == 0.31
    assert calibration.item_confidences(record)["key_dates"] == [0.31]


def test_plain_weights_unknown_features_weigh_nothing():
    model = calibration.FieldModel(weights={"a": 2.0}, bias=-1.0)
    assert model.probability({"a": 0.5}) == pytest.approx(0.5)
    assert model.probability({"a": 0.5, "never_seen": 9.0}) == pytest.approx(0.5)
    assert model.probability({"a": 1e6}) == pytest.approx(1.0)


def test_a_missing_file_is_a_clear_error_naming_the_training_command(tmp_path):
    with pytest.raises(calibration.CalibrationMissing, match="calibrate_on_unseen.py"):
        calibration.load_calibrator(str(tmp_path / "none.json"))
    assert "calibrate_on_unseen.py" in (calibration.check_calibrator(str(tmp_path / "none.json")) or "")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"fields": {"objections": {"bias": 0.0}}, "line": 0.8}), encoding="utf-8")
    assert "decision_makers" in (calibration.check_calibrator(str(broken)) or "")
    assert calibration.check_calibrator() is None


def test_applying_the_calibration_needs_neither_scikit_learn_nor_torch():
    code = ("import sys; sys.modules['sklearn'] = None; sys.modules['torch'] = None\n"
            "from jinnang.core.records import ExtractionRecord\n"
            "from jinnang.nlp import calibration\n"
            "print(calibration.record_confidence(ExtractionRecord(journey_node='demo_scheduled')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert 0.0 < float(done.stdout) <= 1.0


def test_the_calibration_rows_hold_features_of_retired_sets_and_no_note_text():
    from jinnang.core.paths import CHECKOUT
    from jinnang.nlp.learning import RETIRED_SETS

    kept = sorted((CHECKOUT / "training" / "calibration_rows").glob("*.jsonl"))
    assert kept and {p.stem for p in kept} <= set(RETIRED_SETS)
    for path in kept:
        for line in path.read_text(encoding="utf-8").splitlines()[:200]:
            row = json.loads(line)
            assert set(row) == {"set", "field", "features", "right", "read_by"}
            assert all(isinstance(v, (int, float)) for v in row["features"].values())


def test_reading_a_set_the_learned_parts_are_fitted_on_is_refused():
    from jinnang.core.paths import CHECKOUT

    done = subprocess.run([sys.executable, str(CHECKOUT / "training" / "calibrate_on_unseen.py"), "--read", "tune5"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "error: set tune5" in done.stderr and "not unseen" in done.stderr
