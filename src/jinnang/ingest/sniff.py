"""What an upload is, judged from its bytes, never from its file name."""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

import filetype

from jinnang.core.errors import Empty, InputError, TooLarge, Unsupported

IMAGE_TYPES = {"image/png", "image/jpeg", "image/tiff", "image/webp", "image/bmp"}
PDF_TYPE = "application/pdf"


@dataclass(frozen=True)
class Sniffed:
    kind: str  # "text" | "image" | "pdf"
    media_type: str


def sniff(data: bytes) -> Sniffed:
    """`sniff(b"%PDF-1.7 …")` → Sniffed("pdf", "application/pdf"); raises InputError(field="file")."""
    if not data:
        raise Empty("file", "the file is empty")
    guess = filetype.guess(data[:8192])
    if guess is not None:
        if guess.mime == PDF_TYPE:
            return Sniffed("pdf", PDF_TYPE)
        if guess.mime in IMAGE_TYPES:
            return Sniffed("image", guess.mime)
        raise Unsupported("file", f"unsupported file type {guess.mime}; send text, an image (png/jpg/tiff/webp) or a PDF")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unsupported("file", "not UTF-8 text, an image or a PDF") from None
    if "\x00" in text:
        raise Unsupported("file", "binary data is not a supported document")
    if not text.strip():
        raise Empty("file", "the text file has no content")
    return Sniffed("text", "text/plain")


def safe_filename(name: str | None) -> str:
    """The last path part, stripped of control characters and traversal: '../../etc/passwd' → 'passwd'."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"^\.+", "", base).strip()
    return base[:200] or "upload"


def check_image_size(data: bytes, max_pixels: int) -> None:
    """Reject decompression bombs from the header alone, before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
    except Image.DecompressionBombError:  # over twice Pillow's own limit
        raise TooLarge("file", f"image too large to decode safely (limit {max_pixels} pixels)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InputError("file", "the image cannot be read (corrupt or truncated)") from None
    if width * height > max_pixels:
        raise TooLarge("file", f"image is {width}×{height} pixels; the limit is {max_pixels}")


def check_pdf(data: bytes, max_pages: int = 200) -> None:
    """Refuse a PDF that cannot be opened, or has no pages or too many, before anything is stored."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        raise InputError("file", "the PDF cannot be opened (corrupt, truncated or encrypted)") from None
    try:
        pages = len(document)
    finally:
        document.close()
    if pages == 0:
        raise InputError("file", "the PDF has no pages")
    if pages > max_pages:
        raise TooLarge("file", f"the PDF has {pages} pages; the limit is {max_pages}")
