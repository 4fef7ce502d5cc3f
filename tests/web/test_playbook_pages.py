"""The playbook pages over the ingested demo: search with whole-word highlights and sources, who sees
what (demo-rep vs another team's rep on the same query), the 锦囊 scenario pages in Chinese."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from urllib.parse import quote

from jinnang.coaching import index_documents
from jinnang.service.playbook_refresh import refresh_if_stale

_spec = importlib.util.spec_from_file_location(
    "coaching_corpus_small_web", Path(__file__).resolve().parents[1] / "coaching" / "corpus_small.py")
_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_corpus)
DOCS = _corpus.DOCS

HIT = re.compile(r'<article class="card hit" data-testid="search-hit".*?</article>', re.S)


def hits_of(html: str) -> list[str]:
    return HIT.findall(html)


def marks_of(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def test_search_hits_show_snippet_whole_word_highlights_and_a_source(demo_web):
    rep = demo_web.client("demo-rep")
    page = rep.get("/playbook", params={"q": "价格太高了"})
    assert page.status_code == 200
    hits = hits_of(page.text)
    assert hits, page.text
    marks = [m for h in hits for m in marks_of(h)]
    assert "价格" in marks
    assert all(len(m) >= 2 for m in marks), marks  # never a lone 科, 办 or 院
    assert all('data-testid="hit-snippet"' in h for h in hits)
    assert all('data-testid="source-link"' in h or 'data-testid="source-hidden"' in h for h in hits)


def test_the_same_query_shows_a_note_whole_to_its_rep_and_anonymised_to_another_team(demo_web):
    query = "设备科郑科长说注册证授权书要齐全"
    own = hits_of(demo_web.client("demo-rep").get("/playbook", params={"q": query}).text)
    mine = next(h for h in own if "郑科长" in h)
    assert 'data-source="open"' in mine and "/accounts/acc-demo-01" in mine and "金华市人民医院" in mine

    other = demo_web.client("west-rep").get("/playbook", params={"q": query})
    assert other.status_code == 200
    hits = hits_of(other.text)
    theirs = [h for h in hits if 'data-kind="visit_note"' in h]
    assert theirs and all('data-source="hidden"' in h and "source-link" not in h for h in theirs)
    assert any("某科长" in h for h in theirs), theirs  # the same note, its people masked
    for secret in ("郑科长", "金华", "acc-demo-01", "rep-07", "note-02"):
        assert all(secret not in h for h in hits), secret


def test_another_teams_note_page_is_403_and_signed_out_goes_to_login(demo_web):
    rep = demo_web.client("demo-rep")
    own = hits_of(rep.get("/playbook", params={"q": "吴主任 陶瓷内衬 随访数据"}).text)
    doc_ids = re.findall(r'href="/playbook/docs/([^"]+)"', " ".join(own))
    account_links = re.findall(r'href="/accounts/([^"]+)"', " ".join(own))
    assert account_links and all(a.startswith("acc-demo-") for a in account_links)
    from jinnang.coaching.store import PlaybookStore

    notes = [d.id for d in PlaybookStore(demo_web.settings).read_documents().values()
             if d.kind == "visit_note" and d.meta.get("rep") == "rep-07"]
    assert rep.get(f"/playbook/docs/{notes[0]}").status_code == 200
    assert demo_web.client("west-rep").get(f"/playbook/docs/{notes[0]}").status_code == 403
    assert demo_web.client("west-manager").get(f"/playbook/docs/{notes[0]}").status_code == 403
    assert demo_web.client("demo-manager").get(f"/playbook/docs/{notes[0]}").status_code == 200
    assert not doc_ids or rep.get(f"/playbook/docs/{doc_ids[0]}").status_code == 200
    signed_out = demo_web.anonymous().get("/playbook", params={"q": "价格"}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")


def test_the_built_in_competitor_advice_is_searchable_company_knowledge(demo_web):
    for user in ("demo-rep", "west-rep"):
        page = demo_web.client(user).get("/playbook", params={"q": "竞品已经进院了怎么应对"})
        top = hits_of(page.text)[:3]
        assert any("不贬低" in h for h in top), (user, top)
        hit = next(h for h in top if "不贬低" in h)
        assert 'data-kind="talk_track"' in hit and 'data-source="open"' in hit
        assert "<mark>竞品</mark>" in hit


def test_scenario_pages_say_plainly_when_no_won_deal_backs_them(demo_web):
    rep = demo_web.client("demo-rep")
    index = rep.get("/playbook")
    cards = re.findall(r'href="/playbook/scenarios/([^"]+)" data-testid="scenario-link">(.*?)</a>', index.text, re.S)
    assert cards, index.text  # built after ingest without anyone asking: never empty
    assert all(link == quote(link, safe="") for link, _ in cards)  # ids fit a URL as they are
    unproven = next(link for link, card in cards if "尚未经过成单验证" in card)  # e.g. the built-in advice
    page = rep.get(f"/playbook/scenarios/{unproven}")
    assert page.status_code == 200 and 'data-testid="scenario-title"' in page.text
    assert "尚未经过成单验证" in page.text and "0 个赢单" not in page.text
    for english in ("Mined from", "lift", "won deals"):
        assert english not in page.text
    assert rep.get("/playbook/scenarios/no-such-scenario").status_code == 404


def test_a_scenario_of_won_deals_shows_how_often_each_tip_worked_and_its_sources(web):
    index_documents(web.settings, DOCS)
    assert refresh_if_stale(web.settings)["rebuilt"]
    rep = web.client("demo-rep")
    legacy = rep.get("/playbook/scenarios/" + quote("骨科|multi_dept_review|price", safe=""))
    slug = rep.get("/playbook/scenarios/price-multi-dept-review-guke")
    assert legacy.status_code == slug.status_code == 200 and legacy.text.count("scenario-tip") == slug.text.count(
        "scenario-tip")
    assert "从 1 个赢单、1 个丢单中提炼" in slug.text and "赢单做法" in slug.text
    assert "同类异议的 1 个赢单中有" in slug.text
    tips = re.findall(r'<section class="card tip".*?</section>', slug.text, re.S)
    assert tips and all("出自" in t and ("source-link" in t or "source-hidden" in t) for t in tips)
    # the rep's own won note is cited by a link; another team's rep sees the same tip, its source anonymised
    assert "/playbook/docs/t-price-won" in slug.text
    theirs = web.client("west-rep").get("/playbook/scenarios/price-multi-dept-review-guke").text
    assert "/playbook/docs/t-price-won" not in theirs and "其他同事的拜访记录" in theirs


def test_filters_narrow_the_hits(web):
    index_documents(web.settings, DOCS)
    manager = web.client("demo-manager")
    page = manager.get("/playbook", params={"q": "接口", "outcome": "won", "department": "信息中心"})
    assert page.status_code == 200
    assert len(hits_of(page.text)) == 1 and 'data-testid="filter-outcome"' in page.text
