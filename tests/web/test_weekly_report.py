"""The one-click weekly report (周报): an HTML page and a Chinese PDF from the same template, whose facts
(read back with pypdf) match the database; the rep, their manager and the admin may open it, no one else."""
from __future__ import annotations

import datetime as dt
import io
import re

from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jinnang.core.db import open_engine
from jinnang.nlp.store import ExtractionRow
from jinnang.rules.accounts.tables import ObjectionRow
from jinnang.service.visits import file_visit

WEEK = "2026-W11"  # 2026-03-09 … 2026-03-15


def _seed(web) -> None:
    for day, text in ((10, "见了关节外科吴主任，带了样品。吴主任说价格比进口的还贵。"),
                      (12, "设备科郑科长问能不能对接HIS，这个我答不上来，回去跟研发确认后答复。")):
        file_visit(web.settings, rep_id="rep-07", account_id="acc-r-01", hospital="金华市人民医院", text=text,
                   visit_date=dt.date(2026, 3, day))
    file_visit(web.settings, rep_id="rep-08", account_id="acc-r-02", hospital="宁波市第二医院",
               text="见了心内科陈主任，他担心售后服务跟不上。", visit_date=dt.date(2026, 3, 11))


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_reps_weekly_pdf_says_what_the_database_says(web):
    _seed(web)
    rep = web.client("demo-rep")
    page = rep.get(f"/reports/weekly?week={WEEK}")
    assert page.status_code == 200
    assert 'data-testid="weekly-report"' in page.text and f'data-week="{WEEK}"' in page.text
    assert page.text.count('data-testid="wr-visit"') == 2 and "宁波市第二医院" not in page.text
    assert f"/reports/weekly.pdf?rep=rep-07&week={WEEK}" in page.text

    answer = rep.get(f"/reports/weekly.pdf?rep=rep-07&week={WEEK}")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = _pdf_text(answer.content)
    with Session(open_engine(web.settings.db_url)) as session:
        visits = session.scalar(select(func.count()).select_from(ExtractionRow).where(
            ExtractionRow.rep_id == "rep-07", ExtractionRow.reference_date.between(dt.date(2026, 3, 9),
                                                                                   dt.date(2026, 3, 15))))
        objections = session.scalar(select(func.count()).select_from(ObjectionRow).where(
            ObjectionRow.account_id == "acc-r-01", ObjectionRow.status == "open"))
    assert "周报" in text and "2026-W11" in text and "张伟" in text
    assert "金华市人民医院" in text and "宁波市第二医院" not in text
    # the summary table's row: visits, average quality, moved, overdue, open objections
    summary = re.search(r"张伟 \(rep-07\)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)", text)
    assert summary, text[:400]
    assert summary.group(1) == str(visits) == "2"
    assert summary.group(5) == str(objections)
    assert "答不上来" in text  # the unanswered question


def test_who_may_open_a_weekly_report(web):
    _seed(web)
    assert web.client("demo-rep2").get(f"/reports/weekly?rep=rep-07&week={WEEK}").status_code == 403
    assert web.client("west-manager").get(f"/reports/weekly.pdf?rep=rep-07&week={WEEK}").status_code == 403
    assert web.client("west-rep").get(f"/reports/weekly?rep=rep-07&week={WEEK}").status_code == 403
    assert web.client("demo-rep").get(f"/reports/weekly?team=1&week={WEEK}").status_code == 403
    assert web.client("demo-admin").get(f"/reports/weekly?rep=rep-07&week={WEEK}").status_code == 200
    team = web.client("demo-manager").get(f"/reports/weekly?team=1&week={WEEK}")
    assert team.status_code == 200
    assert "金华市人民医院" in team.text and "宁波市第二医院" in team.text
    assert team.text.count('data-testid="wr-visit"') == 3
    west_team = web.client("west-manager").get(f"/reports/weekly?week={WEEK}")
    assert west_team.status_code == 200 and "金华市人民医院" not in west_team.text
    bad = web.client("demo-rep").get("/reports/weekly?week=2026-W99", headers={"accept": "application/json"})
    assert bad.status_code == 422 and bad.json()["field"] == "week"
    signed_out = web.anonymous().get("/reports/weekly.pdf", follow_redirects=False)
    assert signed_out.status_code == 303
