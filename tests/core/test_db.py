"""The schema is checked once a process and engine, yet a table or column added later still arrives."""
from sqlalchemy import Column, Integer, MetaData, String, Table, event, inspect

from jinnang.core.db import ensure_tables, forget_checked_tables, open_engine
from jinnang.ingest.store import TABLES, ingest_engine


def _statements(engine):
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_second_check_of_the_same_tables_sends_no_sql(settings):
    engine = ingest_engine(settings)
    seen = _statements(engine)
    ensure_tables(engine, TABLES)  # type: ignore[arg-type]
    ingest_engine(settings)
    assert seen == []


def test_a_table_first_asked_for_later_is_created(settings):
    engine = open_engine(settings.sqlite_path)
    late = Table("late_table_for_test", MetaData(), Column("id", Integer, primary_key=True))
    ensure_tables(engine, [late])
    assert inspect(engine).has_table("late_table_for_test")


def test_a_column_added_since_is_added_to_an_old_store_once_checked_again(settings):
    engine = open_engine(settings.sqlite_path)
    old = Table("grown", MetaData(), Column("id", Integer, primary_key=True))
    ensure_tables(engine, [old])
    grown = Table("grown", MetaData(), Column("id", Integer, primary_key=True), Column("note", String, nullable=True))
    ensure_tables(engine, [grown])  # already checked under this name in this process: nothing sent
    assert "note" not in {c["name"] for c in inspect(engine).get_columns("grown")}
    forget_checked_tables(engine)
    ensure_tables(engine, [grown])
    assert "note" in {c["name"] for c in inspect(engine).get_columns("grown")}
