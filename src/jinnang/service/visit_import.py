"""Visit logs and CRM exports (.xlsx, .csv) imported as visit notes, one note a row.

A mapping names our fields after the sheet's column headers
(`customer=客户名称,date=拜访日期,note=拜访内容+下一步计划`). `plan_import` checks every row
first and says what is wrong by sheet, row and column; `import_plan` then ingests each row's
note through the normal pipeline, so it gets an extraction record, updates its account and
becomes searchable like a typed note. Nothing is stored while any row is in error.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.core.config import load_yaml_model
from jinnang.core.errors import InputError, NotFound
from jinnang.core.settings import Settings
from jinnang.ingest.spreadsheets import Sheet, Table

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

REQUIRED_FIELDS = ("note", "date")
OPTIONAL_FIELDS = ("account", "customer", "hospital", "rep", "department", "kind")
KIND_WORDS = {"visit_note": "visit_note", "拜访": "visit_note", "拜访记录": "visit_note", "visit": "visit_note",
              "trial_feedback": "trial_feedback", "试用反馈": "trial_feedback", "试用": "trial_feedback",
              "talk_track": "talk_track", "话术": "talk_track"}
ACCOUNT_HELP = ("with no account column mapped (or an empty cell), the account id is 'acc-' + the first 10 hex "
                "digits of the SHA-256 of the customer name (else the hospital name) with spaces removed and "
                "full-width letters folded, so one customer always gets the same account")
_MAP_NAME = re.compile(r"^\w[\w\-]{0,63}$")
_DATE_FORMS = (re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[T\s].*)?$"),
               re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(?:\s.*)?$"),
               re.compile(r"^(\d{4})(\d{2})(\d{2})$"))
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's serial dates (its 1900 leap-year bug included)
HEADER_SEARCH_ROWS = 5  # a title row or two above the header is common in CRM exports


class VisitMapping(BaseModel):
    """Our fields → the sheet's column headers; `note` may join several columns."""

    model_config = ConfigDict(extra="forbid")

    note: list[str]
    date: str
    account: str | None = None
    customer: str | None = None
    hospital: str | None = None
    rep: str | None = None
    department: str | None = None
    kind: str | None = None

    @field_validator("note", mode="before")
    @classmethod
    def _one_or_more_columns(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("note")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value or not all(v.strip() for v in value):
            raise ValueError("name one or more columns")
        return value

    def columns(self) -> dict[str, list[str]]:
        """Field → its columns, in the order the fields are listed."""
        out = {"note": self.note, "date": [self.date]}
        out.update({f: [getattr(self, f)] for f in OPTIONAL_FIELDS if getattr(self, f)})
        return out


def parse_field_map(text: str, fields: tuple[str, ...], required: tuple[str, ...], example: str,
                    joinable: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """`field=column,field=column+column` → field → columns (every import's --map); errors name `map`."""
    found: dict[str, list[str]] = {}
    for part in (p.strip() for p in re.split(r"[,，]", text)):
        if not part:
            continue
        name, sep, columns = (s.strip() for s in part.partition("="))
        if not sep or not name or not columns:
            raise InputError("map", f"{part!r} is not field=column")
        if name not in fields:
            raise InputError("map", f"unknown field {name!r}; fields are {', '.join(fields)}")
        if name in found:
            raise InputError("map", f"field {name!r} is mapped twice")
        found[name] = [c.strip() for c in columns.split("+")]
        if name not in joinable and len(found[name]) > 1:
            raise InputError("map", f"only {' and '.join(joinable) or 'no field'} may join columns with '+', "
                                    f"not {name!r}")
        if not all(found[name]):
            raise InputError("map", f"field {name!r} names an empty column")
    if missing := [f for f in required if f not in found]:
        raise InputError("map", f"the mapping needs {' and '.join(missing)} (e.g. {example})")
    return found


def parse_mapping(text: str) -> VisitMapping:
    """`customer=客户名称,date=拜访日期,note=拜访内容+下一步计划` → a VisitMapping; errors name the field `map`."""
    found = parse_field_map(text, REQUIRED_FIELDS + OPTIONAL_FIELDS, REQUIRED_FIELDS,
                            "date=拜访日期,note=拜访内容", joinable=("note",))
    return VisitMapping(note=found["note"], **{k: v[0] for k, v in found.items() if k != "note"})


def _mapping_path(settings: Settings, name: str) -> Path:
    if not _MAP_NAME.match(name):
        raise InputError("map-name", f"{name!r}: a mapping name is letters, digits, '_' and '-' (at most 64)")
    return settings.data_dir / "mappings" / f"{name}.yaml"


def save_mapping(settings: Settings, name: str, mapping: BaseModel) -> Path:
    """Write `<data_dir>/mappings/NAME.yaml`; a mapping saved again under the same name replaces it."""
    path = _mapping_path(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = mapping.model_dump(exclude_none=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load_mapping(settings: Settings, name: str, model: type[M] = VisitMapping) -> M:  # type: ignore[assignment]
    """A saved mapping; a missing one is NotFound naming the saved ones, a broken one a ConfigError."""
    path = _mapping_path(settings, name)
    if not path.is_file():
        saved = sorted(p.stem for p in path.parent.glob("*.yaml")) if path.parent.is_dir() else []
        raise NotFound("map-name", f"no saved mapping {name!r}; saved: {', '.join(saved) or 'none'}")
    return load_yaml_model(path, model)


def parse_visit_date(cell: str) -> dt.date | None:
    """2026-03-02, 2026/3/2, 2026.3.2, 2026年3月2日, 20260302, a datetime, or an Excel serial day number."""
    text = unicodedata.normalize("NFKC", cell).strip()
    for form in _DATE_FORMS:
        if match := form.match(text):
            year, month, day = map(int, match.groups())
            try:
                return dt.date(year, month, day) if 1990 <= year <= 2100 else None  # 0026 or 2206 is a typo
            except ValueError:
                return None
    if re.fullmatch(r"\d{5}(\.\d+)?", text) and 30000 <= float(text) < 70000:  # a date cell exported as a number
        return _EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    return None


def derived_account_id(name: str) -> str:
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
    return "acc-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


@dataclass
class VisitRow:
    sheet: str
    row: int
    text: str
    date: dt.date
    kind: str
    account_id: str | None
    rep_id: str | None
    hospital: str | None
    customer: str | None
    department: str | None
    data: bytes = b""  # what is ingested: the note text, made distinct where another visit has the same words


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.sheet}!R{self.row} {self.column}: {self.message}"


@dataclass
class ImportPlan:
    file: str
    rows: list[VisitRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({(e.sheet, e.row) for e in self.errors})


def _key(header: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", header))


def _locate_header(sheet: Sheet, wanted: list[str]) -> tuple[dict[str, int], list[tuple[int, list[str]]]] | None:
    """Column → index and the data rows under the header; None when no mapped column is anywhere near the top."""
    candidates = [(0, sheet.header)] + [(i + 1, cells) for i, (_, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS])]
    keys = [_key(w) for w in wanted]
    best: tuple[int, int, list[str]] | None = None  # (columns found, position, header)
    for position, header in candidates:
        found = sum(k in {_key(h) for h in header} for k in keys)
        if found and (best is None or found > best[0]):
            best = (found, position, header)
    if best is None:
        return None
    found, position, header = best
    where = f"sheet {sheet.name!r}" + (f" (header in row {sheet.rows[position - 1][0]})" if position else "")
    index: dict[str, int] = {}
    for column, key in zip(wanted, keys):
        hits = [i for i, h in enumerate(header) if _key(h) == key]
        if not hits:
            shown = ", ".join(h for h in header if h) or "none"
            raise InputError("map", f"{where}: no column {column!r}; the headers found are: {shown}")
        if len(hits) > 1:
            raise InputError("map", f"{where}: column {column!r} appears {len(hits)} times in the header")
        index[column] = hits[0]
    return index, sheet.rows[position:]


def _cell(cells: list[str], index: dict[str, int], column: str | None) -> str:
    if column is None:
        return ""
    i = index[column]
    return cells[i].strip() if i < len(cells) else ""


def _row(sheet: str, number: int, cells: list[str], index: dict[str, int], m: VisitMapping,
         max_bytes: int) -> VisitRow | list[RowError]:
    """The row's visit, or every problem it has (a manager fixes a row once, not once a column)."""
    errors: list[RowError] = []

    def error(column: str, message: str) -> None:
        errors.append(RowError(sheet, number, column, message))

    text = "\n".join(v for v in (_cell(cells, index, c) for c in m.note) if v)
    if not text:
        error("+".join(m.note), "the note is empty")
    elif len(text.encode("utf-8")) > max_bytes:
        error("+".join(m.note), f"the note is over the upload limit of {max_bytes} bytes")
    raw_date = _cell(cells, index, m.date)
    date = parse_visit_date(raw_date)
    if date is None:
        error(m.date, f'"{raw_date}" is not a date (write 2026-03-02, 2026/3/2 or 2026年3月2日)'
              if raw_date else "the date is empty")
    raw_kind = _cell(cells, index, m.kind)
    kind = KIND_WORDS.get(raw_kind.lower() if raw_kind.isascii() else raw_kind) if raw_kind else "visit_note"
    if kind is None:
        error(m.kind or "kind", f'"{raw_kind}" is not a kind (visit_note, trial_feedback, talk_track)')
    customer, hospital = _cell(cells, index, m.customer), _cell(cells, index, m.hospital)
    hospital = hospital or customer
    account_id = _cell(cells, index, m.account) or None
    if account_id is None and (customer or hospital):
        account_id = derived_account_id(customer or hospital)
    elif account_id is None and (m.account or m.customer or m.hospital):  # a visit of no account would be lost
        error(m.account or m.customer or m.hospital or "", "no account: the account id, customer and "
              "hospital cells are all empty")
    rep_id = _cell(cells, index, m.rep) or None
    for column, value, limit in ((m.account, account_id, 64), (m.rep, rep_id, 64),
                                 (m.hospital or m.customer, hospital, 128)):
        if column and value and len(value) > limit:
            error(column, f"longer than {limit} characters")
    if errors or date is None or kind is None:
        return errors
    return VisitRow(sheet, number, text, date, kind, account_id, rep_id, hospital or None, customer or None,
                    _cell(cells, index, m.department) or None)


def plan_import(settings: Settings, table: Table, mapping: VisitMapping, file_name: str,
                sheet: str | None = None) -> ImportPlan:
    """Check every row; mapping and header problems raise InputError (the import cannot run)."""
    sheets = table.sheets
    if sheet is not None:
        sheets = [s for s in sheets if s.name == sheet]
        if not sheets:
            raise InputError("sheet", f"no sheet {sheet!r}; the sheets are: {', '.join(s.name for s in table.sheets)}")
    wanted = list(dict.fromkeys(c for cols in mapping.columns().values() for c in cols))
    plan = ImportPlan(file_name)
    for current in sheets:
        located = _locate_header(current, wanted)
        if located is None:
            if sheet is not None or len(sheets) == 1:
                shown = ", ".join(h for h in current.header if h) or "none"
                raise InputError("map", f"sheet {current.name!r} has none of the mapped columns "
                                        f"({', '.join(wanted)}); the headers found are: {shown}")
            plan.skipped_sheets.append(current.name)  # e.g. a notes or summary sheet beside the log
            continue
        index, body = located
        for number, cells in body:
            if not any(_cell(cells, index, column) for column in wanted):
                continue  # e.g. a remark under the log in a column we do not import: no visit to lose
            checked = _row(current.name, number, cells, index, mapping, settings.max_upload_bytes)
            if isinstance(checked, VisitRow):
                plan.rows.append(checked)
            else:
                plan.errors.extend(checked)
    if len(plan.skipped_sheets) == len(sheets):
        raise InputError("map", f"no sheet has the mapped columns ({', '.join(wanted)})")
    _give_bytes(settings, plan.rows)
    return plan


def _give_bytes(settings: Settings, rows: list[VisitRow]) -> None:
    """Each row's bytes: its note text, the same on every import, so a second import stores nothing twice.

    The pipeline keeps one document per distinct bytes, so two visits in the same words ("电话回访") for
    other accounts or days would become one. The plain text goes to the visit already stored under it,
    else to the earliest of them; each other visit gets a line naming its customer and date. A cumulative
    export (last month's rows again, plus new ones) so finds its old rows where they were stored.
    """
    from jinnang.ingest.store import DocumentRow, ingest_engine

    identities: dict[str, set[tuple[Any, ...]]] = {}
    for row in rows:
        identities.setdefault(row.text, set()).add(_identity(row))
    # nothing stored yet: the earliest visit (then the smallest account id) keeps the plain text
    owner = {text: min(ids, key=lambda i: (i[0], i[1] or "", i[2])) for text, ids in identities.items()}
    shas = {hashlib.sha256(t.encode("utf-8")).hexdigest(): t for t in identities}
    with Session(ingest_engine(settings)) as session:
        for chunk in (list(shas)[i:i + 500] for i in range(0, len(shas), 500)):
            query = select(DocumentRow.sha256, DocumentRow.reference_date, DocumentRow.account_id, DocumentRow.kind)
            for sha, date, account_id, kind in session.execute(query.where(DocumentRow.sha256.in_(chunk))):
                owner[shas[sha]] = (date, account_id, kind)
    for row in rows:
        suffix = f"\n（导入：{row.customer or row.hospital or row.account_id or ''} {row.date.isoformat()}）"
        row.data = (row.text + ("" if owner[row.text] == _identity(row) else suffix)).encode("utf-8")


def _identity(row: VisitRow) -> tuple[Any, ...]:
    return (row.date, row.account_id, row.kind)


def import_plan(settings: Settings, plan: ImportPlan,
                progress: Callable[[VisitRow], None] | None = None) -> list[dict[str, Any]]:
    """Ingest every planned row (the caller decides whether rows in error allow it); one result a row."""
    from jinnang.service.pipeline import extract_hook, index_in_playbook, ingest_bytes

    results: list[dict[str, Any]] = []
    for row in plan.rows:
        meta = {"import_file": plan.file, "sheet": row.sheet, "row": row.row, "customer": row.customer,
                "department": row.department}
        result: dict[str, Any] = {"sheet": row.sheet, "row": row.row, "account_id": row.account_id,
                                  "date": row.date.isoformat()}
        try:
            # the playbook is indexed once for the whole file, below, not once a row
            registration, job = ingest_bytes(
                settings, row.data, f"{plan.file}#{row.sheet}!R{row.row}.txt", hooks=(extract_hook,),
                kind=row.kind, account_id=row.account_id, rep_id=row.rep_id, hospital=row.hospital,
                reference_date=row.date, meta={k: v for k, v in meta.items() if v is not None})
            status = "duplicate" if registration.duplicate else (job.status if job else "queued")
            result.update(document_id=registration.document_id, status=status, error=job.error if job else None)
        except InputError as exc:  # checked before, so only a limit changed since: reported, the others go on
            log.warning("%s!R%s was not imported: %s", row.sheet, row.row, exc.message)
            result.update(document_id=None, status="rejected", error=f"{exc.field}: {exc.message}")
        results.append(result)
        if progress:
            progress(row)
    done = [r["document_id"] for r in results if r["status"] in ("done", "duplicate")]
    if done:
        index_in_playbook(settings, done)
    return results
