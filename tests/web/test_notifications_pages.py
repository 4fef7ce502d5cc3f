"""`/notifications`: each person's 站内信 newest first, the bell's unread count on every page, mark read
with the session's CSRF token, and nobody sees or changes another person's messages."""
from __future__ import annotations

import datetime as dt
import re

from jinnang.core.db import open_engine
from jinnang.rules.accounts import upsert_account
from jinnang.rules.models import AccountSnapshot
from jinnang.service.alerts import check_and_queue, unread_count

NOW = dt.datetime(2026, 1, 10, 9, 0)


def _stall(web, account_id: str, hospital: str, at: dt.datetime) -> None:
    upsert_account(open_engine(web.settings.db_url), AccountSnapshot.model_validate({
        "account_id": account_id, "hospital": hospital, "rep_id": "rep-07", "journey_node": "demo_scheduled",
        "node_entered_at": "2026-01-01T09:00:00", "last_updated_at": "2026-01-01T09:00:00"}))
    check_and_queue(web.settings, at)


def _bell(html: str) -> int:
    found = re.search(r'data-testid="unread-count">(\d+)<', html)
    return int(found.group(1)) if found else 0


def test_signed_out_the_page_sends_to_sign_in(web):
    answer = web.anonymous().get("/notifications", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=/notifications")


def test_the_manager_sees_the_stall_alerts_newest_first_with_the_bell(web):
    _stall(web, "acc-1", "杭州市第一人民医院", NOW)
    _stall(web, "acc-2", "宁波市医疗中心", NOW + dt.timedelta(hours=2))
    manager = web.client("demo-manager")
    page = manager.get("/notifications")
    assert page.status_code == 200 and 'data-testid="bell"' in page.text and _bell(page.text) == 2
    items = re.findall(r'data-testid="notification" data-id="(\d+)"', page.text)
    titles = re.findall(r"<strong>.*?(停滞提醒：[^<]+)</strong>", page.text, flags=re.S)
    assert len(items) == 2 and titles == ["停滞提醒：宁波市医疗中心", "停滞提醒：杭州市第一人民医院"]
    assert 'href="/accounts/acc-2"' in page.text and "超出 144 小时" in page.text
    assert "**" not in page.text and "](http" not in page.text  # the robots' markdown is not shown raw
    english = manager.get("/notifications?lang=en")
    assert "Mark read" in english.text and "Stall alert" in english.text


def test_mark_read_needs_the_csrf_token_and_clears_the_bell(web):
    _stall(web, "acc-1", "杭州市第一人民医院", NOW)
    rep = web.client("demo-rep")
    [message_id] = re.findall(r'data-testid="notification" data-id="(\d+)"', rep.get("/notifications").text)
    refused = rep.post(f"/notifications/{message_id}/read", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert unread_count(open_engine(web.settings.db_url), "demo-rep") == 1
    done = rep.post(f"/notifications/{message_id}/read", data={"csrf": rep.csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/notifications"
    page = rep.get("/notifications")
    assert _bell(page.text) == 0 and 'data-read="true"' in page.text
    assert rep.get("/notifications?unread=true").text.count('data-testid="notification"') == 0


def test_a_script_gets_the_new_unread_count_and_read_all_clears_everything(web):
    _stall(web, "acc-1", "杭州市第一人民医院", NOW)
    _stall(web, "acc-2", "宁波市医疗中心", NOW)
    manager = web.client("demo-manager")
    ids = re.findall(r'data-testid="notification" data-id="(\d+)"', manager.get("/notifications").text)
    answer = manager.post(f"/notifications/{ids[0]}/read", headers={"X-CSRF-Token": manager.csrf,
                                                                   "accept": "application/json"})
    assert answer.status_code == 200 and answer.json() == {"unread": 1}
    manager.post("/notifications/read-all", data={"csrf": manager.csrf})
    assert unread_count(open_engine(web.settings.db_url), "demo-manager") == 0


def test_another_team_sees_none_of_it_and_cannot_mark_it_read(web):
    _stall(web, "acc-1", "杭州市第一人民医院", NOW)
    manager_ids = re.findall(r'data-testid="notification" data-id="(\d+)"',
                             web.client("demo-manager").get("/notifications").text)
    west = web.client("west-manager")
    page = west.get("/notifications")
    assert page.status_code == 200 and "杭州市第一人民医院" not in page.text and 'data-testid="notifications-empty"' in page.text
    assert _bell(page.text) == 0
    west.post(f"/notifications/{manager_ids[0]}/read", data={"csrf": west.csrf})
    west.post("/notifications/read-all", data={"csrf": west.csrf})
    assert unread_count(open_engine(web.settings.db_url), "demo-manager") == 1
    # the rep's colleague on the same team is not told about rep-07's account either
    assert "杭州市第一人民医院" not in web.client("demo-rep2").get("/notifications").text
