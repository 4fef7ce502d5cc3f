"""WeChat/WeCom chat exports keep who said what and when, and tell our staff from the customer's side."""
import datetime as dt

import pytest
from sqlalchemy.orm import Session

from jinnang.ingest.chat import CHAT_CONFIG, ChatConfig, is_staff, parse_chat
from jinnang.ingest.pipeline import register_document, run_job
from jinnang.ingest.store import DocumentRow, ingest_engine

TIME_FIRST = """与王主任的聊天记录
2026-03-02 10:15:33 王主任
价格还是偏高，
进口的才这个价。
2026-03-02 10:17:02 张伟-华冠
我们可以算一下总成本，下周三带样品过来。
2026-03-03 09:00:00 李护士长
培训怎么安排？
"""
SPEAKER_FIRST = """王主任 2026/3/2 10:15
价格还是偏高
张伟-华冠 2026/3/2 10:16
我们算一下总成本
王主任 2026年3月2日 10:20
行，下周三再谈
"""
INLINE = """—————  2026-03-02  —————
[10:15] 王主任：价格还是偏高
[10:16] 我：好的，下周三带样品过来
—————  2026-03-03  —————
[09:00] 李护士长：培训怎么安排？
"""


def test_a_time_first_export_keeps_speaker_time_and_whole_message():
    chat = parse_chat(TIME_FIRST)
    assert chat is not None and chat.shape == "time_first"
    assert [(m.speaker, m.time, m.from_staff) for m in chat.messages] == [
        ("王主任", "2026-03-02T10:15:33", False), ("张伟-华冠", "2026-03-02T10:17:02", True),
        ("李护士长", "2026-03-03T09:00:00", False)]
    assert chat.messages[0].text == "价格还是偏高，进口的才这个价。"


def test_a_speaker_first_export_reads_every_date_style():
    chat = parse_chat(SPEAKER_FIRST)
    assert chat is not None and chat.shape == "speaker_first"
    assert [m.time for m in chat.messages] == ["2026-03-02T10:15:00", "2026-03-02T10:16:00", "2026-03-02T10:20:00"]
    assert [m.from_staff for m in chat.messages] == [False, True, False]


def test_a_one_line_export_takes_its_day_from_the_day_marks():
    chat = parse_chat(INLINE)
    assert chat is not None and chat.shape == "inline"
    assert [(m.speaker, m.time, m.from_staff) for m in chat.messages] == [
        ("王主任", "2026-03-02T10:15:00", False), ("我", "2026-03-02T10:16:00", True),
        ("李护士长", "2026-03-03T09:00:00", False)]
    assert chat.last_day() == dt.date(2026, 3, 3)


def test_a_one_line_export_without_days_keeps_the_clock_time():
    chat = parse_chat("[10:15] 王主任：价格偏高\n[10:16] 张伟-华冠：我们算一下\n")
    assert chat is not None and [m.time for m in chat.messages] == ["10:15", "10:16"]
    assert chat.last_day() is None


def test_the_text_for_extraction_is_one_line_a_message_with_its_speaker():
    assert parse_chat(TIME_FIRST).text().splitlines() == [
        "王主任：价格还是偏高，进口的才这个价。", "张伟-华冠：我们可以算一下总成本，下周三带样品过来。", "李护士长：培训怎么安排？"]


@pytest.mark.parametrize("text", [
    "南京鼓楼医院 骨科\n王主任说价格偏高，下周三再谈。",                               # a visit note
    "2026-03-02 10:15 王主任\n价格偏高\n2026-03-02 11:00 王主任\n下周三再谈",           # one voice: a log
    "2026-03-02 10:15 拜访王主任\n价格偏高\n2026-03-03 10:15 拜访李科长\n谈预算\n"
    "2026-03-04 10:15 拜访张处长\n谈招标",                                            # a new "speaker" every stamp
    "拜访记录\n说明\n背景\n2026-03-02 10:15:33 王主任\n价格偏高\n2026-03-02 10:17:02 张伟\n好的",  # messages start too late
    "[10:15] 王主任：价格偏高\n[10:16] 张伟：好的\n" + "今天的拜访还谈了很多别的。\n" * 5,  # mostly a note
])
def test_notes_and_logs_are_not_taken_for_chats(text):
    assert parse_chat(text) is None


def test_a_timestamp_that_is_no_real_day_or_time_opens_no_message():
    assert parse_chat("2026-13-40 10:15 王主任\n你好\n2026-03-02 25:99 李科长\n好") is None


def test_staff_are_known_by_name_mark_configured_name_or_the_reps_own_handles():
    config = ChatConfig(staff_marks=["-华冠"], staff_names=["刘经理"], self_names=["我"],
                        rep_names={"rep-07": ["小张", "zhangwei_med"]})
    assert is_staff("张伟-华冠", config=config) and is_staff("刘经理", config=config) and is_staff("我", config=config)
    assert is_staff("zhangwei_med", "rep-07", config) and not is_staff("zhangwei_med", "rep-08", config)
    assert not is_staff("王主任", "rep-07", config)


def test_the_shipped_chat_configuration_marks_the_company_suffix():
    assert any("华冠" in mark for mark in CHAT_CONFIG().staff_marks)


def test_a_chat_export_is_stored_with_its_messages_and_its_last_day(settings):
    registration = register_document(settings, TIME_FIRST.encode("gbk"), "聊天记录.txt", rep_id="rep-07",
                                     meta={"source": "wechat"})
    assert run_job(settings, registration.job_id).status == "done"
    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, registration.document_id)
        assert document.kind == "visit_note" and document.reference_date == dt.date(2026, 3, 3)
        assert document.text.splitlines()[1] == "张伟-华冠：我们可以算一下总成本，下周三带样品过来。"
        assert document.pages[0].engine == "chat" and document.meta["source"] == "wechat"
        messages = document.meta["chat"]["messages"]
        assert [(m["speaker"], m["from_staff"]) for m in messages] == [
            ("王主任", False), ("张伟-华冠", True), ("李护士长", False)]


def test_a_reference_date_given_with_the_upload_is_kept(settings):
    registration = register_document(settings, TIME_FIRST.encode(), "chat.txt", reference_date=dt.date(2026, 3, 5))
    with Session(ingest_engine(settings)) as session:
        assert session.get(DocumentRow, registration.document_id).reference_date == dt.date(2026, 3, 5)
