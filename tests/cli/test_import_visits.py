"""`jinnang import visits FILE --map …` as a manager runs it on a CRM export saved by Chinese Windows (GBK)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jinnang.cli import import_cmds  # noqa: F401  (registers the command)
from jinnang.cli.app import app

MAP = "customer=客户名称,date=拜访日期,note=拜访内容+下一步计划,rep=业务员"
ROWS = ["客户名称,拜访日期,拜访内容,下一步计划,业务员",
        "金华市人民医院,2026/3/2,见到了骨科陈主任，他说我们的钢板比进口的还贵。,下周三再去设备科,rep-07",
        "宁波市第二医院,2026年3月5日,电话回访，主任出差。,,rep-08"]


def _csv(tmp_path: Path, rows: list[str], name: str = "拜访记录.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gbk"))
    return path


def _run(*args: str):
    return CliRunner().invoke(app, ["import", "visits", *args])


def _run_status() -> dict:
    from jinnang.cli import ingest_cmds  # noqa: F401  (registers `status`)

    return json.loads(CliRunner().invoke(app, ["status", "--json"]).stdout)


def test_a_gbk_export_imports_every_row_and_a_second_run_adds_nothing(tmp_path, data_dir):
    file = _csv(tmp_path, ROWS)
    done = _run(str(file), "--map", MAP, "--json")
    assert done.exit_code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["status"], summary["rows"], summary["imported"], summary["errors"]) == ("imported", 2, 2, [])
    assert [(d["sheet"], d["row"]) for d in summary["documents"]] == [("拜访记录", 2), ("拜访记录", 3)]
    assert _run_status()["extraction_records"] == 2

    again = json.loads(_run(str(file), "--map", MAP, "--json").stdout)
    assert (again["imported"], again["duplicates"]) == (0, 2)
    assert _run_status()["documents"] == {"done": 2}


def test_a_bad_row_refuses_the_whole_import_naming_sheet_row_and_column(tmp_path, data_dir):
    file = _csv(tmp_path, [*ROWS, "华山医院,下周二,见了主任,,rep-07"])
    checked = _run(str(file), "--map", MAP, "--dry-run", "--json")
    assert checked.exit_code == 1 and json.loads(checked.stdout)["errors"][0]["row"] == 4
    done = _run(str(file), "--map", MAP, "--json")
    assert done.exit_code == 1
    assert '拜访记录!R4 拜访日期: "下周二" is not a date' in done.stderr and "nothing was imported" in done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "refused" and summary["imported"] == 0
    assert summary["errors"] == [{"sheet": "拜访记录", "row": 4, "column": "拜访日期",
                                  "message": '"下周二" is not a date (write 2026-03-02, 2026/3/2 or 2026年3月2日)'}]
    assert _run_status()["documents"] == {}

    partial = _run(str(file), "--map", MAP, "--skip-bad-rows", "--json")
    assert partial.exit_code == 1 and json.loads(partial.stdout)["imported"] == 2
    assert _run_status()["documents"] == {"done": 2}


def test_a_saved_mapping_is_reused_by_name_and_a_dry_run_stores_nothing(tmp_path, data_dir):
    file = _csv(tmp_path, ROWS)
    checked = _run(str(file), "--map", MAP, "--save-map", "crm", "--dry-run", "--json")
    assert checked.exit_code == 0, checked.stderr
    assert json.loads(checked.stdout)["status"] == "checked" and _run_status()["documents"] == {}
    assert (data_dir / "mappings" / "crm.yaml").is_file()
    done = _run(str(file), "--map-name", "crm")
    assert done.exit_code == 0, done.stderr
    assert "imported: 2" in done.stdout


@pytest.mark.parametrize("args, says", [
    (["{missing}", "--map", MAP], "no such file"),
    (["{file}"], "--map"),
    (["{file}", "--map", "date=拜访日期"], "needs note"),
    (["{file}", "--map", "date=拜访日期,note=跟进内容"], "跟进内容"),
    (["{file}", "--map-name", "nosuch"], "no saved mapping"),
    (["{broken}", "--map", MAP], "file"),
])
def test_a_command_that_cannot_run_is_one_error_line_and_exit_2(args, says, tmp_path, data_dir):
    paths = {"file": _csv(tmp_path, ROWS), "missing": tmp_path / "none.csv", "broken": tmp_path / "broken.xlsx"}
    paths["broken"].write_bytes(b"PK\x03\x04 not really a workbook")
    done = _run(*[a.format(**{k: str(v) for k, v in paths.items()}) for a in args])
    assert done.exit_code == 2, done.stderr
    assert done.stdout == "" and says in done.stderr and "Traceback" not in done.stderr
    assert not (data_dir / "blobs").exists()


def test_the_installed_entry_point_has_the_import_command(tmp_path):
    done = subprocess.run([sys.executable, "-c", "from jinnang.cli import main; main()", "import", "visits",
                           "--help"], capture_output=True, text=True, timeout=120,
                          env={"JINNANG_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "--map" in done.stdout and "acc-" in done.stdout
