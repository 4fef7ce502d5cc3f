"""`jinnang ingest --hospital … --hospital-type …` and a folder's manifest.jsonl reach the stored account."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from jinnang.cli import ingest_cmds  # noqa: F401  (registers the command)
from jinnang.cli.app import app
from jinnang.core.db import open_engine
from jinnang.core.settings import get_settings
from jinnang.rules.accounts.store import load_account

NOTE = "台州市立医院 检验科 首次拜访\n第一次拜访检验科叶主任，她关心试剂价格。\n"


def test_options_fill_the_account_and_the_budget_rule_applies(tmp_path, data_dir):
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    done = CliRunner().invoke(app, ["ingest", str(note), "--account", "acc-c1", "--rep", "rep-07",
                                    "--hospital", "台州市立医院", "--province", "浙江", "--city", "台州",
                                    "--hospital-type", "公立三甲", "--product-line", "ivd_reagents",
                                    "--reference-date", "2026-11-03", "--json"])
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["status"] == "done"
    account = load_account(open_engine(get_settings().db_url), "acc-c1")
    assert (account.hospital, account.province, account.city, account.is_public, account.product_line) == (
        "台州市立医院", "浙江", "台州", True, "ivd_reagents")


def test_a_manifest_line_carries_the_profile_and_refuses_unknown_keys(tmp_path, data_dir):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text(NOTE, encoding="utf-8")
    line = {"file": "a.txt", "account_id": "acc-c2", "rep_id": "rep-08", "hospital": "杭州和睦骨科医院",
            "province": "浙江", "city": "杭州", "hospital_type": "民营专科", "department": "脊柱外科",
            "reference_date": "2026-09-10", "meta": {"outcome": "lost"}}
    (folder / "manifest.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["ingest", str(folder), "--json"]).exit_code == 0
    account = load_account(open_engine(get_settings().db_url), "acc-c2")
    assert (account.hospital, account.is_public, account.hospital_tier, account.department) == (
        "杭州和睦骨科医院", False, "民营专科", "脊柱外科")
    (folder / "manifest.jsonl").write_text(json.dumps({**line, "tier": "三甲"}) + "\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["ingest", str(folder)])
    assert refused.exit_code == 2 and "tier" in refused.stderr
