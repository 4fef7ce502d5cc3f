"""Excel (.xlsx) and CSV tables as rows of text cells, with the sheet and row each came from.

Managers keep visit logs and CRM exports as spreadsheets; `read_table` reads either kind
from its bytes (openpyxl for .xlsx, the csv module for text in any common encoding, see
`csv_text`), and `table_text` renders a table as lines a note reader can take in.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from jinnang.core.errors import Empty, InputError, Unsupported
from jinnang.ingest.decode import decode_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MERGE_REF = re.compile(r'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


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


def _merged_ranges(data: bytes, sheet_path: str | None) -> list[tuple[int, int, int, int]]:
    """(first column, first row, last column, last row) of each merged range, 1-based.

    openpyxl's read-only mode (kept for large exports) does not read them, so the sheet's XML is searched.
    """
    if not sheet_path:
        return []
    from openpyxl.utils.cell import range_boundaries

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read(sheet_path.lstrip("/")).decode("utf-8", errors="replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return []
    found = []
    for ref in _MERGE_REF.findall(xml):
        first_col, first_row, last_col, last_row = range_boundaries(ref)
        if None not in (first_col, first_row, last_col, last_row):
            found.append((int(first_col or 0), int(first_row or 0), int(last_col or 0), int(last_row or 0)))
    return found


def _fill_merged_down(rows: list[list[str]], ranges: list[tuple[int, int, int, int]]) -> None:
    """A cell merged over several rows (one customer over its visits) belongs to each of those rows;
    across columns it stays in its first column, so a title is not repeated."""
    for first_col, first_row, _, last_row in ranges:
        if last_row <= first_row or first_row > len(rows):
            continue
        value = rows[first_row - 1][first_col - 1] if first_col <= len(rows[first_row - 1]) else ""
        for r in range(first_row, min(last_row, len(rows))):
            cells = rows[r]
            cells.extend([""] * (first_col - len(cells)))
            cells[first_col - 1] = cells[first_col - 1] or value


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
            _fill_merged_down(rows, _merged_ranges(data, getattr(ws, "_worksheet_path", None)))
            if (sheet := _sheet(ws.title, rows, numbers)) is not None:
                sheets.append(sheet)
    finally:
        book.close()
    if not sheets:
        raise Empty("file", "the Excel file has no filled cells")
    return Table(sheets)


def csv_text(data: bytes) -> str:
    """Text bytes in any common encoding, read as every text upload is (`ingest.decode`):
    `csv_text("客户".encode("gbk"))` → "客户". Bytes that are no text are an InputError on `file`."""
    return decode_text(data).text


def read_table(data: bytes, filename: str | None = None) -> Table:
    """A workbook or a CSV file from its bytes, judged by its content (a zip is a workbook), not its name."""
    if not data:
        raise Empty("file", "the file is empty")
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # the OLE container of Excel 97-2003
        raise Unsupported("file", "an Excel 97-2003 (.xls) or password-protected workbook; save it as .xlsx "
                                  "without a password, or as .csv")
    name = (filename or "csv").replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0] or "csv"
    return read_csv(csv_text(data), name)


def read_csv(text: str, name: str = "csv") -> Table:
    """A CSV text (already decoded) as one sheet; the delimiter is sniffed (comma, tab, semicolon)."""
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:  # e.g. a field over the csv module's size limit: not a table we can read
        raise InputError("file", f"the CSV file cannot be read: {exc}") from None
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
