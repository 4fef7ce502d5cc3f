"""The CRM's account list (.xlsx, .csv) imported into the stored accounts, one account a row.

The mapping is the visit import's (`service/visit_import.py`): our fields named after the sheet's
column headers, `account_id=客户编号,hospital=医院名称,hospital_type=医院性质,rep_id=负责代表`.
`plan_accounts` checks every row first and names sheet, row and column of each problem;
`import_accounts` then stores each row (`rules.accounts.store.import_account`): created, updated
or unchanged, so importing the same file twice changes nothing the second time. What the list
says wins over what uploads said; a public hospital type (公立…) makes the account public, so the
budget-approval-number rule runs on it; the rep's manager comes from the users' teams unless the
list names one.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.core.db import ensure_schema, open_engine
from jinnang.core.errors import InputError
from jinnang.core.settings import Settings
from jinnang.ingest.spreadsheets import Table
from jinnang.rules.accounts.store import HOSPITAL_TIERS, import_account
from jinnang.rules.accounts.tables import AccountRow
from jinnang.rules.config import default_ruleset
from jinnang.rules.rule_files import RuleSet
from jinnang.service.visit_import import RowError, _cell, _locate_header, derived_account_id, parse_field_map

FIELDS = ("account_id", "hospital", "province", "city", "hospital_type", "hospital_tier", "rep_id", "manager",
          "product_line", "department", "node")
FIELD_HELP = ("account_id (else 'acc-' + a hash of the hospital name, as the visit import derives it), hospital, "
              "province, city, hospital_type (公立/民营/公立三甲…; 公立 makes the account public), hospital_tier "
              "(三甲 三乙 二甲 二乙 民营专科 other), rep_id, manager (the manager's person id; default: the manager "
              "of the rep's team), product_line, department, node (a journey node id or its label, e.g. 初步接触)")
LIMITS = {"account_id": 64, "rep_id": 64, "manager": 64, "hospital": 128}  # other fields: 64


class AccountMapping(BaseModel):
    """Our account fields → the sheet's column headers."""

    model_config = ConfigDict(extra="forbid")

    account_id: str | None = None
    hospital: str | None = None
    province: str | None = None
    city: str | None = None
    hospital_type: str | None = None
    hospital_tier: str | None = None
    rep_id: str | None = None
    manager: str | None = None
    product_line: str | None = None
    department: str | None = None
    node: str | None = None

    def columns(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in FIELDS if getattr(self, f)}


def parse_account_mapping(text: str) -> AccountMapping:
    """`account_id=客户编号,hospital=医院名称,…` → an AccountMapping; errors name the field `map`."""
    found = parse_field_map(text, FIELDS, (), "account_id=客户编号,hospital=医院名称,rep_id=负责代表")
    if "account_id" not in found and "hospital" not in found:
        raise InputError("map", "the mapping needs account_id or hospital (e.g. account_id=客户编号,hospital=医院名称)")
    return AccountMapping(**{k: v[0] for k, v in found.items()})


@dataclass
class AccountLine:
    sheet: str
    row: int
    account_id: str
    values: dict[str, Any]


@dataclass
class AccountPlan:
    file: str
    rows: list[AccountLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({(e.sheet, e.row) for e in self.errors})


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _node_words(rules: RuleSet) -> dict[str, str]:
    words = {_key(node_id): node_id for node_id in rules.node_by_id}
    words |= {_key(node.label): node_id for node_id, node in rules.node_by_id.items()}
    return words


def _line(sheet: str, number: int, cells: list[str], index: dict[str, int], mapping: AccountMapping,
          nodes: dict[str, str], stored: set[str]) -> AccountLine | list[RowError]:
    """The row's account, or every problem it has (a manager fixes a row once, not once a column)."""
    columns = mapping.columns()
    raw = {f: _cell(cells, index, c) for f, c in columns.items()}
    errors: list[RowError] = []

    def error(name: str, message: str) -> None:
        errors.append(RowError(sheet, number, columns.get(name, name), message))

    for name, value in raw.items():
        if len(value) > LIMITS.get(name, 64):
            error(name, f"longer than {LIMITS.get(name, 64)} characters")
    account_id = raw.get("account_id") or (derived_account_id(raw["hospital"]) if raw.get("hospital") else "")
    if not account_id:
        error("account_id" if "account_id" in columns else "hospital", "no account: the account id and hospital "
              "cells are both empty")
    values: dict[str, Any] = {f: v for f, v in raw.items() if v and f not in ("account_id", "manager", "node")}
    if raw.get("manager"):
        values["manager_id"] = raw["manager"]
    if raw.get("node"):
        node = nodes.get(_key(raw["node"]))
        if node is None:
            error("node", f'"{raw["node"]}" is not a journey node (an id such as first_contact, or its label '
                          f"such as 初步接触)")
        values["node"] = node
    tier = raw.get("hospital_tier")
    if tier and tier not in HOSPITAL_TIERS:
        error("hospital_tier", f'"{tier}" is not a tier ({", ".join(HOSPITAL_TIERS)})')
    if account_id and account_id not in stored and not values.get("rep_id"):
        error("rep_id", "a new account needs its rep (map rep_id and fill the cell)")
    return errors or AccountLine(sheet, number, account_id, values)


def _stored_accounts(settings: Settings) -> set[str]:
    engine = open_engine(settings.db_url)
    ensure_schema(engine)
    with Session(engine) as session:
        return set(session.scalars(select(AccountRow.account_id)))


def plan_accounts(settings: Settings, table: Table, mapping: AccountMapping, file_name: str,
                  sheet: str | None = None, rules: RuleSet | None = None) -> AccountPlan:
    """Check every row; mapping and header problems raise InputError (the import cannot run)."""
    rules = rules or default_ruleset()
    sheets = table.sheets
    if sheet is not None:
        sheets = [s for s in sheets if s.name == sheet]
        if not sheets:
            raise InputError("sheet", f"no sheet {sheet!r}; the sheets are: {', '.join(s.name for s in table.sheets)}")
    wanted = list(dict.fromkeys(mapping.columns().values()))
    plan, nodes, stored = AccountPlan(file_name), _node_words(rules), _stored_accounts(settings)
    seen: dict[str, tuple[str, int]] = {}
    for current in sheets:
        located = _locate_header(current, wanted)
        if located is None:
            if sheet is not None or len(sheets) == 1:
                shown = ", ".join(h for h in current.header if h) or "none"
                raise InputError("map", f"sheet {current.name!r} has none of the mapped columns "
                                        f"({', '.join(wanted)}); the headers found are: {shown}")
            plan.skipped_sheets.append(current.name)
            continue
        index, body = located
        for number, cells in body:
            if not any(_cell(cells, index, column) for column in wanted):
                continue  # a blank line or a remark under the list
            checked = _line(current.name, number, cells, index, mapping, nodes, stored)
            if isinstance(checked, list):
                plan.errors.extend(checked)
            elif checked.account_id in seen:
                first = seen[checked.account_id]
                column = mapping.account_id or mapping.hospital or "account_id"
                plan.errors.append(RowError(current.name, number, column, f"account {checked.account_id} is "
                                            f"already on {first[0]}!R{first[1]}"))
            else:
                seen[checked.account_id] = (current.name, number)
                plan.rows.append(checked)
    if len(plan.skipped_sheets) == len(sheets):
        raise InputError("map", f"no sheet has the mapped columns ({', '.join(wanted)})")
    return plan


def import_accounts(settings: Settings, plan: AccountPlan, by: str = "import",
                    rules: RuleSet | None = None) -> list[dict[str, Any]]:
    """Store every planned row; one result a row: created, updated, unchanged or rejected."""
    rules = rules or default_ruleset()
    engine = open_engine(settings.db_url)
    results: list[dict[str, Any]] = []
    for line in plan.rows:
        result: dict[str, Any] = {"sheet": line.sheet, "row": line.row, "account_id": line.account_id}
        try:
            result.update(status=import_account(engine, line.account_id, line.values, by=by, rules=rules), error=None)
        except InputError as exc:  # checked before; only a change since (e.g. the account deleted) lands here
            result.update(status="rejected", error=f"{exc.field}: {exc.message}")
        results.append(result)
    return results
