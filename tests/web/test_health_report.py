"""The monthly 《过程短板诊断报告》: below the line it names the weakest component in Chinese, the reps
and nodes where it arises and the accounts behind it; a month with no data says so; the PDF is
the same report; a manager sees their team only."""
from __future__ import annotations

import datetime as dt

import lxml.html
import pytest

from jinnang.core.db import open_engine
from jinnang.rules.accounts import upsert_account
from jinnang.rules.models import AccountSnapshot


def by_testid(node, name: str, below: str = "") -> list:
    return node.xpath(f'.//*[@data-testid="{name}"]{below}')


def store(web, account_id: str, rep: str, visits: list[dict]) -> None:
    entered = dt.datetime(2026, 3, 1, 9)
    upsert_account(open_engine(web.settings.db_url), AccountSnapshot.model_validate({
        "account_id": account_id, "rep_id": rep, "journey_node": "demo_scheduled", "hospital": f"{account_id} 医院",
        "node_entered_at": entered.isoformat(), "last_updated_at": entered.isoformat(), "visits": visits}))


@pytest.fixture
def team(web):
    poor = {"date": "2026-03-05", "questions_resolved": 0}
    good = {"date": "2026-03-06", "questions_resolved": 2, "sample_brought": True}
    store(web, "acc-h1", "rep-07", [poor, {**poor, "date": "2026-03-09"}])
    store(web, "acc-h2", "rep-08", [good])
    store(web, "acc-w1", "rep-21", [good, good])          # another team: never in the demo team's report
    return web


def test_below_the_line_it_names_the_weakest_component_in_chinese_with_reps_nodes_and_accounts(team):
    answer = team.client("demo-manager").get("/reports/process-health?month=2026-03")
    assert answer.status_code == 200
    doc = lxml.html.fromstring(answer.text)
    value = float(by_testid(doc, "phi-value")[0].get("data-value"))
    # 1 of 3 visits of high quality (33 %), both first touches met (100 %): (33.3 × .3 + 100 × .2) / .5
    assert value == pytest.approx(60.0)
    diagnosis = by_testid(doc, "phi-diagnosis")[0].text_content()
    assert "最弱的一项是「高质量拜访占比」" in diagnosis and "high_quality_visit_share" not in doc.text_content()
    reps = [r.get("data-rep") for r in by_testid(doc, "phi-by-rep", "//tr[@data-rep]")]
    assert reps == ["rep-07", "rep-08"]                       # weakest first: 0 of 2, then 1 of 1
    assert [r.get("data-node") for r in by_testid(doc, "phi-by-node", "//tr[@data-node]")] == ["demo_scheduled"]
    behind = [r.get("data-account") for r in by_testid(doc, "phi-accounts", "//tr[@data-account]")]
    assert behind == ["acc-h1"]
    assert "acc-w1" not in answer.text
    missing = by_testid(doc, "phi-missing")[0].text_content()
    assert "停滞客户解决率" in missing and "跨部门工单按时关闭率" in missing


def test_a_month_without_data_says_no_data_never_100(team):
    answer = team.client("demo-manager").get("/reports/process-health?month=2025-11")
    assert answer.status_code == 200
    doc = lxml.html.fromstring(answer.text)
    shown = by_testid(doc, "phi-value")[0]
    assert shown.get("data-value") == "" and shown.text_content().strip() == "无数据"
    assert "100" not in by_testid(doc, "phi-report")[0].text_content()
    assert by_testid(doc, "phi-diagnosis") == []


def test_the_pdf_is_the_same_report(team):
    import io

    import pypdf

    answer = team.client("demo-manager").get("/reports/process-health.pdf?month=2026-03")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(answer.content)).pages)
    assert "过程短板诊断报告" in text and "高质量拜访占比" in text and "60.0" in text


def test_who_may_see_it_and_bad_months(team):
    west = team.client("west-manager").get("/reports/process-health?month=2026-03")
    assert west.status_code == 200 and "acc-h1" not in west.text and "acc-h2" not in west.text
    for rep in ("demo-rep", "west-rep"):
        assert team.client(rep).get("/reports/process-health?month=2026-03").status_code == 403
        assert team.client(rep).get("/reports/process-health.pdf?month=2026-03").status_code == 403
    manager = team.client("demo-manager")
    for bad in ("2026-13", "March", "9999-12"):
        answer = manager.get(f"/reports/process-health?month={bad}")
        assert answer.status_code == 422 and by_testid(lxml.html.fromstring(answer.text), "phi-error")
    assert manager.get("/reports/process-health.pdf?month=2026-13").status_code == 422
    # the admin's index counts every team: 3 of 5 visits high quality, all three first touches met
    admin = lxml.html.fromstring(team.client("demo-admin").get("/reports/process-health?month=2026-03").text)
    assert float(by_testid(admin, "phi-value")[0].get("data-value")) == pytest.approx((60 * .3 + 100 * .2) / .5)
    assert by_testid(admin, "phi-diagnosis") == []                  # 76: above the line
