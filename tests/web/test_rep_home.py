"""The rep home: next actions, overdue accounts and coming key dates of the rep's own accounts only,
with the new-visit and weekly-report buttons; other roles and other teams see none of it."""
from __future__ import annotations

import datetime as dt

from jinnang.service.visits import file_visit

NOTE = "见了关节外科吴主任，他说价格比进口的还贵。约了{day}下午再来。"


def test_the_rep_home_shows_the_reps_own_day(web):
    soon = dt.date.today() + dt.timedelta(days=5)
    file_visit(web.settings, rep_id="rep-07", account_id="acc-h-01", hospital="金华市人民医院",
               text=NOTE.format(day=f"{soon.month}月{soon.day}日"), visit_date=dt.date.today())
    file_visit(web.settings, rep_id="rep-08", account_id="acc-h-02", hospital="宁波市第二医院",
               text="见了心内科陈主任，他嫌价格高。", visit_date=dt.date.today())
    page = web.client("demo-rep").get("/")
    assert page.status_code == 200
    for marker in ("new-visit-button", "weekly-button", "rep-actions", "rep-stalls", "rep-key-dates"):
        assert f'data-testid="{marker}"' in page.text
    assert 'href="/visits/new"' in page.text and "/reports/weekly?week=" in page.text
    assert 'data-action="handle_objection" data-account="acc-h-01"' in page.text
    assert f'data-date="{soon.isoformat()}"' in page.text
    assert "金华市人民医院" in page.text and "宁波市第二医院" not in page.text


def test_others_do_not_get_the_rep_home(web):
    file_visit(web.settings, rep_id="rep-07", account_id="acc-h-01", hospital="金华市人民医院",
               text="见了关节外科吴主任，他说价格太高。", visit_date=dt.date.today())
    assert "金华市人民医院" not in web.client("west-rep").get("/").text
    manager = web.client("demo-manager").get("/", follow_redirects=False)
    assert manager.status_code == 303 and manager.headers["location"] == "/dashboard"
    signed_out = web.anonymous().get("/", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")
