"""One person, one contact: the names one person goes by in different notes merge into one contact."""
import datetime as dt

import pytest
from sqlalchemy import create_engine

from jinnang.core.records import DecisionMaker, Evidence, ExtractionRecord
from jinnang.rules.accounts import apply_extraction, load_account
from jinnang.rules.accounts.contacts import deduplicate, parse_name, same_person
from jinnang.rules.models import Contact


@pytest.fixture
def engine(tmp_path):
    return create_engine(f"sqlite:///{tmp_path / 'accounts.db'}")


def C(name, **kw) -> Contact:
    return Contact(name=name, **kw)


def test_names_are_read_as_surname_and_given_name():
    assert (parse_name("王建国").surnames, parse_name("王建国").given) == ({"王"}, "建国")
    assert parse_name("欧阳明").surnames == {"欧阳"} and parse_name("老王").surnames == {"王"}
    assert parse_name("Dr. Wang").surnames == {"王", "汪"} and parse_name("Dr. Wang").given is None
    assert parse_name("Jianguo Wang").given == "jianguo" and parse_name("Linda").surnames == frozenset()


def test_wang_zhuren_wang_jianguo_and_dr_wang_of_one_department_are_one_contact():
    merged = deduplicate([C("王", title="主任", department="骨科"), C("王建国", title="主任", department="骨科"),
                          C("Wang", title="主任", department="Orthopedics")])
    assert [(c.name, c.title, c.department) for c in merged] == [("王建国", "主任", "骨科")]


def test_wu_and_wu_guodong_merge_and_the_full_name_is_kept():
    merged = deduplicate([C("吴", title="主任", department="关节外科"), C("吴国栋", department="关节外科")])
    assert [c.name for c in merged] == ["吴国栋"] and merged[0].title == "主任"


def test_different_people_stay_apart():
    assert not same_person(C("王建国", title="主任", department="骨科"), C("王建华", title="主任", department="骨科"))
    assert not same_person(C("王", title="主任", department="骨科"), C("王", title="科长", department="设备科"))
    assert not same_person(C("王", title="主任", organization="一院"), C("王", title="主任", organization="二院"))
    assert not same_person(C("张", title="主任", department="骨科"), C("Wang", title="主任", department="骨科"))


def test_a_pinyin_name_fitting_two_contacts_merges_with_neither():
    contacts = deduplicate([C("王", title="主任", department="骨科"), C("汪", title="主任", department="骨科"),
                            C("Dr. Wang", title="主任", department="骨科")])
    assert [c.name for c in contacts] == ["王", "汪", "Dr. Wang"]


def test_an_english_note_names_the_same_people_as_the_chinese_one(engine):
    """The demo's Ningbo notes: 冯工 of 信息科 is Director Feng of the IT department; 孙护士长 is Nurse manager Sun."""
    at = dt.datetime(2026, 3, 26, 12)
    chinese = ExtractionRecord(decision_makers=[
        DecisionMaker(name="孙", title="护士长", department="手术室", organization="宁波市第二医院", role="clinical_user",
                      evidence=[Evidence(text="孙护士长", start=23, end=27, document_id="doc-3")]),
        DecisionMaker(name="冯", title="工程师", department="信息科", organization="宁波市第二医院", role="it")])
    english = ExtractionRecord(decision_makers=[
        DecisionMaker(name="Feng", title="主任", department="IT department", role="it"),
        DecisionMaker(name="Sun", title="护士长", role="clinical_user",
                      evidence=[Evidence(text="Sun", start=220, end=223, document_id="doc-4")])])
    apply_extraction(engine, "acc-nb", chinese, document_id="doc-3", by="rep-08", at=at)
    applied = apply_extraction(engine, "acc-nb", english, document_id="doc-4", by="rep-08", at=at + dt.timedelta(days=6))
    assert applied.contacts_added == [] and sorted(applied.contacts_updated) == ["冯", "孙"]
    contacts = load_account(engine, "acc-nb").contacts
    assert [(c.name, c.department, c.title) for c in contacts] == [("孙", "手术室", "护士长"), ("冯", "信息科", "主任")]
    assert [e.document_id for e in contacts[0].evidence] == ["doc-3", "doc-4"]


def test_an_organization_standing_in_for_the_department_does_not_overwrite_a_known_one(engine):
    """The demo's Jinhua notes: 吴主任 of 关节外科, then 吴主任 with only the hospital named."""
    first = ExtractionRecord(decision_makers=[DecisionMaker(name="吴", title="主任", department="关节外科",
                                                            organization="金华市人民医院", role="clinical_lead")])
    later = ExtractionRecord(decision_makers=[DecisionMaker(name="吴", title="主任", organization="金华市人民医院",
                                                            role="clinical_lead")])
    apply_extraction(engine, "acc-jh", first, document_id="doc-1", by="rep-07", at=dt.datetime(2026, 3, 2, 12))
    apply_extraction(engine, "acc-jh", later, document_id="doc-2", by="rep-07", at=dt.datetime(2026, 3, 13, 12))
    contacts = load_account(engine, "acc-jh").contacts
    assert [(c.name, c.department) for c in contacts] == [("吴", "关节外科")]
