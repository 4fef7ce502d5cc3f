"""Office files made in memory for tests: a Word document of paragraphs, a workbook of rows."""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence


def docx_bytes(paragraphs: Iterable[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
