"""The playbook mined from won and lost deals: scenarios, ranked tips citing sources, export, talk tracks."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from jinnang.coaching import talk_tracks_for
from jinnang.coaching.playbook import build_playbook, export_scenario, get_scenario, list_scenarios, mine
from jinnang.core.errors import InputError, NotFound


@pytest.fixture(scope="module")
def built(indexed):
    build_playbook(indexed)
    return indexed


def test_every_tip_cites_indexed_source_documents(built, small_docs):
    known = {d["id"] for d in small_docs}
    scenarios = list_scenarios(built)
    assert scenarios
    for s in scenarios:
        for tip in get_scenario(built, s["id"])["tips"]:
            assert tip["sources"] and set(tip["sources"]) <= known


def test_won_answer_is_a_tip_and_customer_complaint_is_not(small_docs):
    _, candidates = mine(small_docs)
    texts = [c.text for c in candidates if c.kind == "answer"]
    assert any(t.startswith("我们提出用量承诺换2%的让价") for t in texts)
    assert not any(t.startswith("主任嫌我们的报价太贵") for t in texts)


def test_lost_deal_lesson_is_kept_and_open_deals_are_not_mined(small_docs):
    _, candidates = mine(small_docs)
    assert any(c.kind == "lesson" and c.source == "t-price-lost" for c in candidates)
    assert not any(c.source in {"t-budget-open", "t-it-open"} for c in candidates)


def test_scenario_is_department_node_and_objection(built):
    ids = {s["id"] for s in list_scenarios(built)}
    assert "骨科|multi_dept_review|price" in ids
    # 医学工程处 is filed under the canonical 设备科
    assert any(i.startswith("设备科|admission_filing|") for i in ids)


def test_tips_are_ranked_by_lift(built):
    tips = get_scenario(built, "骨科|multi_dept_review|price")["tips"]
    lifts = [t["lift"] for t in tips]
    assert lifts == sorted(lifts, reverse=True)


def test_markdown_and_html_export_cite_sources_in_chinese(built):
    md = export_scenario(built, "骨科|multi_dept_review|price", "markdown")
    assert md.startswith("# 锦囊 · 骨科 · 多科室评审 · 价格") and "来源：" in md and "t-price-won" in md
    assert "从 1 个赢单、1 个丢单中提炼" in md
    assert "Mined from" not in md and "lift" not in md
    page = export_scenario(built, "骨科|multi_dept_review|price", "html")
    assert "<code>t-price-won</code>" in page


def test_scenarios_have_url_safe_slugs_that_open_them(built):
    for s in list_scenarios(built):
        assert s["slug"] == quote(s["slug"], safe="") and s["slug"].isascii()
        assert get_scenario(built, s["slug"])["id"] == s["id"] == get_scenario(built, s["id"])["id"]
    assert get_scenario(built, "price-multi-dept-review-guke")["id"] == "骨科|multi_dept_review|price"


def test_a_scenario_without_won_deals_says_so_instead_of_zero_statistics(built):
    plain = [s for s in list_scenarios(built) if s["won_deals"] == 0 and s["lost_deals"] == 0]
    assert plain, "the talk tracks of the small corpus make scenarios of their own"
    for s in plain:
        assert s["summary"].startswith("这个场景还没有成交或丢单记录")
        md = export_scenario(built, s["slug"])
        assert "0 个赢单" not in md and "尚未经过成单验证" in md


def test_a_rebuild_mines_only_texts_it_has_not_seen(built, small_docs):
    again = build_playbook(built)
    assert again["mined_texts"] == 0 and again["tips"] > 0
    assert build_playbook(built, fresh=True)["mined_texts"] > 0


def test_unknown_scenario_is_not_found(built):
    with pytest.raises(NotFound) as err:
        get_scenario(built, "nowhere|x|y")
    assert err.value.field == "scenario"


def test_talk_tracks_for_returns_playbook_evidence(built):
    evidence = talk_tracks_for("price", built)
    assert evidence[0] == {"source": "playbook", "id": "t-price-track", "snippet": evidence[0]["snippet"]}
    assert "总费用" in evidence[0]["snippet"]
    assert talk_tracks_for("integration", built) == []
    with pytest.raises(InputError):
        talk_tracks_for("weather", built)




def test_tips_mined_from_notes_carry_no_customer_or_person_names(indexed, small_docs):
    # a tip is read by every rep of the company: the hospital and the doctor stay in the note
    note = {"id": "t-named-won", "kind": "visit_note", "meta": {"outcome": "won", "department": "骨科",
                                                              "journey_node": "multi_dept_review"},
            "text": "无锡市人民医院骨科陈建国主任嫌我们的报价太贵。我们提出用量承诺换2%的让价，陈主任同意进评审。"}
    from jinnang.coaching import index_documents

    index_documents(indexed, [note])
    build_playbook(indexed)
    tips = [tip["text"] for s in list_scenarios(indexed) for tip in get_scenario(indexed, s["id"])["tips"]
            if "t-named-won" in tip["sources"]]
    assert tips, "the named note gave no tip"
    assert not any("无锡" in t or "陈建国" in t or "陈主任" in t for t in tips), tips
