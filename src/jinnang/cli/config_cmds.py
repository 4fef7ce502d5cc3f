"""`jinnang config check`: validate every configuration file a sales-operations person edits."""
from __future__ import annotations

import json
from typing import Annotated

import typer

from jinnang.cli.app import config_app


@config_app.command("check")
def check(as_json: Annotated[bool, typer.Option("--json", help="One JSON object a file on stdout.")] = False) -> None:
    """Validate every configuration file; a mistake is printed with its file, line and field. Exit 1 if any."""
    from jinnang.service.configuration import check_configuration

    results = check_configuration()
    for path, error in results:
        if as_json:
            typer.echo(json.dumps({"file": str(path), "ok": error is None,
                                   **({"line": error.line, "field": error.field, "message": error.message}
                                      if error else {})}, ensure_ascii=False))
        else:
            typer.echo(f"ok     {path}" if error is None else f"error  {error}")
    bad = sum(1 for _, error in results if error is not None)
    typer.echo(f"{len(results)} configuration files, {bad} with errors", err=True)
    if bad:
        raise typer.Exit(1)
