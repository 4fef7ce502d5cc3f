"""Uploads are judged by their bytes; chunks break where Chinese text breaks."""
import io

import pytest
from PIL import Image

from jinnang.core.errors import Empty, InputError, TooLarge, Unsupported
from jinnang.ingest.chunking import chunk_text
from jinnang.ingest.sniff import check_image_size, safe_filename, sniff


def _png(width: int = 20, height: int = 10) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, format="PNG")
    return buffer.getvalue()


def test_type_comes_from_bytes_not_name():
    assert sniff(_png()).kind == "image"
    assert sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n").kind == "pdf"
    assert sniff("拜访记录：王主任".encode()).kind == "text"


@pytest.mark.parametrize("data,error", [(b"", Empty), (b"   \n", Empty), (b"PK\x03\x04" + b"\x00" * 40, Unsupported),
                                        (b"\xff\xfe\x00\x00garbage\x00", Unsupported)])
def test_empty_and_unsupported_files_are_refused_with_the_field_named(data, error):
    with pytest.raises(error) as caught:
        sniff(data)
    assert caught.value.field == "file"


def test_decompression_bomb_is_refused_from_the_header():
    with pytest.raises(TooLarge) as caught:
        check_image_size(_png(4000, 3000), max_pixels=1_000_000)
    assert caught.value.field == "file"


def test_truncated_image_is_a_clear_error():
    with pytest.raises(InputError) as caught:
        check_image_size(_png()[:30], max_pixels=1_000_000)
    assert type(caught.value) is InputError and "cannot be read" in caught.value.message


@pytest.mark.parametrize("name,expected", [("../../etc/passwd", "passwd"), ("..\\..\\boot.ini", "boot.ini"),
                                           ("拜访.txt", "拜访.txt"), ("", "upload"), ("..", "upload"),
                                           ("a\x00b.txt", "ab.txt")])
def test_file_names_cannot_traverse_paths(name, expected):
    assert safe_filename(name) == expected


def test_chunks_break_at_sentence_ends_and_keep_all_content():
    text = "王主任说价格偏高。护士长问培训怎么安排？\n1. 注册证\n2. 授权书\n试用时间：3月10日至4月10日"
    chunks = chunk_text(text, max_chars=15)
    assert all(len(c) <= 15 for c in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")
    assert chunks[0] == "王主任说价格偏高。"


def test_an_overlong_sentence_is_cut_not_dropped():
    text = "很" * 700
    chunks = chunk_text(text, max_chars=300)
    assert [len(c) for c in chunks] == [300, 300, 100]
