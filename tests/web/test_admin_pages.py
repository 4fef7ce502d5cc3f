"""`/admin` (admins only): users, teams, the CRM's API keys (shown once, stored hashed, revocable), the
scheduled jobs with their last run and "run now", and the configuration files' state."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.core.db import open_engine
from jinnang.core.users import ApiKeyRow, check_password, get_user, list_teams
from jinnang.rules.accounts import upsert_account
from jinnang.rules.models import AccountSnapshot
from jinnang.service.alerts import unread_count


def _sign_in(web, username: str, password: str) -> int:
    browser = TestClient(web.app)
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text).group(1)
    return browser.post("/login", data={"username": username, "password": password, "csrf": token},
                        follow_redirects=False).status_code


@pytest.mark.parametrize("username", ["demo-rep", "demo-manager", "west-manager"])
def test_only_admins_reach_the_page_and_its_forms(web, username):
    other = web.client(username)
    assert other.get("/admin").status_code == 403
    refused = other.post("/admin/users", data={"csrf": other.csrf, "username": "intruder", "role": "admin",
                                               "password": "long-enough-1"})
    assert refused.status_code == 403 and get_user(open_engine(web.settings.db_url), "intruder") is None
    assert other.post("/admin/jobs/stall_check/run", data={"csrf": other.csrf}).status_code == 403
    assert web.anonymous().get("/admin", follow_redirects=False).status_code == 303


def test_the_page_shows_users_teams_keys_jobs_and_configuration(web):
    page = web.client("demo-admin").get("/admin")
    assert page.status_code == 200
    for marker in ("admin-users", "admin-teams", "admin-keys", "admin-jobs", "admin-config", "admin-outbox"):
        assert f'data-testid="{marker}"' in page.text, marker
    for user in ("demo-rep", "demo-manager", "west-rep"):
        assert f'data-username="{user}"' in page.text
    assert 'data-team="demo-east"' in page.text and 'data-team="west"' in page.text
    assert re.findall(r'data-job="([a-z_]+)"', page.text) == ["stall_check", "deliver", "playbook_refresh",
                                                              "monthly_phi", "learn"]
    assert "service/alerts/config/messages.yaml" in page.text and "rules/config/journey.yaml" in page.text
    assert "停滞检查与提醒" in page.text and "/static/admin.js" in page.text


def test_adding_a_user_needs_csrf_and_valid_input_and_the_user_can_sign_in(web):
    admin = web.client("demo-admin")
    form = {"username": "chen-rep", "display_name": "陈静", "role": "rep", "rep_id": "rep-09",
            "teams": "demo-east", "password": "chen-password-1"}
    assert admin.post("/admin/users", data=form).status_code == 403  # no CSRF token
    engine = open_engine(web.settings.db_url)
    assert get_user(engine, "chen-rep") is None
    bad = admin.post("/admin/users", data={**form, "rep_id": "", "csrf": admin.csrf})
    assert bad.status_code == 422 and 'data-testid="admin-error"' in bad.text and "rep_id" in bad.text
    assert 'value="chen-rep"' in bad.text  # what was typed is kept
    done = admin.post("/admin/users", data={**form, "csrf": admin.csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/admin?done=user_added")
    user = get_user(engine, "chen-rep")
    assert user is not None and user.rep_id == "rep-09" and user.teams == ("demo-east",)
    assert _sign_in(web, "chen-rep", "chen-password-1") == 303
    again = admin.post("/admin/users", data={**form, "csrf": admin.csrf})
    assert again.status_code == 409


def test_disabling_a_user_stops_their_sign_in_but_an_admin_cannot_disable_themselves(web):
    admin = web.client("demo-admin")
    engine = open_engine(web.settings.db_url)
    admin.post("/admin/users/demo-rep2/active", data={"csrf": admin.csrf, "active": "0"})
    assert get_user(engine, "demo-rep2").active is False
    assert check_password(engine, "demo-rep2", "jinnang-demo") is None
    assert 'data-username="demo-rep2" data-active="false"' in admin.get("/admin").text
    admin.post("/admin/users/demo-rep2/active", data={"csrf": admin.csrf, "active": "1"})
    assert get_user(engine, "demo-rep2").active is True
    self_disable = admin.post("/admin/users/demo-admin/active", data={"csrf": admin.csrf, "active": "0"})
    assert self_disable.status_code == 409 and get_user(engine, "demo-admin").active is True
    assert admin.post("/admin/users/nobody/active", data={"csrf": admin.csrf, "active": "0"}).status_code == 404


def test_teams_are_edited_per_user(web):
    admin = web.client("demo-admin")
    admin.post("/admin/users/demo-rep2/teams", data={"csrf": admin.csrf, "teams": "demo-east, north"})
    teams = list_teams(open_engine(web.settings.db_url))
    assert [u.username for u in teams["north"]] == ["demo-rep2"]
    assert "demo-rep2" in [u.username for u in teams["demo-east"]]
    bad = admin.post("/admin/users/demo-rep2/teams", data={"csrf": admin.csrf, "teams": "bad team!"})
    assert bad.status_code == 422


def test_an_api_key_is_shown_once_stored_hashed_works_and_can_be_revoked(web):
    admin = web.client("demo-admin")
    created = admin.post("/admin/keys", data={"csrf": admin.csrf, "name": "CRM 生产环境", "role": "crm",
                                              "subject": "crm"})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    key = re.search(r'data-testid="new-api-key">([^<]+)<', created.text).group(1)
    assert key.startswith("jn_")
    with Session(open_engine(web.settings.db_url)) as session:
        row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.name == "CRM 生产环境"))
        assert row is not None and row.key_digest != key and key not in row.key_digest
    assert key not in admin.get("/admin").text  # never shown again
    api = TestClient(web.app)
    assert api.get("/v1/accounts:stalls", headers={"X-API-Key": key}).status_code == 200
    admin.post(f"/admin/keys/{row.key_id}/revoke", data={"csrf": admin.csrf})
    assert api.get("/v1/accounts:stalls", headers={"X-API-Key": key}).status_code == 401
    assert f'data-key-id="{row.key_id}" data-revoked="true"' in admin.get("/admin").text
    bad = admin.post("/admin/keys", data={"csrf": admin.csrf, "name": " ", "role": "crm", "subject": "crm"})
    assert bad.status_code == 422 and "name" in bad.text
    assert admin.post("/admin/keys", data={"name": "x", "role": "crm", "subject": "crm"}).status_code == 403


def test_run_now_runs_the_stall_check_and_the_page_shows_its_last_run(web):
    upsert_account(open_engine(web.settings.db_url), AccountSnapshot.model_validate({
        "account_id": "acc-1", "hospital": "杭州市第一人民医院", "rep_id": "rep-07", "journey_node": "demo_scheduled",
        "node_entered_at": "2026-01-01T09:00:00", "last_updated_at": "2026-01-01T09:00:00"}))
    admin = web.client("demo-admin")
    assert admin.post("/admin/jobs/stall_check/run", data={}).status_code == 403
    started = admin.post("/admin/jobs/stall_check/run", data={"csrf": admin.csrf}, follow_redirects=False)
    assert started.status_code == 303 and "job_started" in started.headers["location"]
    page = admin.get("/admin")
    assert re.search(r'data-job="stall_check"\s+data-last-ok="true"', page.text)
    assert "queued=2" in page.text
    assert unread_count(open_engine(web.settings.db_url), "demo-manager") == 1
    assert admin.post("/admin/jobs/backup/run", data={"csrf": admin.csrf}).status_code == 404


def test_where_workers_run_the_jobs_run_now_hands_a_job_that_loads_models_to_them(workers_web):
    from jinnang.service.scheduler import run_due_jobs

    admin = workers_web.client("demo-admin")
    asked = admin.post("/admin/jobs/learn/run", data={"csrf": admin.csrf}, follow_redirects=False)
    assert asked.status_code == 303 and "job_requested" in asked.headers["location"]
    page = admin.get("/admin")
    assert re.search(r'data-job="learn"\s+data-last-ok=""', page.text) and 'data-testid="job-requested"' in page.text
    ran = [r for r in run_due_jobs(workers_web.settings) if r.name == "learn"]  # a worker's next tick
    assert [(r.trigger, r.summary) for r in ran] == [("manual", {"skipped": "no reviewed records yet"})]
    assert re.search(r'data-job="learn"\s+data-last-ok="true"', admin.get("/admin").text)
    # a job that loads no model still runs at once
    started = admin.post("/admin/jobs/stall_check/run", data={"csrf": admin.csrf}, follow_redirects=False)
    assert "job_started" in started.headers["location"]
    assert re.search(r'data-job="stall_check"\s+data-last-ok="true"', admin.get("/admin").text)
