"""One SQLite (WAL) database under the data dir, shared by every package.

Each package declares its own tables on `Base` and creates them with
`ensure_tables(engine, [...])` on first use, so no package reaches into another's
schema.
"""
from __future__ import annotations

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
    engine = create_engine(f"sqlite:///{sqlite_path}", connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:  # WAL keeps readers going while a job writes
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    Base.metadata.create_all(engine)
    add_missing_columns(engine, list(Base.metadata.tables.values()))
    return engine


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
    Base.metadata.create_all(engine, tables=tables)
    add_missing_columns(engine, tables)


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
