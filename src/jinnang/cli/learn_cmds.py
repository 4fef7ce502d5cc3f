"""`jinnang learn` (a team teaches its own jinnang), `jinnang eval leave-one-set-out` and
`jinnang bench learning` (registered on jinnang.cli.app apps)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from jinnang.cli.app import app, bench_app, eval_app
from jinnang.cli.jsonl import fail


@app.command("learn")
def learn_cmd(
    gold: Optional[Path] = typer.Option(None, "--from", help="Labelled notes in the gold format (gold-format.md §1)."),
    rollback: bool = typer.Option(False, "--rollback", help="Go back to the model before the last refit."),
    tolerance: float = typer.Option(0.0, "--tolerance", min=0.0, max=0.2,
                                    help="How much lower F1 on the shipped sets a refit may score and be kept."),
) -> None:
    """Add labelled notes (--from GOLD.jsonl, or the managers' reviewed records) to this data dir's
    training set and refit its learned parts (the objection character scorer and clause classifier, and the learned visit
    facts). Exit 0: kept; 1: refused because it scored worse on the shipped labelled sets than the models it would replace
    (objection F1 or visit accuracy); 2: could not run."""
    from jinnang.core.settings import get_settings
    from jinnang.nlp import learning, refit

    data_dir = get_settings().data_dir
    if rollback:
        if gold is not None:
            fail("give either --rollback or --from, not both")
        try:
            typer.echo(f"rolled back to {refit.rollback(data_dir)}")
        except FileNotFoundError as exc:
            fail(str(exc))
        return
    if gold is not None:
        from jinnang.eval.extraction import GoldError, load_cases

        try:
            cases = [c.model_dump(mode="json") for c in load_cases(gold)]
        except GoldError as exc:
            fail(str(exc))
        source = str(gold)
    else:
        cases = learning.reviewed_cases(get_settings())
        source = "the managers' reviewed records"
    if not cases:
        fail(f"no labelled notes in {source}")
    added, total = learning.add_notes(data_dir, cases)
    typer.echo(f"{len(cases)} notes from {source}: {added} new, {total} in {learning.learning_dir(data_dir)}")
    result = refit.refit(data_dir, tolerance=tolerance)
    typer.echo(f"objection F1 on the shipped labelled sets: refit {result.f1_new:.4f}, "
               f"current model {result.f1_old:.4f}; visit accuracy: refit {result.visit_new:.4f}, "
               f"current model {result.visit_old:.4f}; typed-date F1: refit {result.dates_new:.4f}, "
               f"current model {result.dates_old:.4f} ({result.seconds:.1f} s)")
    if not result.kept:
        typer.echo("refused: the refit scores worse than the model it would replace; nothing changed")
        raise typer.Exit(1)
    typer.echo("kept: extraction in this data dir now uses the refit (`jinnang learn --rollback` undoes it)")


@eval_app.command("leave-one-set-out")
def leave_one_set_out_cmd(
    sets: Optional[list[str]] = typer.Option(None, "--set", help="Only these training sets (default: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    keep_char_scorer: bool = typer.Option(False, "--keep-char-scorer",
                                          help="Do not refit the character scorer per set (faster, optimistic)."),
) -> None:
    """Objection F1 of each training set with the learned parts fitted on the other sets only,
    beside the shipped figures (fitted on that set too), so that tuning shows."""
    from jinnang.eval.extraction import GoldError, leave_one_set_out, leave_one_set_out_lines

    try:
        result = leave_one_set_out(sets, refit_char_scorer=not keep_char_scorer)
    except GoldError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for line in leave_one_set_out_lines(result):
        typer.echo(line)


@bench_app.command("learning")
def bench_learning_cmd(
    group: str = typer.Option("tune5", "--group", help="The training set whose writers learn and are scored."),
    group_file: Optional[Path] = typer.Option(None, "--group-file",
                                              help="One team's labelled notes in date order (gold format) instead."),
    sizes: str = typer.Option("0,10,20,40", "--sizes", help="How many notes to learn from, comma-separated."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Objection F1 on half of one writer group after learning from 0, 10, 20, 40 notes of the other half."""
    from jinnang.eval.bench_learning import curve_lines, learning_curve

    try:
        counts = tuple(int(s) for s in sizes.split(",") if s.strip())
    except ValueError:
        fail(f"--sizes must be numbers separated by commas, not {sizes!r}")
    if not counts or min(counts) < 0:
        fail("--sizes needs at least one count ≥ 0")
    try:
        result = learning_curve(group, counts, group_file)
    except (ValueError, OSError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for line in curve_lines(result):
        typer.echo(line)
