"""Notes in traditional characters are read in simplified ones and quoted as written."""
from __future__ import annotations

import datetime as dt

import pytest

from jinnang.core.records import DecisionMaker, Evidence, ExtractionRecord, Objection
from jinnang.nlp.extract import extract
from jinnang.nlp.traditional import restore, simplified

NOTE = "今日見到心臟內科歐陽淑儀主任同護士長 關麗萍。主任話價錢比進口貴太多，預算亦未批。下週三再約設備科馮科長。"


def test_a_note_in_traditional_characters_is_read_offset_for_offset_in_simplified_ones():
    read = simplified(NOTE)
    assert len(read) == len(NOTE)
    assert "心脏内科欧阳淑仪主任" in read and "设备科冯科长" in read


@pytest.mark.parametrize("text", ["已答覆客户，下周再约。", "效果显著，主任很满意。", "佢话呢个嘅价钱太贵。"])
def test_a_simplified_note_with_an_odd_character_the_table_maps_is_left_as_written(text):
    assert simplified(text) == text


def test_what_the_record_quotes_is_given_back_as_written():
    read = simplified(NOTE)
    start = read.index("价钱比进口贵")
    record = ExtractionRecord(
        decision_makers=[DecisionMaker(name="欧阳淑仪", title="主任", evidence=[Evidence(text="欧阳淑仪主任")])],
        objections=[Objection(category="price", evidence="价钱比进口贵", start=start, end=start + 6)])
    restore(record, NOTE, read)
    assert record.decision_makers[0].name == "歐陽淑儀" and record.decision_makers[0].title == "主任"
    assert record.decision_makers[0].evidence[0].text == "歐陽淑儀主任"
    assert record.objections[0].evidence == "價錢比進口貴"


def test_extraction_reads_a_traditional_note_like_a_simplified_one():
    record = extract(NOTE, dt.date(2026, 3, 2))
    people = {(p.name, p.title) for p in record.decision_makers}
    assert {("歐陽淑儀", "主任"), ("關麗萍", "护士长"), ("馮", "科长")} <= people
    assert {"price", "budget"} <= {o.category for o in record.objections}
    assert all(o.evidence in NOTE for o in record.objections)
    assert ("next_meeting", dt.date(2026, 3, 11)) in {(d.type, d.date) for d in record.key_dates}


def test_reading_a_traditional_note_prints_nothing_so_json_output_stays_json():
    # importing jionlp prints a banner on stdout; the table is read as data instead
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", f"from jinnang.nlp.traditional import simplified; simplified({NOTE!r})"],
                          capture_output=True, text=True, check=True)
    assert done.stdout == ""
