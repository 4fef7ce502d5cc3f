"""`jinnang import visits FILE --map …` (a visit log or CRM export, one visit note a row) and
`jinnang import accounts FILE --map …` (the CRM's account list, one account a row), one mapping mechanism."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jinnang.cli.app import import_app
from jinnang.cli.jsonl import fail
from jinnang.core.config import ConfigError
from jinnang.core.errors import InputError
from jinnang.core.settings import get_settings
from jinnang.service.visit_import import (
    ACCOUNT_HELP,
    ImportPlan,
    VisitMapping,
    import_plan,
    load_mapping,
    parse_mapping,
    plan_import,
    save_mapping,
)

stderr = Console(stderr=True)


def _mapping(text: str | None, name: str | None) -> VisitMapping:
    if (text is None) == (name is None):
        fail("give the column mapping with --map field=column,… or a saved one with --map-name NAME (one of them)")
    try:
        return parse_mapping(text) if text is not None else load_mapping(get_settings(), name or "")
    except InputError as exc:
        fail(f"--{exc.field}: {exc.message}")
    except ConfigError as exc:
        fail(f"--map-name: the saved mapping is broken: {exc}")


def _plan(file: Path, mapping: VisitMapping, sheet: str | None) -> ImportPlan:
    from jinnang.ingest.spreadsheets import read_table

    if not file.is_file():
        fail(f"no such file: {file}")
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror or exc})")
    try:
        return plan_import(get_settings(), read_table(data, file.name), mapping, file.name, sheet)
    except InputError as exc:
        fail(f"{file.name}: {exc.field}: {exc.message}")


def _import(plan: ImportPlan) -> list[dict[str, Any]]:
    with Progress(TextColumn("[bold]import"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=stderr, transient=True) as progress:
        task = progress.add_task("", total=len(plan.rows))

        def step(row: Any) -> None:
            progress.update(task, description=f"{row.sheet}!R{row.row}")
            progress.advance(task)

        return import_plan(get_settings(), plan, progress=step)


def _summary(plan: ImportPlan, results: list[dict[str, Any]], dry_run: bool, refused: bool) -> dict[str, Any]:
    by_status: dict[str, int] = {}
    for result in results:
        by_status[result["status"]] = by_status.get(result["status"], 0) + 1
    return {
        "file": plan.file,
        "status": "checked" if dry_run else ("refused" if refused else ("partial" if plan.errors else "imported")),
        "rows": len(plan.rows) + plan.bad_rows,
        "valid_rows": len(plan.rows),
        "imported": by_status.get("done", 0),
        "duplicates": by_status.get("duplicate", 0),
        "failed": sum(n for s, n in by_status.items() if s not in ("done", "duplicate")),
        "accounts": sorted({r.account_id for r in plan.rows if r.account_id}),
        "skipped_sheets": plan.skipped_sheets,
        "errors": [{"sheet": e.sheet, "row": e.row, "column": e.column, "message": e.message} for e in plan.errors],
        "documents": results,
    }


def _check_plan(file: Path, plan: Any, chosen: Any, save_map: str | None, dry_run: bool,
                skip_bad_rows: bool) -> bool:
    """Save the mapping if asked, print every row error; True when the errors refuse the whole import."""
    if save_map:
        try:
            stderr.print(f"mapping saved: {save_mapping(get_settings(), save_map, chosen)}")
        except InputError as exc:
            fail(f"--save-map: {exc.message}")
    for error in plan.errors:
        typer.echo(f"error: {file.name}: {error}", err=True)
    refused = bool(plan.errors) and not skip_bad_rows
    if refused and not dry_run:
        typer.echo(f"error: {plan.bad_rows} of {len(plan.rows) + plan.bad_rows} rows are in error; nothing "
                   "was imported (fix them, or pass --skip-bad-rows to import the others)", err=True)
    return refused


@import_app.command("visits", help=f"""Import a visit log or CRM export (.xlsx or .csv), one visit note a row.

Each row's note cell(s) go through the normal pipeline like a typed note: extraction, its account, search.
Every row is checked first; with any row in error nothing is imported (exit 1) unless --skip-bad-rows.
Dates: 2026-03-02, 2026/3/2, 2026年3月2日, 20260302 or Excel date cells. CSV may be UTF-8, UTF-16, GBK/GB18030
or Big5. The header may sit below a title row; a cell merged over several rows counts for each of them.
Importing the same file again stores nothing twice.

Fields: note (required; join columns with +), date (required), account, customer, hospital, rep, department,
kind (visit_note | trial_feedback | talk_track, default visit_note). Account id: {ACCOUNT_HELP}.

Exit 0 when every row was imported, 1 when some rows were errors, 2 when the command could not run.""")
def import_visits(
    file: Annotated[Path, typer.Argument(help=".xlsx workbook or .csv file")],
    mapping: Annotated[str | None, typer.Option(
        "--map", help="our field=their column, comma-separated: customer=客户名称,date=拜访日期,note=拜访内容+下一步计划"
    )] = None,
    map_name: Annotated[str | None, typer.Option("--map-name", help="use a mapping saved with --save-map")] = None,
    save_map: Annotated[str | None, typer.Option("--save-map", help="save --map under this name "
                                                 "(<data dir>/mappings/NAME.yaml) once it fits the file")] = None,
    sheet: Annotated[str | None, typer.Option(help="only this sheet (default: every sheet with the columns)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check every row, import nothing")] = False,
    skip_bad_rows: Annotated[bool, typer.Option("--skip-bad-rows",
                                                help="import the good rows and list the bad ones")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="the summary as one JSON object on stdout")] = False,
) -> None:
    chosen = _mapping(mapping, map_name)
    plan = _plan(file, chosen, sheet)
    refused = _check_plan(file, plan, chosen, save_map, dry_run, skip_bad_rows)
    results = [] if (refused or dry_run) else _import(plan)
    summary = _summary(plan, results, dry_run, refused)
    for result in results:
        if result["status"] not in ("done", "duplicate"):
            typer.echo(f"error: {file.name}: {result['sheet']}!R{result['row']}: {result['error']}", err=True)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        for key in ("file", "status", "rows", "valid_rows", "imported", "duplicates", "failed"):
            typer.echo(f"{key}: {summary[key]}")
        typer.echo(f"accounts: {', '.join(summary['accounts']) or '-'}")
        if plan.skipped_sheets:
            typer.echo(f"skipped sheets (none of the mapped columns): {', '.join(plan.skipped_sheets)}")
    raise typer.Exit(1 if plan.errors or summary["failed"] else 0)


# ------------------------------------------------------------------ jinnang import accounts


def _account_mapping(text: str | None, name: str | None) -> Any:
    from jinnang.service.account_import import AccountMapping, parse_account_mapping

    if (text is None) == (name is None):
        fail("give the column mapping with --map field=column,… or a saved one with --map-name NAME (one of them)")
    try:
        return parse_account_mapping(text) if text is not None else load_mapping(get_settings(), name or "",
                                                                                   AccountMapping)
    except InputError as exc:
        fail(f"--{exc.field}: {exc.message}")
    except ConfigError as exc:
        fail(f"--map-name: the saved mapping is broken: {exc}")


@import_app.command("accounts", help="""Import the CRM's account list (.xlsx or .csv), one account a row.

Each row creates or updates a stored account: hospital, province, city, hospital type, tier, rep, manager,
product line, department and journey node. What the list says wins over what uploads said, and a
second import of the same file changes nothing (its rows are reported unchanged). A public hospital type
(公立…) makes the account public; without a manager column the rep's manager comes from the users' teams.
Every row is checked first; with any row in error nothing is imported (exit 1) unless --skip-bad-rows.

Exit 0 when every row was imported, 1 when some rows were errors, 2 when the command could not run.""")
def import_accounts_command(
    file: Annotated[Path, typer.Argument(help=".xlsx workbook or .csv file")],
    mapping: Annotated[str | None, typer.Option(
        "--map", help="our field=their column, comma-separated: account_id=客户编号,hospital=医院名称,"
                      "hospital_type=医院性质,rep_id=负责代表. Fields: account_id, hospital, province, city, "
                      "hospital_type, hospital_tier, rep_id, manager, product_line, department, node")] = None,
    map_name: Annotated[str | None, typer.Option("--map-name", help="use a mapping saved with --save-map")] = None,
    save_map: Annotated[str | None, typer.Option("--save-map", help="save --map under this name once it fits")] = None,
    sheet: Annotated[str | None, typer.Option(help="only this sheet (default: every sheet with the columns)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check every row, import nothing")] = False,
    skip_bad_rows: Annotated[bool, typer.Option("--skip-bad-rows",
                                                help="import the good rows and list the bad ones")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="the summary as one JSON object on stdout")] = False,
) -> None:
    from jinnang.ingest.spreadsheets import read_table
    from jinnang.service.account_import import import_accounts, plan_accounts

    chosen = _account_mapping(mapping, map_name)
    settings = get_settings()
    if not file.is_file():
        fail(f"no such file: {file}")
    try:
        plan = plan_accounts(settings, read_table(file.read_bytes(), file.name), chosen, file.name, sheet)
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror or exc})")
    except InputError as exc:
        fail(f"{file.name}: {exc.field}: {exc.message}")
    refused = _check_plan(file, plan, chosen, save_map, dry_run, skip_bad_rows)
    results = [] if (refused or dry_run) else import_accounts(settings, plan, by=f"import:{file.name}")
    for result in results:
        if result["status"] == "rejected":
            typer.echo(f"error: {file.name}: {result['sheet']}!R{result['row']}: {result['error']}", err=True)
    counts = {s: sum(r["status"] == s for r in results) for s in ("created", "updated", "unchanged", "rejected")}
    summary = {"file": plan.file,
               "status": "checked" if dry_run else ("refused" if refused else ("partial" if plan.errors else "imported")),
               "rows": len(plan.rows) + plan.bad_rows, "valid_rows": len(plan.rows), **counts,
               "skipped_sheets": plan.skipped_sheets,
               "errors": [{"sheet": e.sheet, "row": e.row, "column": e.column, "message": e.message}
                          for e in plan.errors],
               "accounts": results}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        typer.echo(f"{file.name}: {summary['status']}: {summary['rows']} rows — created {counts['created']}, "
                   f"updated {counts['updated']}, unchanged {counts['unchanged']}, rejected {counts['rejected']}, "
                   f"errors {plan.bad_rows}")
    raise typer.Exit(1 if plan.errors or counts["rejected"] else 0)
