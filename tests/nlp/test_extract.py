"""The whole-note extraction: one record from every finder, never a made-up field."""
from __future__ import annotations

import datetime as dt
import sys

from jinnang.core.records import ExtractionRecord
from jinnang.nlp import extract as extract_mod
from jinnang.nlp.extract import extract

NOTE = "约了下周四早交班后再过去，带钉棒样品给林主任看看。"


def test_record_carries_the_key_dates_of_the_note():
    record = extract(NOTE, dt.date(2026, 1, 5), "visit_note")
    assert isinstance(record, ExtractionRecord)
    assert [(d.type, d.date.isoformat()) for d in record.key_dates] == [("next_meeting", "2026-01-15")]


def test_trial_feedback_has_no_visit_facts():
    record = extract("试用时间：2026年2月2日至2026年3月13日", dt.date(2026, 3, 19), "trial_feedback")
    assert record.visit is None
    assert [d.type for d in record.key_dates] == ["trial_start", "trial_end"]


def test_missing_finder_leaves_its_field_empty_and_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "jinnang.nlp.objections", None)  # the module cannot be imported
    record = extract(NOTE, dt.date(2026, 1, 5), "visit_note")
    assert record.objections == []
    assert any("objections is not available" in w and "jinnang.nlp.objections" in w for w in record.warnings)


def test_failing_finder_does_not_lose_the_rest(monkeypatch, caplog):
    def broken(doc):
        raise RuntimeError("model file damaged")

    monkeypatch.setattr("jinnang.nlp.people.find_decision_makers_in", broken)
    record = extract(NOTE, dt.date(2026, 1, 5), "visit_note")
    assert record.decision_makers == []
    assert record.key_dates  # the dates are still there
    assert any("model file damaged" in w for w in record.warnings)
    assert any(r.exc_info and "model file damaged" in str(r.exc_info[1]) for r in caplog.records)  # traceback kept


def test_finders_are_declared_once_in_record_order():
    assert [f.label for f in extract_mod.FINDERS] == [
        "decision makers", "objections", "key dates", "visit facts", "journey node"]


def test_dev_set_dates_meet_their_targets(shared_dev):
    from jinnang.eval.extraction import load_cases, score

    result = score(load_cases(shared_dev / "extraction.jsonl"), extract)
    assert result["key_dates"]["typed"]["f1"] >= 0.85
    assert result["key_dates"]["date_only"]["f1"] >= 0.92


def test_a_trial_form_written_before_its_period_ends_is_read_as_interim():
    # the form carries no 日期 line: only the note's reference date tells the trial still runs
    form = "临床试用反馈表\n试用时间：2026年3月2日至2026年4月30日\n使用例数：12例，总体满意。"
    running = extract(form, dt.date(2026, 3, 20), "trial_feedback")
    ended = extract(form, dt.date(2026, 5, 8), "trial_feedback")
    assert (running.journey_node, ended.journey_node) == ("trial_in_progress", "multi_dept_review")


def test_extraction_reads_a_note_once_and_keeps_no_words_per_text(monkeypatch):
    from jinnang.nlp import lac, pipeline, vocab

    made = []
    monkeypatch.setattr(pipeline, "note_doc", lambda text, _make=pipeline.note_doc: made.append(text) or _make(text))
    lac.clear_cache()
    record = extract(NOTE + "林主任说价格偏高。", dt.date(2026, 1, 5), "visit_note")
    assert [d.name for d in record.decision_makers] == ["林"]
    assert made == [NOTE + "林主任说价格偏高。"]  # one Doc for the note
    assert lac.cached_texts() == 0  # its words live on that Doc, not in a per-text cache
    # the sentence memo holds only the last few notes, so no round of a benchmark reads another's
    assert vocab.sentences.cache_info().maxsize <= 8


def test_long_notes_take_few_places_in_the_word_cache():
    from jinnang.nlp import lac

    lac.clear_cache()
    notes = [f"第{i}份长记录：" + "主任说价格偏高，下周三再去演示。" * 200 for i in range(12)]
    for note in notes:
        lac.analyse(note)
    assert lac.cached_texts() <= 8
    assert "".join(w for w, _ in lac.analyse(notes[-1])) == notes[-1]


def test_a_failing_date_finder_leaves_only_its_field_empty(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("unreadable date")

    monkeypatch.setattr(extract_mod, "find_key_dates", broken)
    record = extract("林主任说价格偏高，下周三再去演示。", dt.date(2026, 1, 5), "visit_note")
    assert record.key_dates == [] and [o.category for o in record.objections] == ["price"]
    assert any(w.startswith("key dates failed: ValueError") for w in record.warnings)
