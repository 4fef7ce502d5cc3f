"""`jinnang import accounts FILE --map …` on the CRM's account list saved as a real Excel workbook."""
from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook
from typer.testing import CliRunner

from jinnang.cli import import_cmds  # noqa: F401  (registers the command)
from jinnang.cli.app import app
from jinnang.core.db import open_engine
from jinnang.core.settings import get_settings
from jinnang.core.users import add_user
from jinnang.rules.accounts.store import load_account

MAP = ("account_id=客户编号,hospital=医院名称,province=省份,city=城市,hospital_type=医院性质,rep_id=负责代表,"
       "product_line=产品线,department=科室,node=阶段")
HEADER = ["客户编号", "医院名称", "省份", "城市", "医院性质", "负责代表", "产品线", "科室", "阶段"]
ROWS = [["acc-x1", "衢州市人民医院", "浙江", "衢州", "公立三甲", "rep-07", "orthopaedic_implants", "骨科", "已预约设备科演示"],
        ["acc-x2", "杭州和睦骨科医院", "浙江", "杭州", "民营专科", "rep-08", "orthopaedic_implants", "脊柱外科", "first_contact"]]


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "客户清单"
    sheet.append(["CRM 客户导出 2026-12-01"])  # a title row above the header, as CRM exports have
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _run(*args: str):
    return CliRunner().invoke(app, ["import", "accounts", *args])


def test_an_excel_account_list_is_imported_once_and_a_second_run_changes_nothing(tmp_path, data_dir):
    engine = open_engine(get_settings().db_url)
    add_user(engine, "r7", role="rep", rep_id="rep-07", password=None, teams=["east"])
    add_user(engine, "m2", role="manager", rep_id="mgr-02", password=None, teams=["east"])
    file = _xlsx(tmp_path / "客户清单.xlsx", ROWS)
    done = _run(str(file), "--map", MAP, "--json")
    assert done.exit_code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["status"], summary["rows"], summary["created"], summary["errors"]) == ("imported", 2, 2, [])
    assert [(a["sheet"], a["row"]) for a in summary["accounts"]] == [("客户清单", 3), ("客户清单", 4)]
    public = load_account(engine, "acc-x1")
    assert (public.hospital, public.city, public.is_public, public.hospital_tier, public.journey_node,
            public.manager_id) == ("衢州市人民医院", "衢州", True, "三甲", "demo_scheduled", "mgr-02")
    assert load_account(engine, "acc-x2").is_public is False

    again = _run(str(file), "--map", MAP)
    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == ("客户清单.xlsx: imported: 2 rows — created 0, updated 0, unchanged 2, rejected 0, "
                                    "errors 0")


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_imported(tmp_path, data_dir):
    file = _xlsx(tmp_path / "list.xlsx", [*ROWS, ["acc-x3", "丽水市中心医院", "浙江", "丽水", "公立", "", "", "", "谈判"],
                                          ["acc-x1", "衢州市人民医院", "浙江", "衢州", "公立", "rep-07", "", "", ""]])
    done = _run(str(file), "--map", MAP)
    assert done.exit_code == 1
    assert "error: list.xlsx: 客户清单!R5 阶段: \"谈判\" is not a journey node" in done.stderr
    assert "error: list.xlsx: 客户清单!R5 负责代表: a new account needs its rep" in done.stderr
    assert "error: list.xlsx: 客户清单!R6 客户编号: account acc-x1 is already on 客户清单!R3" in done.stderr
    assert "nothing was imported" in done.stderr and "refused" in done.stdout
    skipped = json.loads(_run(str(file), "--map", MAP, "--skip-bad-rows", "--json").stdout)
    assert (skipped["status"], skipped["created"], len(skipped["errors"])) == ("partial", 2, 3)


def test_a_mapping_naming_a_missing_column_cannot_run(tmp_path, data_dir):
    file = _xlsx(tmp_path / "list.xlsx", ROWS)
    done = _run(str(file), "--map", "account_id=客户编号,hospital=医院")
    assert done.exit_code == 2 and "no column '医院'" in done.stderr
    assert _run(str(file), "--map", "rep_id=负责代表").exit_code == 2  # neither account_id nor hospital


def test_a_saved_mapping_is_used_again_by_name(tmp_path, data_dir):
    file = _xlsx(tmp_path / "list.xlsx", ROWS)
    assert _run(str(file), "--map", MAP, "--save-map", "crm-accounts", "--dry-run").exit_code == 0
    done = _run(str(file), "--map-name", "crm-accounts", "--json")
    assert done.exit_code == 0 and json.loads(done.stdout)["created"] == 2
