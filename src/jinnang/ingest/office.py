"""Office files uploaded as documents: Word (.docx) as its paragraphs and tables in order,
an Excel workbook (.xlsx) as its rows. Other Office zips (.pptx) are refused.

A file that cannot be read is refused when it is registered, before anything is stored.
"""
from __future__ import annotations

import io
import logging
import struct
import zipfile
import zlib
from typing import TYPE_CHECKING

from jinnang.core.errors import Empty, InputError, Unsupported
from jinnang.ingest.spreadsheets import XLSX_TYPE, read_xlsx, table_text

if TYPE_CHECKING:
    from docx.table import Table

log = logging.getLogger(__name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
# the parts that name an Office Open XML package, and what each makes it
_PARTS = (("word/", DOCX_TYPE), ("xl/", XLSX_TYPE), ("ppt/", PPTX_TYPE))
_OOXML_FIRST_ENTRIES = (b"[Content_Types].xml", b"_rels/", b"docProps/", b"word/", b"xl/", b"ppt/")
# what a broken zip or broken XML inside it raises (lxml's syntax error is a SyntaxError)
_BROKEN = (zipfile.BadZipFile, zlib.error, KeyError, ValueError, OSError, SyntaxError, EOFError)


def office_type(data: bytes) -> str | None:
    """The Office type of a zip, from its entry names; None for a zip that is no Office file.
    A zip that looks like an Office file but cannot be opened is an InputError: it was
    cut short or damaged on the way, and the sender should be told so, not that we cannot read Word."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        if _first_entry(data).startswith(_OOXML_FIRST_ENTRIES):
            raise InputError("file", "the Office document cannot be read (corrupt or truncated)") from None
        return None
    for prefix, media_type in _PARTS:
        if any(name.startswith(prefix) for name in names):
            return media_type
    return None


def _first_entry(data: bytes) -> bytes:
    """The name in a zip's first local header (at byte 30, its length at byte 26)."""
    if len(data) < 30 or not data.startswith(b"PK\x03\x04"):
        return b""
    (length,) = struct.unpack_from("<H", data, 26)
    return data[30:30 + length]


def docx_text(data: bytes) -> str:
    """Paragraphs and tables in document order; a table row by row, its cells in order, one line a row.
    Page headers and footers (letterheads, page numbers) and empty paragraphs are left out."""
    import docx
    from docx import table as docx_table

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, docx_table.Table):
                lines.extend(_table_lines(block))
            elif text := block.text.strip():
                lines.append(text)
    except _BROKEN as exc:
        raise InputError("file", f"the Word document cannot be read (corrupt or truncated: {type(exc).__name__})") from None
    except Exception as exc:  # python-docx raises its own classes too (PackageNotFoundError, …)
        # an upload's fault, answered with a 4xx: one line, the traceback only when debugging
        log.info("a .docx could not be read: %s: %s", type(exc).__name__, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        raise InputError("file", f"the Word document cannot be read ({type(exc).__name__})") from None
    if not lines:
        raise Empty("file", "the Word document has no text")
    return "\n".join(lines)


def _table_lines(table: Table) -> list[str]:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        seen: list[object] = []  # the cells' XML elements, held so each keeps its identity
        for cell in row.cells:
            if any(cell._tc is element for element in seen):  # a merged cell is listed once a column it spans
                continue
            seen.append(cell._tc)
            if text := " ".join(cell.text.split()):
                cells.append(text)
        if cells:
            lines.append("  ".join(cells))
    return lines


def xlsx_text(data: bytes) -> str:
    """A workbook's rows as `header：value` lines (spreadsheets.table_text)."""
    try:
        table = read_xlsx(data)
    except InputError:
        raise
    except _BROKEN as exc:  # a damaged sheet is only read (lazily) after the workbook opened
        raise InputError("file", f"the Excel file cannot be read ({type(exc).__name__})") from None
    text = table_text(table)
    if not text.strip():
        raise Empty("file", "the Excel file has no rows under its header")
    return text


def refuse_other_office(media_type: str) -> None:
    if media_type == PPTX_TYPE:
        raise Unsupported("file", "PowerPoint files are not read; send the notes as text, Word (.docx) or PDF")
