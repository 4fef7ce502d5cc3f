"""`jinnang ner --jsonl IN` and `jinnang eval ner [PATH] --json` (the entity layer's commands)."""
from __future__ import annotations

import json
from typing import Any, Optional

import typer
from pydantic import BaseModel, ConfigDict, Field

from jinnang.cli.app import app, eval_app
from jinnang.cli.jsonl import fail, run_jsonl
from jinnang.core.errors import InputError


class NerInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | int | None = None
    text: str = Field(min_length=1)


@app.command("ner")
def ner(jsonl: str = typer.Option(..., "--jsonl", help="JSON Lines file ({id, text} a line) or - for stdin")) -> None:
    """Entities (name, position, organization, department) with character offsets, end exclusive."""
    from jinnang.nlp.ner import find_entities

    def handle(obj: dict[str, Any]) -> dict[str, Any]:
        line = NerInput.model_validate(obj)
        return {"entities": [e.model_dump() for e in find_entities(line.text)]}

    run_jsonl(jsonl, handle)


@eval_app.command("ner")
def eval_ner(
    path: Optional[str] = typer.Argument(None, help="CLUENER-format file; default: the held-out 10% of CLUENER train"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    decision_makers: Optional[str] = typer.Option(None, "--decision-makers",
                                                  help="also score decision-makers on a gold extraction set"),
) -> None:
    """Per-label P/R/F1 for name / position / organization (exact spans)."""
    from pathlib import Path

    from jinnang.eval.ner import score_cluener, score_decision_makers

    # both files checked before the (slow) CLUENER scoring starts
    if path is not None and not Path(path).is_file():
        fail(f"file not found: {path}")
    if decision_makers is not None and not Path(decision_makers).is_file():
        fail(f"--decision-makers: file not found: {decision_makers}")
    try:
        result: dict[str, Any] = {"cluener": score_cluener(path)}
        if decision_makers:
            dm = score_decision_makers(decision_makers)
            result["decision_makers"] = dm
    except InputError as exc:
        fail(f"{exc.field}: {exc.message}")
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    for label in ("name", "position", "organization"):
        s = result["cluener"][label]
        typer.echo(f"{label:13s} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}")
    if decision_makers:
        typer.echo(f"decision-makers F1 by name {dm['by_name']['f1']:.3f}, name+title {dm['by_name_title']['f1']:.3f}")
