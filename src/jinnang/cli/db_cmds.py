"""`jinnang db upgrade` and `jinnang db current`: the database's schema, by Alembic migration."""
from __future__ import annotations

import typer

from jinnang.cli.app import app
from jinnang.core.settings import get_settings

db_app = typer.Typer(help="The database's schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply the migrations the database (JINNANG_DATABASE_URL, or the data dir's SQLite) lacks."""
    from sqlalchemy import create_engine, make_url

    from jinnang.core.migrate import current_revision, head_revision
    from jinnang.core.migrate import upgrade as run_upgrade

    settings = get_settings()
    url = settings.db_url
    if url.startswith("sqlite:///"):
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    before = current_revision(engine)
    run_upgrade(engine)
    from jinnang.service.queue import ensure_queue_schema

    ensure_queue_schema(settings)
    shown = make_url(url).render_as_string(hide_password=True)
    typer.echo(f"{shown}: {before or 'empty'} → {current_revision(engine)} (newest {head_revision()})")


@db_app.command("current")
def current() -> None:
    """Print the database's migration and the newest one this version has."""
    from sqlalchemy import create_engine

    from jinnang.core.migrate import current_revision, head_revision

    engine = create_engine(get_settings().db_url)
    typer.echo(f"current {current_revision(engine) or 'empty'}; newest {head_revision()}")
