"""`jinnang bench load` (many clients at once with uploads, or the server's memory after fuzzed uploads) and
`jinnang bench memory` (the web process's own memory when workers run the jobs)."""
from __future__ import annotations

import json
from typing import Annotated

import typer

from jinnang.cli.app import bench_app


@bench_app.command("load")
def bench_load_cmd(
    url: Annotated[str | None, typer.Option(help="a running server with the keys rep7, rep8, mgr and crm "
                                                 "(default: start one over a fresh copy of the demo)")] = None,
    clients: Annotated[int, typer.Option(min=1, max=500, help="concurrent clients")] = 50,
    seconds: Annotated[float, typer.Option(min=1, max=3600, help="how long the clients send requests")] = 60,
    uploads: Annotated[bool, typer.Option("--uploads/--no-uploads", help="mix small note uploads in")] = True,
    fuzz_uploads: Annotated[int, typer.Option(min=0, max=100_000, help="instead: this many broken or odd "
                                                                       "uploads, then the server's RSS")] = 0,
    grace: Annotated[float, typer.Option(min=0, help="seconds the uploads' jobs get to end after the run")] = 120,
    timeout: Annotated[float, typer.Option(min=1, help="seconds a request may take before it counts as a "
                                                       "timeout")] = 120,
) -> None:
    """Print requests answered, errors by status (5xx apart), p50/p99 per route, uploads sent vs stored,
    failed or stuck jobs, the server's RSS before and after, its tracebacks and the load average."""
    from jinnang.eval.bench_load import bench_load

    result = bench_load(url=url, clients=clients, seconds=seconds, uploads=uploads, fuzz_uploads=fuzz_uploads,
                        grace=grace, timeout=timeout, log=lambda m: typer.echo(m, err=True))
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1))


@bench_app.command("memory")
def bench_memory_cmd(
    uploads: Annotated[int, typer.Option(min=0, max=100_000, help="fuzzed uploads, with real phone photos and "
                                                                  "PDFs among them, after the idle reading")] = 1000,
    clients: Annotated[int, typer.Option(min=0, max=500, help="concurrent clients of the mixed load (0: none)")] = 50,
    seconds: Annotated[float, typer.Option(min=0, max=3600, help="how long the mixed load runs")] = 60,
    jobs_in_web: Annotated[bool, typer.Option("--jobs-in-web/--registrations-only",
                                              help="run ingest jobs in the web process (the embedded default) "
                                                   "instead of leaving them to workers")] = False,
    door_share: Annotated[float, typer.Option(min=0, max=1, help="share of uploads that are real photos or PDFs")]
    = 0.1,
) -> None:
    """Print the web process's RSS (now, peak, heap) and the heavy libraries it maps: idle after warm-up,
    after N uploads and after the mixed load, with p50/p99 per route and the load average."""
    from jinnang.eval.bench_memory import bench_memory

    result = bench_memory(uploads=uploads, clients=clients, seconds=seconds, jobs_in_web=jobs_in_web,
                          door_share=door_share, log=lambda m: typer.echo(m, err=True))
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
