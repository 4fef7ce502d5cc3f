"""Excel (.xlsx) and CSV tables as rows of text cells, with the sheet and row each came from.

Managers keep visit logs and CRM exports as spreadsheets; `read_table` reads either kind
from its bytes (openpyxl for .xlsx, the csv module for text in any common encoding), and
`table_text` renders a table as lines a note reader can take in.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from jinnang.core.errors import Empty, InputError

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Sheet:
    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (1-based row number in the sheet, cells)


@dataclass
class Table:
    sheets: list[Sheet]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):  # dates and datetimes as the sheet shows them, without midnight
        text = value.isoformat()
        return text.removesuffix("T00:00:00")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet(name: str, rows: list[list[str]], numbers: list[int]) -> Sheet | None:
    filled = [(n, r) for n, r in zip(numbers, rows) if any(c for c in r)]
    if not filled:
        return None
    (_, header), body = filled[0], filled[1:]
    width = len(header)
    return Sheet(name, [h.strip() for h in header], [(n, (r + [""] * width)[:max(width, len(r))]) for n, r in body])


def read_xlsx(data: bytes) -> Table:
    """Every non-empty sheet of a workbook; a file that is not a readable workbook is an InputError."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError("file", f"the Excel file cannot be read ({type(exc).__name__})") from None
    sheets = []
    try:
        for ws in book.worksheets:
            rows, numbers = [], []
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                rows.append([_cell(v) for v in values])
                numbers.append(number)
            if (sheet := _sheet(ws.title, rows, numbers)) is not None:
                sheets.append(sheet)
    finally:
        book.close()
    if not sheets:
        raise Empty("file", "the Excel file has no filled cells")
    return Table(sheets)


def read_csv(text: str, name: str = "csv") -> Table:
    """A CSV text (already decoded) as one sheet; the delimiter is sniffed (comma, tab, semicolon)."""
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), dialect)]
    sheet = _sheet(name, rows, list(range(1, len(rows) + 1)))
    if sheet is None:
        raise Empty("file", "the CSV file has no filled cells")
    return Table([sheet])


def table_text(table: Table) -> str:
    """One line a row, `header：value` pairs joined by `；`, each sheet under its name."""
    lines: list[str] = []
    for sheet in table.sheets:
        if len(table.sheets) > 1:
            lines.append(f"【{sheet.name}】")
        for _, cells in sheet.rows:
            pairs = [f"{h}：{v}" if h else v for h, v in zip(sheet.header, cells) if v]
            if pairs:
                lines.append("；".join(pairs) + "。")
    return "\n".join(lines)
