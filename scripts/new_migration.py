"""Write a new Alembic migration from the difference between the tables in code and the newest migration.

    .venv/bin/python scripts/new_migration.py "add the visits' duration"

Read the file it writes before committing it: autogenerate misses renames and server defaults.
"""
from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from jinnang.core.db import Base
from jinnang.core.migrate import alembic_config, upgrade

# every module that declares tables on Base (tests/core/test_migrations.py checks the list is whole)
TABLE_MODULES = (
    "jinnang.core.users", "jinnang.core.sessions", "jinnang.ingest.store", "jinnang.ingest.audit",
    "jinnang.nlp.store", "jinnang.rules.accounts.tables", "jinnang.rules.accounts.corrections",
    "jinnang.coaching.playbook", "jinnang.service.scheduler", "jinnang.service.alerts.outbox",
)


def main(message: str) -> None:
    for name in TABLE_MODULES:
        importlib.import_module(name)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'head.sqlite3'}")
        upgrade(engine)
        with engine.connect() as conn:
            config = alembic_config(conn)
            config.attributes["target_metadata"] = Base.metadata
            command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "schema change")
