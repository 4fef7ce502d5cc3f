"""The account list import as a service: one mapping mechanism with the visit import, rows checked first,
node labels understood, and the list's values winning over uploads (real SQLite, real CSV reading)."""
from __future__ import annotations

import pytest

from jinnang.core.db import open_engine
from jinnang.core.errors import InputError
from jinnang.ingest.spreadsheets import read_table
from jinnang.rules.accounts.store import fill_profile, load_account
from jinnang.service.account_import import import_accounts, parse_account_mapping, plan_accounts

CSV = ("医院名称,医院性质,代表,阶段,经理\n"
       "嘉兴市第一医院,公立三甲,rep-08,院采委会议排期中,mgr-07\n"
       "温州市中西医结合医院,公立三乙,rep-08,,\n").encode("gbk")
MAP = "hospital=医院名称,hospital_type=医院性质,rep_id=代表,node=阶段,manager=经理"


def test_mapping_errors_name_map():
    for text in ("hospital", "hospital=A,hospital=B", "colour=颜色", "rep_id=代表", "hospital=A+B"):
        with pytest.raises(InputError) as err:
            parse_account_mapping(text)
        assert err.value.field == "map"


def test_rows_without_an_id_get_the_visit_imports_account_and_labels_become_nodes(settings):
    plan = plan_accounts(settings, read_table(CSV, "list.csv"), parse_account_mapping(MAP), "list.csv")
    assert plan.errors == []
    results = import_accounts(settings, plan)
    assert [r["status"] for r in results] == ["created", "created"]
    engine = open_engine(settings.db_url)
    first = load_account(engine, results[0]["account_id"])
    assert results[0]["account_id"].startswith("acc-") and first.journey_node == "committee_scheduled"
    assert (first.manager_id, first.field_sources["manager_id"], first.is_public) == ("mgr-07", "import", True)
    # an upload after the import cannot change what the list said
    assert fill_profile(engine, first.account_id, {"hospital": "嘉兴一院", "city": "嘉兴"}, "document:d1") == {
        "city": "嘉兴"}
    again = plan_accounts(settings, read_table(CSV, "list.csv"), parse_account_mapping(MAP), "list.csv")
    assert [r["status"] for r in import_accounts(settings, again)] == ["unchanged", "unchanged"]
