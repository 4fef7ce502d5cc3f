"""Notes saved by Chinese Windows, phones and Macs — GBK, UTF-16, Big5 — are read as the words they hold,
stored as UTF-8 text with the original bytes kept; binary data and mojibake are refused before anything is stored."""
import os
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from jinnang.core.errors import Unsupported
from jinnang.ingest.decode import decode_text, plausible_share, readable_share
from jinnang.ingest.pipeline import register_document, run_job
from jinnang.ingest.sniff import sniff
from jinnang.ingest.store import DocumentRow, ingest_engine

NOTE = "南京鼓楼医院 骨科\n王主任说价格偏高，比进口的还贵。设备科李科长问注册证。\n下周三再谈，3月10日开始试用。\n"
TRADITIONAL = "臺北榮民總醫院 骨科\n王主任說價格偏高，下週三再談。\n"


@pytest.mark.parametrize("codec,detected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-32", "utf-32"),
    ("utf-16-le", "utf_16_le"), ("utf-16-be", "utf_16_be"),  # UTF-16 without its byte-order mark
    ("gbk", "gb18030"), ("gb18030", "gb18030"), ("gb2312", "gb18030"),
])
def test_a_note_in_any_common_encoding_reads_as_the_same_text(codec, detected):
    decoded = decode_text(NOTE.encode(codec))
    assert decoded.text == NOTE and decoded.encoding == detected


def test_big5_stays_in_traditional_script():
    decoded = decode_text(TRADITIONAL.encode("big5"))
    assert decoded.text == TRADITIONAL and decoded.encoding == "cp950"


def test_a_character_only_gb18030_has_is_not_lost():
    text = "王主任说价格偏高，𠀾字号也要写对。\n"  # U+2003E is outside GBK
    assert decode_text(text.encode("gb18030")).text == text


def test_sniff_names_the_encoding_it_detected():
    assert sniff(NOTE.encode("gbk")).encoding == "gb18030"
    assert sniff(NOTE.encode()).encoding == "utf-8"


@pytest.mark.parametrize("data", [
    os.urandom(4096),                                    # binary garbage
    bytes(range(256)) * 8,                               # every byte value
    b"\x01\x02\x03\x04\x05\x06\x07\x08" * 20 + b"abc",   # control characters around a few letters
    "王主任说价格偏高".encode("utf-16-le") + b"\x00",        # odd length: not UTF-16 after all
    b"\xff\xfe\x00\x00garbage\x00",                      # a UTF-32 mark over bytes that are no UTF-32
    b"\x81\x30" * 200 + b"\x01\x02\x03" * 200,             # "UTF-16" only as kana and Latin Extended-B runs
])
def test_binary_data_and_mojibake_are_refused_naming_the_file(data):
    with pytest.raises(Unsupported) as caught:
        sniff(data)
    assert caught.value.field == "file"


def test_the_readable_share_counts_replacement_and_control_characters():
    assert readable_share("王主任说价格偏高") == 1.0
    assert readable_share("王\ufffd\x01\x02") == 0.25


def test_a_guess_must_look_like_a_note_written_in_china_but_utf8_is_taken_as_written():
    assert plausible_share("王主任说 CT 价格 ≥ 50万，μ级精度 👍") == 1.0
    assert plausible_share("めめめめ") == 0.0
    assert decode_text("会議のメモ".encode()).text == "会議のメモ"


def test_a_gbk_note_is_stored_as_utf8_text_with_its_original_bytes_and_encoding(settings):
    original = NOTE.encode("gbk")
    registration = register_document(settings, original, "拜访记录.txt", rep_id="rep-07")
    assert run_job(settings, registration.job_id).status == "done"
    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, registration.document_id)
        assert document.text == NOTE.rstrip("\n") and document.encoding == "gb18030"
        assert Path(document.blob_path).read_bytes() == original
        assert document.pages[0].engine == "text"


def test_a_document_stored_before_encodings_were_recorded_still_reads_as_utf8(settings):
    registration = register_document(settings, b"\xef\xbb\xbf" + NOTE.encode(), "old.txt")
    with Session(ingest_engine(settings)) as session:
        session.get(DocumentRow, registration.document_id).encoding = None
        session.commit()
    run_job(settings, registration.job_id)
    with Session(ingest_engine(settings)) as session:
        assert session.get(DocumentRow, registration.document_id).text == NOTE.rstrip("\n")


def test_a_refused_text_stores_nothing(settings):
    with pytest.raises(Unsupported):
        register_document(settings, os.urandom(2048), "note.txt")
    with Session(ingest_engine(settings)) as session:
        assert session.query(DocumentRow).count() == 0
    blobs = settings.data_dir / "blobs"
    assert not blobs.exists() or not any(blobs.iterdir())
