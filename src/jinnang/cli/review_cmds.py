"""`jinnang review export`: a team's reviewed records as gold-format lines (its own evaluation set)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.cli.app import review_app
from jinnang.core.settings import get_settings


@review_app.command("export")
def export(out: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None,
           include_pending: Annotated[bool, typer.Option(help="also records nobody reviewed yet")] = False,
           rep: Annotated[str | None, typer.Option(help="only this rep's records")] = None) -> None:
    """Print reviewed extraction records in the gold format of shared/spec/gold-format.md §1."""
    from jinnang.nlp.store import ExtractionRow, gold_shape, records_engine, reviewed_record

    settings = get_settings()
    query = select(ExtractionRow).order_by(ExtractionRow.reference_date, ExtractionRow.id)
    if not include_pending:
        query = query.where(ExtractionRow.review_status != "pending")
    if rep:
        query = query.where(ExtractionRow.rep_id == rep)
    lines = []
    with Session(records_engine(settings)) as session:
        for row in session.scalars(query):
            lines.append(json.dumps({"id": row.document_id, "kind": row.kind,
                                     "reference_date": row.reference_date.isoformat(), "text": row.text,
                                     "gold": gold_shape(reviewed_record(session, row))}, ensure_ascii=False))
    payload = "".join(line + "\n" for line in lines)
    if out:
        out.write_text(payload, encoding="utf-8")
        typer.echo(f"{len(lines)} records written to {out}", err=True)
    else:
        typer.echo(payload, nl=False)
