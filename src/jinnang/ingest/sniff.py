"""What an upload is, judged from its bytes, never from its file name."""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

import filetype

from jinnang.core.errors import Empty, InputError, TooLarge, Unsupported
from jinnang.ingest.decode import decode_text
from jinnang.ingest.office import DOCX_TYPE, office_type, refuse_other_office
from jinnang.ingest.spreadsheets import XLSX_TYPE

IMAGE_TYPES = {"image/png", "image/jpeg", "image/tiff", "image/webp", "image/bmp"}
PDF_TYPE = "application/pdf"
# kinds read as text without OCR: their text comes from the bytes themselves
TYPED_KINDS = ("text", "docx", "xlsx")
_OLD_OFFICE = {"application/msword": "Word 97-2003 (.doc): save it as .docx",
               "application/vnd.ms-excel": "Excel 97-2003 (.xls): save it as .xlsx"}
SUPPORTED = "send text, Word (.docx), Excel (.xlsx), an image (png/jpg/tiff/webp) or a PDF"


@dataclass(frozen=True)
class Sniffed:
    kind: str  # "text" | "image" | "pdf" | "docx" | "xlsx"
    media_type: str
    encoding: str | None = None  # a text's Python codec, as detected from its bytes


def sniff(data: bytes) -> Sniffed:
    """`sniff(b"%PDF-1.7 …")` → Sniffed("pdf", "application/pdf"); `sniff("王主任".encode("gbk"))` →
    Sniffed("text", "text/plain", "gb18030"); raises InputError(field="file")."""
    if not data:
        raise Empty("file", "the file is empty")
    guess = filetype.guess(data[:8192])
    if guess is not None:
        media_type = guess.mime
        if media_type == PDF_TYPE:
            return Sniffed("pdf", PDF_TYPE)
        if media_type in IMAGE_TYPES:
            return Sniffed("image", media_type)
        if media_type == "application/zip":  # an Office file whose parts are in an unusual order
            media_type = office_type(data) or media_type
        if media_type == DOCX_TYPE:
            return Sniffed("docx", DOCX_TYPE)
        if media_type == XLSX_TYPE:
            return Sniffed("xlsx", XLSX_TYPE)
        refuse_other_office(media_type)
        if media_type in _OLD_OFFICE:
            raise Unsupported("file", f"{_OLD_OFFICE[media_type]}, or {SUPPORTED}")
        raise Unsupported("file", f"unsupported file type {media_type}; {SUPPORTED}")
    decoded = decode_text(data)
    if not decoded.text.strip():
        raise Empty("file", "the text file has no content")
    return Sniffed("text", "text/plain", decoded.encoding)


def safe_filename(name: str | None) -> str:
    """The last path part, stripped of control characters and traversal: '../../etc/passwd' → 'passwd'."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"^[.\s]+", "", base).strip()
    return base[:200] or "upload"


def check_image_size(data: bytes, max_pixels: int) -> None:
    """Refuse an image that cannot be read in full, before anything is stored: the size is checked
    from the header first (so a decompression bomb costs nothing), then every pixel is decoded, so a
    truncated or corrupt file is a 4xx at the door rather than a job that fails later.

    A JPEG is decoded at an eighth of its size: every byte of its compressed data is still read (a
    truncated or broken stream fails the same way), but a 12-megapixel phone photo holds 0.6 MB of
    pixels instead of 36 MB in the web process and takes about 30 ms instead of 70."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
            if width * height > max_pixels:
                raise TooLarge("file", f"image is {width}×{height} pixels; the limit is {max_pixels}")
            image.draft(None, (max(1, width // 8), max(1, height // 8)))  # JPEG only; other formats ignore it
            image.load()
    except Image.DecompressionBombError:  # over twice Pillow's own limit
        raise TooLarge("file", f"image too large to decode safely (limit {max_pixels} pixels)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError("file", f"the image cannot be read (corrupt or truncated): {exc}") from None


def check_pdf(data: bytes, max_pages: int = 200) -> None:
    """Refuse a PDF that cannot be opened, has no pages or too many, or a page that cannot be loaded,
    before anything is stored (pages are loaded, not rendered: cheap even for a long PDF)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        raise InputError("file", "the PDF cannot be opened (corrupt, truncated or encrypted)") from None
    try:
        pages = len(document)
        if pages == 0:
            raise InputError("file", "the PDF has no pages")
        if pages > max_pages:
            raise TooLarge("file", f"the PDF has {pages} pages; the limit is {max_pages}")
        for index in range(pages):
            try:
                document[index].close()
            except pdfium.PdfiumError:
                raise InputError("file", f"page {index + 1} of the PDF cannot be read (corrupt)") from None
    finally:
        document.close()
