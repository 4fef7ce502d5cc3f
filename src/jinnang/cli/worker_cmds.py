"""`jinnang worker`: run ingest jobs the web process registered (job_runner "workers")."""
from __future__ import annotations

from typing import Annotated

import typer

from jinnang.cli.app import app
from jinnang.core.settings import get_settings


@app.command()
def worker(concurrency: Annotated[int, typer.Option(min=1, max=64, help="jobs this process runs at once")] = 1,
           exit_when_idle: Annotated[bool, typer.Option("--exit-when-idle",
                                                        help="stop once no job is due (batches, benchmarks)")] = False,
           ) -> None:
    """Run ingest jobs until stopped (SIGTERM or Ctrl-C finish the current job first). On SQLite it polls
    the jobs table; on PostgreSQL (JINNANG_DATABASE_URL) it is a Procrastinate worker. Start as many as
    there are cores, on as many machines as share the database and the data dir (or the Chroma server)."""
    from jinnang.cli.ingest_cmds import owned_vector_store
    from jinnang.core.logs import configure_logging
    from jinnang.service.worker import run_worker

    settings = get_settings()
    configure_logging(settings.log_format)
    with owned_vector_store(settings, "jinnang worker"):
        run_worker(settings, concurrency, exit_when_idle=exit_when_idle)
