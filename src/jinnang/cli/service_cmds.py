"""`jinnang serve` (the API) and `jinnang demo` (ingest the bundled demo documents, then serve)."""
from __future__ import annotations

from typing import Annotated

import typer

from jinnang.cli.app import app
from jinnang.core.paths import DEMO_DOCUMENTS
from jinnang.core.settings import get_settings

DEMO_KEYS = ("demo-rep:rep:rep-07,demo-manager:manager:mgr-02:rep-07|rep-08,"
             "demo-crm:crm:crm,demo-admin:admin:admin")


@app.command()
def serve(host: Annotated[str | None, typer.Option()] = None, port: Annotated[int | None, typer.Option()] = None,
          workers: Annotated[int, typer.Option(
              min=0, max=64, help="`jinnang worker` processes to start beside the web, which then never runs ingest "
                                  "itself; 0: none (the web runs uploads' jobs in its own threads, or with "
                                  "JINNANG_JOB_RUNNER=workers leaves them to workers started elsewhere)")] = 1) -> None:
    """Serve the pages and the HTTP API (OpenAPI at /docs) with N worker processes for the uploads' ingest
    jobs (stopped with the server: each finishes its current job). Unfinished jobs are finished first."""
    import os

    import uvicorn

    from jinnang.core.logs import configure_logging, uvicorn_log_config
    from jinnang.service.pipeline import resume
    from jinnang.service.startup import startup_problems_apart

    settings = get_settings()  # validated when the CLI started: a bad setting has already exited 2
    configure_logging(settings.log_format)
    # in a child process: what checking every file loads (OCR, spaCy, the scorer) must not stay in the web
    problems = startup_problems_apart(settings)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(2)  # fail at start, not on the first request
    from jinnang.core.errors import InputError
    from jinnang.ingest import chroma_claim

    if not settings.chroma_host:  # the embedded store is this server's while it runs (ingest/chroma_claim.py)
        try:
            chroma_claim.claim(settings, server=None, command="jinnang serve" + ("" if workers else " --workers 0"))
        except InputError as exc:
            typer.echo(f"error: {exc.field}: {exc.message}", err=True)
            raise typer.Exit(2) from None
    if workers:  # the web only registers (and, on PostgreSQL, defers); the workers resume what was left
        from jinnang.service.chroma_child import start_chroma_child
        from jinnang.service.worker import at_server_exit, start_workers

        if not settings.chroma_host:  # the embedded store is one process's: web and workers share a local server
            try:
                chroma = start_chroma_child(settings)
            except InputError as exc:
                typer.echo(f"error: {exc.field}: {exc.message}", err=True)
                raise typer.Exit(2) from None
            os.environ.update(chroma.env)
            chroma_claim.claim(settings, server=f"127.0.0.1:{chroma.port}", command="jinnang serve")  # shared
            at_server_exit(chroma.stop)
        os.environ["JINNANG_JOB_RUNNER"] = "workers"  # the app factory reads the settings again
        get_settings.cache_clear()
        pool = start_workers(workers)
        at_server_exit(pool.stop)  # before the Chroma server: a worker's last job still writes vectors
    elif settings.job_runner == "in-process":
        resume(settings)
    try:
        # the app by its import string, so the CLI does not import the shells (and uvicorn could start workers)
        uvicorn.run("jinnang.web.app:create_app", factory=True, host=host or settings.api_host,
                    port=port or settings.api_port, log_level="info", log_config=uvicorn_log_config())
    finally:  # reached when uvicorn returns (a failed start); after a signal the app's shutdown stops them
        from jinnang.service.worker import run_server_exit_hooks

        run_server_exit_hooks()


@app.command()
def demo(serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="start the API afterwards")] = True,
         port: Annotated[int | None, typer.Option()] = None) -> None:
    """Ingest the bundled demo visit notes and scanned forms, print what was ingested, start the API."""
    import os

    from jinnang.cli.ingest_cmds import ingest_paths, print_ingest_table

    if not os.environ.get("JINNANG_API_KEYS"):
        os.environ["JINNANG_API_KEYS"] = DEMO_KEYS
        get_settings.cache_clear()
    settings = get_settings()
    typer.echo(f"data dir: {settings.data_dir.resolve()}  (embedded SQLite + Chroma)", err=True)
    from jinnang.service.demo import demo_password, ensure_demo_users

    users = ensure_demo_users(settings)  # first: an account made by ingest finds its rep's manager
    rows = ingest_paths(settings, [DEMO_DOCUMENTS], {"kind": "visit_note"})
    print_ingest_table(rows)
    failed = [r for r in rows if r["status"] in ("failed", "rejected")]
    for row in failed:
        typer.echo(f"error: {row['file']}: {row['error']}", err=True)
    if failed:
        raise typer.Exit(1)
    typer.echo(f"users (password {demo_password()!r}, from JINNANG_DEMO_PASSWORD): "
               + ", ".join(f"{u.username} ({u.role}{', ' + u.rep_id if u.rep_id else ''})" for u in users), err=True)
    if serve_api:
        host = settings.api_host
        typer.echo(f"pages: http://{host}:{port or settings.api_port}/  (sign in as one of the users above)", err=True)
        keys = ", ".join(f"{k.split(':')[0]} ({k.split(':')[1]})" for k in settings.api_keys.split(","))
        typer.echo(f"API keys (header X-API-Key): {keys}", err=True)
        serve(host=None, port=port, workers=1)
