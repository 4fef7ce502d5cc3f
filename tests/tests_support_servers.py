"""The real servers the production tests run against: PostgreSQL and a Chroma server on loopback.

`scripts/services.sh` starts them (`.ci/run` through `scripts/test.sh` does) and exports
JINNANG_TEST_DATABASE_URL (a server URL whose user may create databases) and
JINNANG_TEST_CHROMA_PORT. Without them a test that needs one is skipped on a developer's
machine and fails under CI (CI=true): CI must never pass by skipping the servers.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

from jinnang.core.settings import Settings


def _missing(what: str, variable: str) -> None:
    message = f"{what} is not running here ({variable} unset; scripts/services.sh starts it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards; yields its SQLAlchemy URL."""
    server = os.environ.get("JINNANG_TEST_DATABASE_URL")
    if not server:
        _missing("PostgreSQL", "JINNANG_TEST_DATABASE_URL")
        return
    name = f"jinnang_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        from jinnang.core.db import dispose_engines

        dispose_engines()  # a database with open connections cannot be dropped
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def chroma_server_port() -> int:
    port = os.environ.get("JINNANG_TEST_CHROMA_PORT")
    if not port:
        _missing("A Chroma server", "JINNANG_TEST_CHROMA_PORT")
    return int(port or 0)


def on_chroma_server(settings: Settings) -> Settings:
    """`settings` with its vectors on the test Chroma server, in a database of their own (tests never see
    each other's vectors, as two deployments sharing a server must not)."""
    return settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server_port(),
                                       "chroma_database": f"test_{uuid.uuid4().hex[:16]}"})


def chroma_client(settings: Settings) -> Any:
    """A client of our own, not jinnang's cached one: what any other process would see."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.HttpClient(host=settings.chroma_host or "127.0.0.1", port=settings.chroma_port,
                               database=settings.chroma_database, settings=ChromaSettings(anonymized_telemetry=False))
