"""The one database every package shares: SQLite (WAL) in the data dir by default, PostgreSQL by URL.

Each package declares its tables on `Base`; the schema itself is made and changed only by the
Alembic migrations in `core/migrations/`, applied once per process when an engine is opened
(`jinnang db upgrade` applies them ahead of a deployment). `ensure_schema(engine)` is what a
module that was handed an engine calls before its first query.
"""
from __future__ import annotations

import threading
import weakref
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.sql.dml import Insert


class Base(DeclarativeBase):
    pass


def _sqlite_url(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def open_engine(url: str | Path) -> Engine:
    """One engine per database, its schema migrated: `open_engine(settings.db_url)`; a Path is a SQLite file."""
    return _open(_sqlite_url(url) if isinstance(url, Path) else url)


@lru_cache(maxsize=8)
def _open(url: str) -> Engine:
    if url.startswith("sqlite"):
        _sqlite_url(Path(url.removeprefix("sqlite:///")))
        # a logged SQL error must not carry note text: hide_parameters on both
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # WAL keeps readers going while a job writes
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    else:
        # sessions are short (one request, one job stage); the pool covers the web's threads and a
        # job's stages, pre-ping drops connections a server restart closed
        engine = create_engine(url, pool_size=10, max_overflow=20, pool_timeout=30, pool_pre_ping=True,
                               hide_parameters=True)
    ensure_schema(engine)
    return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests dropping a database; a worker after fork)."""
    for engine in list(_migrated.keys()):
        engine.dispose()
    _open.cache_clear()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def insert_ignoring_duplicates(engine: Engine, table: Table, unique: list[str]) -> Insert:
    """INSERT … ON CONFLICT (unique) DO NOTHING in the engine's dialect: the first writer of a key wins."""
    dialect = postgresql if is_postgres(engine) else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=unique)


# Engines whose schema was brought to the newest migration in this process: checking costs a query
# and every engine call used to repeat it (issue 12: ~8 % of ingest).
_migrated: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()
_migrated_lock = threading.Lock()


def ensure_schema(engine: Engine) -> None:
    """Apply the migrations the database lacks, once per process and engine."""
    with _migrated_lock:
        if _migrated.get(engine):
            return
        from jinnang.core.migrate import upgrade

        upgrade(engine)
        _migrated[engine] = True


def forget_checked_schema(engine: Engine) -> None:
    """Check the schema again at the next `ensure_schema` (after tables were dropped behind the engine's back)."""
    with _migrated_lock:
        _migrated.pop(engine, None)


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
