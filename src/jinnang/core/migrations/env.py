"""Alembic's environment: the connection comes from `core/migrate.py` (never from an ini file)."""
from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    # set only by scripts/new_migration.py, which imports every package's tables to compare against
    target_metadata=context.config.attributes.get("target_metadata"),
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite changes a column by copying its table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
