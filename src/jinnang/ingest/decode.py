"""Text files in the encodings reps' PCs and phones write: UTF-8/16/32 (with or without a BOM),
GBK/GB18030 and Big5, judged from the bytes.

`decode_text(data)` answers the text and the Python codec that reads it back, so the stored
original can be decoded again the same way. Traditional script stays traditional.
"""
from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from jinnang.core.errors import Unsupported

# Longest first: UTF-32 LE's BOM begins with UTF-16 LE's.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# charset-normalizer's names for the GBK family are read with their superset, GB18030,
# and Big5 with Microsoft's superset (cp950), so a rare character does not fail the file.
DECODER_FOR = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "hz": "gb18030", "cp936": "gb18030",
               "big5": "cp950", "big5hkscs": "big5hkscs", "cp950": "cp950"}
TRUSTED_GUESSES = ("utf_16", "utf_32", "big5", "cp950")
# Below this share of readable characters a decoding is mojibake, not a note.
MIN_READABLE = 0.9
NOT_TEXT = "the file is not text in a known encoding (UTF-8, UTF-16, GBK/GB18030, Big5), an image or a PDF"


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # a Python codec name: decoding the original bytes with it gives `text`


def readable_share(text: str) -> float:
    """Share of characters that are not replacement, control, private-use or unassigned ones."""
    if not text:
        return 1.0
    bad = sum(1 for ch in text if ch == "\ufffd" or (ch not in "\t\n\r\f\v"
                                                     and unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs")))
    return 1 - bad / len(text)


# Unicode blocks a note written in China holds (code point ranges, end inclusive): a guessed decoding
# that falls mostly outside them — kana runs, Latin Extended-B, Cyrillic — read the bytes wrongly.
PLAUSIBLE_BLOCKS = ((0x00, 0x24F), (0x370, 0x3FF), (0x2000, 0x27BF), (0x3000, 0x303F), (0x3200, 0x4DBF),
                    (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x1F000, 0x1FAFF),
                    (0x20000, 0x3FFFF))


def plausible_share(text: str) -> float:
    """Share of characters in the blocks a Chinese business note uses (with Latin, Greek and emoji)."""
    if not text:
        return 1.0
    good = sum(1 for ch in text if any(low <= ord(ch) <= high for low, high in PLAUSIBLE_BLOCKS))
    return good / len(text)


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _guess(data: bytes) -> DecodedText | None:
    """charset-normalizer's best reading, then GB18030 (the commonest non-UTF encoding here) as a fallback."""
    from charset_normalizer import from_bytes

    candidates = ["gb18030"]
    best = from_bytes(data).best()
    if best is not None:
        guess = DECODER_FOR.get(best.encoding.replace("_", "").lower(), best.encoding)
        # a short GBK text is often guessed Korean or Latin (their byte ranges overlap GBK's); these files
        # come from teams in China, so only guesses GB18030 cannot stand for (UTF-16/32, Big5) go first
        if guess.replace("-", "_").lower().startswith(TRUSTED_GUESSES):
            candidates.insert(0, guess)
        else:
            candidates.append(guess)
    for encoding in candidates:
        text = _strict(data, encoding)
        if text is not None and min(readable_share(text), plausible_share(text)) >= MIN_READABLE:
            return DecodedText(text, encoding)
    return None


def decode_text(data: bytes) -> DecodedText:
    """`decode_text("王主任".encode("gbk"))` → DecodedText("王主任", "gb18030"); refuses binary data
    and anything that decodes only to mojibake with Unsupported(field="file")."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding)
            if text is None:
                raise Unsupported("file", f"the file starts with a {encoding.upper()} mark but is not {encoding} text")
            return _checked(DecodedText(text, encoding))
    text = _strict(data, "utf-8")
    # NULs are valid UTF-8, but in a text file they mean UTF-16 without its mark (or binary)
    decoded = DecodedText(text, "utf-8") if text is not None and "\x00" not in text else _guess(data)
    if decoded is None:
        raise Unsupported("file", NOT_TEXT)
    return _checked(decoded)


def _checked(decoded: DecodedText) -> DecodedText:
    if "\x00" in decoded.text:
        raise Unsupported("file", "binary data is not a supported document")
    if readable_share(decoded.text) < MIN_READABLE:
        raise Unsupported("file", NOT_TEXT + " (it decodes only to unreadable characters)")
    return decoded
