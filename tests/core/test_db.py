"""The schema comes from the migrations, is checked once a process and engine, and an old data dir is upgraded."""
import importlib
import runpy
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect

from jinnang.core.db import Base, ensure_schema, forget_checked_schema, open_engine
from jinnang.core.migrate import current_revision, head_revision
from jinnang.ingest.store import ingest_engine

ROOT = Path(__file__).resolve().parents[2]
TABLE_MODULES = runpy.run_path(str(ROOT / "scripts" / "new_migration.py"))["TABLE_MODULES"]


def _statements(engine):
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def _all_tables():
    for name in TABLE_MODULES:
        importlib.import_module(name)
    return Base.metadata


def test_every_module_with_tables_is_listed_for_autogenerate():
    declared = {m.__module__ for m in Base.registry.mappers for m in [m.class_]}
    _all_tables()
    declared |= {m.class_.__module__ for m in Base.registry.mappers}
    assert declared <= set(TABLE_MODULES)


def test_a_second_check_sends_no_sql(settings):
    engine = ingest_engine(settings)
    seen = _statements(engine)
    ensure_schema(engine)
    ingest_engine(settings)
    assert seen == []


def test_a_new_database_is_at_the_newest_migration_and_matches_the_tables_in_code(settings):
    engine = open_engine(settings.db_url)
    assert current_revision(engine) == head_revision() is not None
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), _all_tables()) == []


def test_the_same_on_postgresql(postgres_url):
    engine = open_engine(postgres_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), _all_tables())
    assert diff == []


def test_a_data_dir_made_before_migrations_keeps_its_rows_and_gains_new_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:  # the 0.1 documents table, before `encoding` and `meta` were added
        old.execute("CREATE TABLE documents (id VARCHAR(40) PRIMARY KEY, sha256 VARCHAR(64) NOT NULL UNIQUE, "
                    "filename VARCHAR(255) NOT NULL, media_type VARCHAR(64) NOT NULL, source_kind VARCHAR(16) "
                    "NOT NULL, kind VARCHAR(32) NOT NULL, size_bytes INTEGER NOT NULL, blob_path VARCHAR(512) "
                    "NOT NULL, status VARCHAR(16) NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)")
        old.execute("INSERT INTO documents VALUES ('doc-1', 'ab', 'a.txt', 'text/plain', 'text', 'visit_note', 3, "
                    "'/x', 'done', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    engine = open_engine(path)
    columns = {c["name"] for c in inspect(engine).get_columns("documents")}
    assert {"encoding", "meta", "account_id"} <= columns
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT id, status FROM documents").all() == [("doc-1", "done")]
    assert current_revision(engine) == head_revision()


def test_a_schema_dropped_behind_the_engines_back_is_made_again_once_forgotten(tmp_path):
    engine = open_engine(tmp_path / "j.sqlite3")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit_log")
        conn.exec_driver_sql("DELETE FROM alembic_version")
    ensure_schema(engine)
    assert not inspect(engine).has_table("audit_log")  # checked already in this process: nothing sent
    forget_checked_schema(engine)
    ensure_schema(engine)
    assert inspect(engine).has_table("audit_log")


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite:x.db"])
def test_an_unknown_database_url_is_refused_naming_the_setting(tmp_path, url):
    from pydantic import ValidationError

    from jinnang.core.settings import Settings

    with pytest.raises(ValidationError, match="database_url"):
        Settings(data_dir=tmp_path, database_url=url)
