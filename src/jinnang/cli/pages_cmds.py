"""`jinnang bench pages`: page and first-search times over real HTTP against `jinnang serve`."""
from __future__ import annotations

import json
from typing import Annotated

import typer

from jinnang.cli.app import bench_app


@bench_app.command("pages")
def bench_pages_cmd(url: Annotated[str | None, typer.Option(help="a running server (default: start one over a "
                                                                  "fresh copy of the demo)")] = None,
                    rounds: Annotated[int, typer.Option(min=1, help="timed fetches of each page")] = 20) -> None:
    """Print each page's median/p95/max answer time, the start-up time and the first search after start-up."""
    from jinnang.eval.bench_pages import bench_pages

    result = bench_pages(url=url, rounds=rounds, log=lambda m: typer.echo(m, err=True))
    typer.echo(json.dumps(result, ensure_ascii=False))
