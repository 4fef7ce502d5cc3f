"""The playbook keeps itself built: after ingest it is mined again when won or lost deals or talk
tracks changed — never for an open deal's note, and on a new deal only that deal's text is mined."""
from __future__ import annotations

from pathlib import Path

import pytest

from jinnang.coaching.playbook import get_scenario, list_scenarios
from jinnang.coaching.search import search_hits
from jinnang.core.settings import Settings
from jinnang.service.pipeline import ingest_bytes, playbook_hook
from jinnang.service.playbook_refresh import mark_stale, playbook_refresh_hook, refresh_if_stale

HOOKS = (playbook_hook, playbook_refresh_hook)
WON = ("设备科郑科长嫌价格比进口的贵。我们提出用量承诺换2%的让价，并给他看了同规格进口产品的中选价对比，"
       "郑科长同意进评审。")
LOST = "主任嫌价格贵，最后选了进口。复盘：下次应该一开始就算总账，不要只谈单价。"
OPEN = "今天拜访了检验科，主任说下周再谈试剂的事。"


@pytest.fixture
def fresh(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def _ingest(settings: Settings, text: str, **meta: object) -> None:
    registration, job = ingest_bytes(settings, text.encode(), "note.txt", hooks=HOOKS, kind="visit_note",
                                     rep_id="rep-07", meta=dict(meta))
    assert job is not None and job.status == "done", job and job.error


def test_a_fresh_install_has_the_built_in_advice_searchable_and_as_scenarios(fresh):
    first = refresh_if_stale(fresh)
    assert first["rebuilt"] and first["scenarios"] >= 8  # one per objection category of the rule file
    assert refresh_if_stale(fresh)["rebuilt"] is False
    hits = search_hits(fresh, "竞品已经进院了怎么应对", k=3)
    assert hits[0].doc_id == "builtin-default-competitor" and "不贬低对手" in hits[0].text
    competitor = [s for s in list_scenarios(fresh) if s["category"] == "competitor"]
    assert competitor and competitor[0]["slug"] == "competitor-any-zonghe"
    assert "尚未经过成单验证" in get_scenario(fresh, "competitor-any-zonghe")["summary"]


def test_a_won_deal_rebuilds_at_once_mining_only_its_own_text_and_an_open_note_changes_nothing(fresh):
    refresh_if_stale(fresh)
    _ingest(fresh, WON, outcome="won", department="设备科", journey_node="multi_dept_review")
    after_won = list_scenarios(fresh, category="price")
    assert any(s["won_deals"] == 1 for s in after_won), after_won  # built by the hook, nobody asked
    assert refresh_if_stale(fresh)["rebuilt"] is False

    _ingest(fresh, OPEN, outcome="open", department="检验科")
    assert refresh_if_stale(fresh)["rebuilt"] is False  # an open deal has nothing to mine

    mark_stale(fresh)
    again = refresh_if_stale(fresh)
    assert again["rebuilt"] and again["mined_texts"] == 0  # every text's NLP came from the cache

    _ingest(fresh, LOST, outcome="lost", department="设备科", journey_node="multi_dept_review")
    scenario = next(s for s in list_scenarios(fresh, category="price") if s["won_deals"] == 1)
    assert scenario["lost_deals"] == 1


def test_a_store_filled_without_the_hook_is_rebuilt_on_the_next_refresh(fresh):
    from jinnang.coaching import index_documents

    refresh_if_stale(fresh)
    index_documents(fresh, [{"id": "n-won", "kind": "visit_note", "text": WON,
                             "meta": {"outcome": "won", "department": "设备科", "rep": "rep-07"}}])
    result = refresh_if_stale(fresh)
    assert result["rebuilt"] and 0 < result["mined_texts"] <= 4  # the new note and its sentences only
    assert any(s["won_deals"] == 1 for s in list_scenarios(fresh))
