"""One SQLite (WAL) database under the data dir, shared by every package.

Each package declares its own tables on `Base` and creates them with
`ensure_tables(engine, [...])` on first use, so no package reaches into another's
schema.
"""
from __future__ import annotations

import threading
import weakref
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, Table, create_engine, event, inspect
from sqlalchemy.orm import DeclarativeBase, sessionmaker


class Base(DeclarativeBase):
    pass


@lru_cache(maxsize=8)
def open_engine(sqlite_path: Path) -> Engine:
    """One engine per database file. `open_engine(settings.sqlite_path)`."""
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{sqlite_path}", connect_args={"timeout": 30, "check_same_thread": False},
                           hide_parameters=True)  # a logged SQL error must not carry note text

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:  # WAL keeps readers going while a job writes
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    ensure_tables(engine, list(Base.metadata.tables.values()))
    return engine


# Tables whose schema was checked (created, columns added) on an engine in this process: reflecting
# the schema costs several queries, and every engine call used to repeat it (issue 12: ~8 % of ingest).
_checked: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()
_checked_lock = threading.Lock()


def add_missing_columns(engine: Engine, tables: list[Table]) -> None:
    """Give a data dir made by an older version the nullable columns added since (SQLite's
    ADD COLUMN): a new optional field must not make an existing store unreadable."""
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in tables:
            if not inspector.has_table(table.name):
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have and column.nullable and column.server_default is None:
                    conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" '
                                         f"{column.type.compile(engine.dialect)}")


def ensure_tables(engine: Engine, tables: list[Table]) -> None:
    """Create `tables` and add their missing columns, once per process and engine; a later call for
    tables already checked on that engine costs a set lookup."""
    with _checked_lock:
        done = _checked.setdefault(engine, set())
        todo = [t for t in tables if t.name not in done]
        if not todo:
            return
        Base.metadata.create_all(engine, tables=todo)
        add_missing_columns(engine, todo)
        done.update(t.name for t in todo)


def forget_checked_tables(engine: Engine) -> None:
    """Check the schema again on the next `ensure_tables` (after tables were dropped behind the engine's back)."""
    with _checked_lock:
        _checked.pop(engine, None)


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
