"""An account's profile (hospital, province, type → is_public, manager) from the CRM, its account list and
uploads, with who said it: an upload never overwrites what the CRM set (real SQLite)."""
from __future__ import annotations

import datetime as dt

import pytest

from jinnang.core.db import open_engine
from jinnang.core.errors import InputError
from jinnang.core.users import add_user
from jinnang.rules import accounts as store
from jinnang.rules.accounts.store import fill_profile, import_account, profile_values, public_from_type
from jinnang.rules.models import AccountSnapshot

AT = dt.datetime(2026, 11, 2, 10)


@pytest.fixture
def engine(settings):
    engine = open_engine(settings.db_url)
    add_user(engine, "r7", role="rep", rep_id="rep-07", password=None, teams=["east"])
    add_user(engine, "r8", role="rep", rep_id="rep-08", password=None, teams=["north"])
    add_user(engine, "m2", role="manager", rep_id="mgr-02", password=None, teams=["east"])
    add_user(engine, "m5", role="manager", rep_id="mgr-05", password=None, teams=["north"])
    return engine


def _snapshot(**fields) -> AccountSnapshot:
    return AccountSnapshot.model_validate({"account_id": "acc-p1", "rep_id": "rep-07", "journey_node": "first_contact",
                                           "node_entered_at": "2026-11-01T09:00:00",
                                           "last_updated_at": "2026-11-01T09:00:00", **fields})


@pytest.mark.parametrize("kind,public", [("公立三甲", True), ("公立", True), ("民营专科", False), ("私立", False),
                                         ("Public", True), ("专科", None), (None, None)])
def test_hospital_type_says_whether_the_hospital_is_public(kind, public):
    assert public_from_type(kind) is public


def test_profile_values_derive_public_and_tier_unless_given():
    assert profile_values({"hospital_type": "公立三级甲等", "city": " 金华 ", "province": ""}) == {
        "hospital_type": "公立三级甲等", "city": "金华", "is_public": True, "hospital_tier": "三甲"}
    assert profile_values({"hospital_type": "公立", "is_public": False})["is_public"] is False


def test_a_new_account_gets_its_reps_manager_and_a_new_rep_brings_theirs(engine):
    stored = store.upsert_account(engine, _snapshot())
    assert stored.manager_id == "mgr-02"
    moved = store.upsert_account(engine, _snapshot(rep_id="rep-08"))
    assert moved.manager_id == "mgr-05"
    named = store.upsert_account(engine, _snapshot(rep_id="rep-08", manager_id="mgr-99"))
    assert named.manager_id == "mgr-99" and named.field_sources["manager_id"] == "crm"


def test_an_upload_fills_blanks_but_never_overwrites_the_crm(engine):
    store.upsert_account(engine, _snapshot(hospital="金华市人民医院", province="浙江"))
    filled = fill_profile(engine, "acc-p1", {"hospital": "金华人民医院", "province": "江苏", "city": "金华",
                                             "hospital_type": "公立三甲"}, source="document:doc-1")
    assert filled == {"city": "金华", "hospital_type": "公立三甲", "is_public": True, "hospital_tier": "三甲"}
    account = store.load_account(engine, "acc-p1")
    assert (account.hospital, account.province, account.city, account.is_public) == ("金华市人民医院", "浙江", "金华", True)
    assert account.field_sources["hospital"] == "crm" and account.field_sources["city"] == "document:doc-1"
    # a later upload does not overwrite an earlier one either, and an unknown account is left alone
    assert fill_profile(engine, "acc-p1", {"city": "义乌"}, source="document:doc-2") == {}
    assert fill_profile(engine, "acc-none", {"city": "义乌"}, source="document:doc-2") == {}


def test_a_put_without_profile_fields_keeps_the_stored_ones(engine):
    store.upsert_account(engine, _snapshot(hospital="金华市人民医院", hospital_type="公立三甲", province="浙江"))
    again = store.upsert_account(engine, _snapshot(journey_node="demo_scheduled"))
    assert (again.hospital, again.hospital_type, again.is_public, again.hospital_tier) == ("金华市人民医院", "公立三甲",
                                                                                          True, "三甲")
    private = store.upsert_account(engine, _snapshot(hospital_type="民营专科"))
    assert private.is_public is False and private.hospital_tier == "民营专科"


def test_the_account_list_creates_updates_and_then_changes_nothing(engine):
    row = {"hospital": "衢州市人民医院", "province": "浙江", "city": "衢州", "hospital_type": "公立三甲",
           "rep_id": "rep-07", "product_line": "orthopaedic_implants", "node": "demo_scheduled"}
    assert import_account(engine, "acc-p2", row, by="import:list.xlsx", at=AT) == "created"
    account = store.load_account(engine, "acc-p2")
    assert (account.journey_node, account.manager_id, account.is_public) == ("demo_scheduled", "mgr-02", True)
    assert import_account(engine, "acc-p2", row, by="import:list.xlsx", at=AT) == "unchanged"
    assert import_account(engine, "acc-p2", {**row, "rep_id": "rep-08", "node": "admission_filing"},
                          by="import:list.xlsx", at=AT) == "updated"
    account = store.load_account(engine, "acc-p2")
    assert (account.rep_id, account.manager_id, account.journey_node) == ("rep-08", "mgr-05", "admission_filing")
    history = store.transitions(engine, "acc-p2")
    assert [(t["to_node"], t["source"]) for t in history] == [("demo_scheduled", "import"), ("admission_filing", "import")]
    # the list's values win over an upload's afterwards too
    assert fill_profile(engine, "acc-p2", {"hospital": "衢州人民医院"}, source="document:doc-3") == {}


def test_the_account_list_refuses_a_new_account_without_rep_or_an_unknown_node(engine):
    with pytest.raises(InputError) as err:
        import_account(engine, "acc-p3", {"hospital": "x"}, by="import")
    assert err.value.field == "rep_id"
    with pytest.raises(InputError) as err:
        import_account(engine, "acc-p3", {"rep_id": "rep-07", "node": "negotiation"}, by="import")
    assert err.value.field == "node"


def test_an_account_stored_before_its_team_existed_still_knows_its_manager(settings):
    engine = open_engine(settings.db_url)
    store.upsert_account(engine, _snapshot())
    assert store.load_account(engine, "acc-p1").manager_id is None
    add_user(engine, "r7", role="rep", rep_id="rep-07", password=None, teams=["east"])
    add_user(engine, "m2", role="manager", rep_id="mgr-02", password=None, teams=["east"])
    assert store.load_account(engine, "acc-p1").manager_id == "mgr-02"
