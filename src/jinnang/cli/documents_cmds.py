"""`jinnang documents delete ID`: erase a document and everything derived from it."""
from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer

from jinnang.cli.app import documents_app
from jinnang.core.errors import InputError
from jinnang.core.settings import get_settings


@documents_app.command("delete")
def delete(document_id: Annotated[str, typer.Argument(help="the document's id")],
           as_json: Annotated[bool, typer.Option("--json", help="print the report as one JSON object")] = False,
           by: Annotated[str | None, typer.Option(help="who deletes, for the audit log (default: the OS user)")]
           = None) -> None:
    """Delete the document's rows, pages, OCR lines, chunks, jobs, vectors, extraction record and
    corrections, what its account knows only from it, its playbook entries and the uploaded file."""
    from jinnang.service.documents import delete_document

    try:
        report = delete_document(get_settings(), document_id, by=by or getpass.getuser(), role="cli")
    except InputError as exc:
        typer.echo(f"error: {exc.field}: {exc.message}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report.model_dump(), ensure_ascii=False))
        return
    typer.echo(f"deleted document {report.document_id}" + (f" (account {report.account_id})" if report.account_id else ""))
    for kind, count in report.removed.items():
        typer.echo(f"  {kind:24} {count}")
