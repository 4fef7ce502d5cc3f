"""Fixtures for the pages: a data dir with the demo's users (and one user of another team), and
clients signed in through the real sign-in form.

    def test_x(web):                      # the app over a fresh data dir with the users
        rep = web.client("demo-rep")      # a TestClient with the session cookie; rep.csrf for writes
        rep.get("/")

`demo_web` is the same over a copy of a data dir into which the bundled demo documents were
ingested once per test session (about 10 s), so pages have accounts, records and a playbook.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jinnang.core.db import open_engine
from jinnang.core.settings import Settings
from jinnang.core.users import add_user
from jinnang.service.demo import demo_password, ensure_demo_users
from jinnang.web.app import create_app

OTHER_TEAM_PASSWORD = "other-team-pass"


def add_other_team(settings: Settings) -> None:
    """A rep and a manager of another team: they must never see the demo team's data."""
    engine = open_engine(settings.db_url)
    add_user(engine, "west-rep", role="rep", rep_id="rep-21", password=OTHER_TEAM_PASSWORD, teams=["west"])
    add_user(engine, "west-manager", role="manager", rep_id="mgr-09", password=OTHER_TEAM_PASSWORD, teams=["west"])


def sign_in(client: TestClient, username: str, password: str) -> TestClient:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token, form.text
    answer = client.post("/login", data={"username": username, "password": password, "csrf": token.group(1)},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = client.get("/", headers={"accept": "text/html"})
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    client.csrf = csrf.group(1) if csrf else ""  # type: ignore[attr-defined]
    client.headers["accept"] = "text/html"
    return client


@dataclass
class Web:
    settings: Settings

    def __post_init__(self) -> None:
        self.app = create_app(self.settings)

    def anonymous(self) -> TestClient:
        return TestClient(self.app, headers={"accept": "text/html"})

    def client(self, username: str) -> TestClient:
        password = OTHER_TEAM_PASSWORD if username.startswith("west-") else demo_password()
        return sign_in(TestClient(self.app), username, password)


def _prepared(data_dir: Path) -> Settings:
    settings = Settings(data_dir=data_dir, api_keys="crm1:crm:crm")
    ensure_demo_users(settings)
    add_other_team(settings)
    return settings


@pytest.fixture
def web(tmp_path: Path) -> Web:
    return Web(_prepared(tmp_path / "data"))


@pytest.fixture
def workers_web(tmp_path: Path) -> Web:
    """The same, as a web process that leaves the jobs to `jinnang worker` processes."""
    return Web(_prepared(tmp_path / "data").model_copy(update={"job_runner": "workers"}))


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from jinnang.cli.ingest_cmds import ingest_paths
    from jinnang.core.paths import DEMO_DOCUMENTS

    data_dir = tmp_path_factory.mktemp("demo") / "data"
    settings = _prepared(data_dir)
    rows = ingest_paths(settings, [DEMO_DOCUMENTS], {"kind": "visit_note"})  # as `jinnang demo` does
    assert all(r["status"] in ("done", "duplicate", "no_text") for r in rows), rows
    return data_dir


@pytest.fixture
def demo_web(demo_data_dir: Path, tmp_path: Path) -> Web:
    copy = tmp_path / "data"
    shutil.copytree(demo_data_dir, copy)
    return Web(Settings(data_dir=copy, api_keys="crm1:crm:crm"))
