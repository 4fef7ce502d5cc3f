"""Shared fixtures: an isolated data dir per test and the shared dev set's location."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jinnang.core.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_DEV = ROOT.parent / "shared" / "data" / "dev"


TEST_KEYS = "rep7:rep:rep-07,rep8:rep:rep-08,mgr2:manager:mgr-02:rep-07,crm1:crm:crm,adm:admin:root"
# JINNANG_TEST_BACKEND=postgresql runs every test that uses `settings` on a fresh PostgreSQL database
# (scripts/test.sh does, for the storage, queue and API tests); the default is the embedded SQLite
ON_POSTGRES = os.environ.get("JINNANG_TEST_BACKEND") == "postgresql"


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    url = request.getfixturevalue("postgres_url") if ON_POSTGRES else None
    return Settings(data_dir=tmp_path / "data", database_url=url, api_keys=TEST_KEYS)


@pytest.fixture
def shared_dev() -> Path:
    if not SHARED_DEV.is_dir():
        pytest.skip("shared/data/dev is not beside this checkout")
    return SHARED_DEV


os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (tests_support_servers.py says where the server comes from)."""
    from tests_support_servers import fresh_postgres_database

    yield from fresh_postgres_database()


@pytest.fixture
def pg_settings(tmp_path: Path, postgres_url: str) -> Settings:
    """`settings` on PostgreSQL: the same keys and data dir (blobs, embedded Chroma), the tables on the server."""
    return Settings(data_dir=tmp_path / "data", database_url=postgres_url, api_keys=TEST_KEYS)


@pytest.fixture
def few_shipped_sets(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`jinnang learn` and its job read three of the shipped training sets (dev, tune, tune5: 140 notes) with a
    cache of their own: the refit, its guard, the rollback and the curve run as with every set, in seconds
    rather than a minute each (the whole of them grows with every retired set)."""
    from jinnang.nlp import learning

    monkeypatch.setattr(learning, "TRAINING_SETS", {n: learning.TRAINING_SETS[n] for n in ("dev", "tune", "tune5")})
    monkeypatch.setenv("JINNANG_LEARNING_CACHE", str(tmp_path_factory.getbasetemp() / "learning-cache"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
    learning._shipped.clear()
