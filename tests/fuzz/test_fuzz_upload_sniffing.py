"""Hypothesis fuzz of what reads an upload's bytes before anything is stored: whatever arrives,
`sniff`, `decode_text`, `check_image_size` and `check_pdf` answer or raise the InputError family
(a 4xx at the door), never anything else, and `safe_filename` always gives a plain name.

Bounded for the suite; `JINNANG_FUZZ_EXAMPLES=5000` for a long run.
"""
from __future__ import annotations

import codecs
import io
import os
import unicodedata

import pypdfium2 as pdfium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from jinnang.core.errors import InputError
from jinnang.ingest.decode import decode_text
from jinnang.ingest.sniff import check_image_size, check_pdf, safe_filename, sniff

EXAMPLES = int(os.environ.get("JINNANG_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), "white").save(out, "PNG")
    return out.getvalue()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("L", (16, 16), 200).save(out, "JPEG")
    return out.getvalue()


def _pdf() -> bytes:
    document = pdfium.PdfDocument.new()
    document.new_page(200, 200)
    out = io.BytesIO()
    document.save(out)
    document.close()
    return out.getvalue()


# the starts of every kind the sniffer tells apart, of kinds it refuses, and of text encodings
MAGIC = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"II*\x00", b"MM\x00*", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"BM",
         b"GIF89a", b"%PDF-1.7\n", b"PK\x03\x04", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 16 + b"\x13\x00\x00\x00[Content_Types].xml",
         b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE,
         codecs.BOM_UTF32_LE, b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b""]
VALID = [_png(), _jpeg(), _pdf()]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A valid PNG, JPEG or PDF cut short or with some bytes overwritten."""
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data) - 1))
        data[at:at + 4] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data[:draw(st.integers(0, len(data)))])


uploads = st.one_of(st.binary(max_size=2048),
                    st.builds(lambda head, tail: head + tail, st.sampled_from(MAGIC), st.binary(max_size=2048)),
                    st.text(max_size=300).flatmap(lambda t: st.sampled_from(["utf-8", "gb18030", "utf-16", "big5"])
                                                  .map(lambda enc: t.encode(enc, errors="ignore"))),
                    damaged())


def _only_input_errors(call, *args) -> None:
    try:
        call(*args)
    except InputError as exc:
        assert exc.field == "file" and exc.message


@FUZZ
@given(uploads)
def test_sniffing_any_bytes_answers_or_refuses_with_the_file_field(data):
    _only_input_errors(sniff, data)


@FUZZ
@given(uploads)
def test_decoding_any_bytes_gives_text_or_a_refusal(data):
    try:
        decoded = decode_text(data)
    except InputError as exc:
        assert exc.field == "file"
    else:
        assert isinstance(decoded.text, str)


@FUZZ
@given(uploads, st.sampled_from([1, 300, 60_000_000]))
def test_image_check_of_any_bytes_refuses_with_the_input_error_family(data, max_pixels):
    _only_input_errors(check_image_size, data, max_pixels)


@FUZZ
@given(uploads)
def test_pdf_check_of_any_bytes_refuses_with_the_input_error_family(data):
    _only_input_errors(check_pdf, data)


NAMES = st.one_of(st.none(), st.text(max_size=300),
                  st.lists(st.sampled_from(["..", ".", "/", "\\", "a", "病历", "\x00", "\u202e", " ", "C:"]))
                  .map("".join))


@FUZZ
@given(NAMES)
def test_any_file_name_becomes_one_path_part(name):
    safe = safe_filename(name)
    assert safe and "/" not in safe and "\\" not in safe and len(safe) <= 200
    assert not any(unicodedata.category(ch)[0] == "C" for ch in safe)


@pytest.mark.parametrize("name", [" ..", " .", " .hidden"])
def test_no_file_name_keeps_a_leading_dot(name):
    assert not safe_filename(name).startswith(".")


def test_the_fuzz_inputs_reach_past_the_sniffer():
    """The valid seeds are accepted, so damaged copies of them test the deeper checks."""
    assert [sniff(v).kind for v in VALID] == ["image", "image", "pdf"]
    check_image_size(VALID[0], 1000)
    check_pdf(VALID[2])
