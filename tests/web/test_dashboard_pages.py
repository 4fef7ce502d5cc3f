"""The 看板 page over the ingested demo: its four markers, the charts' data, drill-down links that
open the accounts behind a bar, the filters, and that nobody outside the team sees any of it."""
from __future__ import annotations

import json
import re

import lxml.html

MARKERS = ("chart-nodes", "chart-quality", "overdue-top5", "phi")


def page(client, url: str):
    answer = client.get(url)
    assert answer.status_code == 200, answer.text[:500]
    return answer, lxml.html.fromstring(answer.text)


def by_testid(node, name: str, below: str = "") -> list:
    """Elements `[data-testid=name]` (then the XPath `below` inside them)."""
    return node.xpath(f'.//*[@data-testid="{name}"]{below}')


def embedded(doc) -> dict:
    return json.loads(doc.get_element_by_id("dashboard-data").text_content())


def test_manager_sees_the_four_parts_drawn_with_the_local_echarts(demo_web):
    answer, doc = page(demo_web.client("demo-manager"), "/dashboard?window=all")
    for marker in MARKERS:
        assert by_testid(doc, marker), marker
    scripts = doc.xpath("//script/@src")
    assert "/static/vendor/echarts.min.js" in scripts and "/static/dashboard.js" in scripts
    # nothing is asked of another origin
    assert not re.search(r'(src|href)="(https?:)?//', answer.text)
    board = embedded(doc)
    assert sum(n["in_time"] + n["overdue"] for n in board["nodes"]) == board["accounts"] > 0
    assert {q["rep"] for q in board["quality"]} <= {"rep-07", "rep-08"}
    assert all(q["high"] + q["low"] > 0 for q in board["quality"])        # the demo's notes are visits


def test_the_page_reads_without_javascript_tables_and_phi_in_html(demo_web):
    _, doc = page(demo_web.client("demo-manager"), "/dashboard")
    board = embedded(doc)
    rows = by_testid(doc, "overdue-top5", "//tbody/tr")
    assert len(rows) == len(board["top5"]) <= 5
    for row, top in zip(rows, board["top5"], strict=True):
        cells = [c.text_content().strip() for c in row.xpath("./td")]
        assert cells[0] == top["customer"] and cells[1] == top["node_label"] and cells[3] == str(top["hours_over"])
        assert row.xpath(".//a")[0].get("href") == f"/accounts/{top['account_id']}"
    hours = [t["hours_over"] for t in board["top5"]]
    assert hours == sorted(hours, reverse=True)
    trend = by_testid(doc, "phi", "//td[@data-month]")
    assert len(trend) == 6
    for cell, month in zip(trend, board["phi"]["trend"], strict=True):
        shown = cell.text_content().strip()
        assert shown == ("无数据" if month["value"] is None else str(month["value"]))


def test_every_bar_drills_down_to_its_accounts(demo_web):
    manager = demo_web.client("demo-manager")
    _, doc = page(manager, "/dashboard?window=all")
    links = by_testid(doc, "chart-nodes", "//a")
    assert links, "a node with accounts has a link"
    board = embedded(doc)
    for link in links:
        node = re.search(r"node=([^&]+)", link.get("href")).group(1)
        state = re.search(r"state=([^&]+)", link.get("href")).group(1)
        _, listing = page(manager, link.get("href"))
        accounts = by_testid(listing, "drill-account")
        expected = next(n[state] for n in board["nodes"] if n["id"] == node)
        assert len(accounts) == int(link.text_content()) == expected
        for row in accounts:
            target = row.xpath(".//a")[0].get("href")
            assert target == f"/accounts/{row.get('data-account')}"
            assert manager.get(target).status_code == 200
    ring_links = by_testid(doc, "chart-quality", "//a")
    assert ring_links and all("quality=" in a.get("href") and "rep=" in a.get("href") for a in ring_links)


def test_filters_offer_what_the_accounts_have_and_narrow_the_data(demo_web):
    manager = demo_web.client("demo-manager")
    _, doc = page(manager, "/dashboard")
    reps = [v for v in doc.xpath('//select[@name="rep"]/option/@value') if v]
    assert reps and set(reps) <= {"rep-07", "rep-08"}          # the team's reps, not another team's
    whole = manager.get("/dashboard/data?window=all").json()
    one = manager.get(f"/dashboard/data?window=all&rep={reps[0]}").json()
    assert 0 < one["accounts"] <= whole["accounts"]
    assert {q["rep"] for q in one["quality"]} <= {reps[0]}
    assert manager.get("/dashboard/data?province=nowhere").json()["accounts"] == 0


def test_another_team_and_reps_see_nothing_of_it(demo_web):
    east = demo_web.client("demo-manager")
    west = demo_web.client("west-manager")
    east_accounts = {e.get("data-account") for e in by_testid(page(east, "/dashboard/accounts?window=all")[1], "drill-account")}
    west_accounts = {e.get("data-account") for e in by_testid(page(west, "/dashboard/accounts?window=all")[1], "drill-account")}
    assert east_accounts and not east_accounts & west_accounts
    board = west.get("/dashboard/data?window=all").json()
    assert {q["rep"] for q in board["quality"]}.isdisjoint({"rep-07", "rep-08"})
    assert not any(a in west.get("/dashboard?window=all").text for a in east_accounts)
    assert by_testid(page(west, "/dashboard/accounts?rep=rep-07")[1], "drill-account") == []
    for rep in ("demo-rep", "west-rep"):
        client = demo_web.client(rep)
        for url in ("/dashboard", "/dashboard/data", "/dashboard/accounts?node=first_contact"):
            assert client.get(url).status_code == 403, (rep, url)
    assert demo_web.anonymous().get("/dashboard", follow_redirects=False).status_code == 303
    assert demo_web.client("demo-admin").get("/dashboard/data?window=all").json()["accounts"] >= 2
