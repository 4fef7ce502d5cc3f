"""Who sees what in playbook search: a raw visit note in full only to those who may see its rep's
accounts; everyone else gets the hit anonymised; talk tracks are company knowledge for every rep;
callers who see everything (and the CLI, which passes no viewer) get exactly the plain results."""
from __future__ import annotations

import pytest

from jinnang.coaching import index_documents
from jinnang.coaching.search import mask_identifiers, search
from jinnang.core.access import Viewer
from jinnang.core.settings import Settings

NOTE = ("南京鼓楼医院骨科王主任说我们的报价比进口的还贵，账户acc-nj-0042，王主任手机13912345678。"
        "我们提出用量承诺换让价，章文斌科长同意下周三上会。")
DOCS = [
    {"id": "n-07", "kind": "visit_note", "text": NOTE,
     "meta": {"rep": "rep-07", "hospital": "南京鼓楼医院", "account_id": "acc-nj-0042", "source": "visit.txt",
              "outcome": "won", "department": "骨科", "customer_phone": "13912345678"}},
    {"id": "tt-08", "kind": "talk_track", "text": "客户嫌报价贵：别只比单价，算整台手术的总费用，再给有交换条件的让价。",
     "meta": {"rep": "rep-08", "hospital": "苏州市立医院", "account_id": "acc-sz-0001", "objection_category": "price"}},
]
QUERY = "报价比进口贵怎么办"
REP7 = Viewer(role="rep", subject="rep-07")
REP8 = Viewer(role="rep", subject="rep-08")
MANAGER_OF_7 = Viewer(role="manager", subject="mgr-02", team=frozenset({"rep-07"}))
MANAGER_OF_OTHERS = Viewer(role="manager", subject="mgr-03", team=frozenset({"rep-08"}))
ADMIN = Viewer(role="admin", subject="root")
IDENTIFIERS = ("南京鼓楼医院", "王主任", "章文斌", "acc-nj-0042", "13912345678", "rep-07", "visit.txt")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("visibility"))
    index_documents(settings, DOCS)
    return settings


def _hit(settings: Settings, doc_id: str, viewer: Viewer | None) -> dict:
    return next(h for h in search(settings, QUERY, k=5, viewer=viewer) if h["doc_id"] == doc_id)


@pytest.mark.parametrize("viewer", [REP7, MANAGER_OF_7, ADMIN], ids=["own rep", "their manager", "admin"])
def test_a_note_is_shown_in_full_to_its_rep_their_manager_and_admin(settings, viewer):
    assert _hit(settings, "n-07", viewer) == _hit(settings, "n-07", None)


@pytest.mark.parametrize("viewer", [REP8, MANAGER_OF_OTHERS], ids=["other rep", "other team's manager"])
def test_another_teams_note_is_found_but_anonymised(settings, viewer):
    full, seen = _hit(settings, "n-07", None), _hit(settings, "n-07", viewer)
    assert seen["score"] == full["score"]  # the same hit, in the same place
    shown = repr(seen)
    assert [i for i in IDENTIFIERS if i in shown] == []
    assert seen["meta"] == {"outcome": "won", "department": "骨科"}  # only the labels search filters on
    assert "某主任" in seen["snippet"] and "报价" in seen["snippet"]
    assert all(seen["snippet"][s:e] for s, e in seen["highlights"])  # spans point into the masked snippet


def test_talk_tracks_are_company_knowledge_without_whose_they_are(settings):
    full, seen = _hit(settings, "tt-08", None), _hit(settings, "tt-08", REP7)
    assert seen["snippet"] == full["snippet"] and seen["text"] == full["text"]
    assert seen["meta"] == {"objection_category": "price"}


def test_everyone_gets_the_same_hits_in_the_same_order(settings):
    plain = [(h["doc_id"], h["score"]) for h in search(settings, QUERY, k=5)]
    for viewer in (REP7, REP8, MANAGER_OF_OTHERS, ADMIN):
        assert [(h["doc_id"], h["score"]) for h in search(settings, QUERY, k=5, viewer=viewer)] == plain


def test_masking_keeps_the_substance_and_drops_who_and_where():
    masked = mask_identifiers("南京鼓楼医院骨科王主任说住院号20260312的病人恢复好，电话139-1234-5678。")
    assert "南京鼓楼医院" not in masked and "王主任" not in masked
    assert "20260312" not in masked and "1234" not in masked
    assert "恢复好" in masked
