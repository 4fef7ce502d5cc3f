"""Commands of this area (registered on jinnang.cli.app apps): extraction, its eval and bench."""
from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any, Optional

import typer

from jinnang.cli.app import app, bench_app, eval_app
from jinnang.cli.jsonl import fail, read_lines, run_jsonl
from jinnang.core.errors import InputError
from jinnang.core.paths import SHARED_DATA
from jinnang.core.records import NOTE_KINDS, ExtractionInput

DEV_EXTRACTION = SHARED_DATA / "dev" / "extraction.jsonl"


def _extract_line(obj: dict[str, Any]) -> dict[str, Any]:
    from jinnang.nlp.extract import extract

    note = ExtractionInput.model_validate(obj)
    record = extract(note.text, note.reference_date, note.kind)
    return {"record": record.model_dump(mode="json")}


def _document_text(path: Path) -> str:
    """A typed note (any common encoding, Word, Excel, a chat export) is read as ingest reads it;
    an image or PDF is OCR'd first."""
    from jinnang.ingest.pipeline import typed_text
    from jinnang.ingest.sniff import TYPED_KINDS, sniff

    if not path.is_file():
        raise InputError("file", f"file not found: {path}", path="file")
    data = path.read_bytes()
    sniffed = sniff(data)
    if sniffed.kind in TYPED_KINDS:
        return typed_text(data, sniffed).text
    from jinnang.core.settings import get_settings
    from jinnang.ingest.ocr import ocr_file

    settings = get_settings()
    pages = ocr_file(path, settings.ocr_engine, field="file", max_pixels=settings.max_image_pixels)
    text = "\n".join(page.text for page in pages)
    if not text.strip():
        raise InputError("file", f"no text could be read from {path.name}", path="file")
    return text


@app.command("extract")
def extract_cmd(
    files: list[Path] = typer.Argument(None, help="Notes or forms on disk: text, image or PDF (OCR'd as needed)."),
    jsonl: Optional[str] = typer.Option(None, "--jsonl", help="JSON Lines of {id, text, reference_date, kind}; '-' for stdin."),
    reference_date: Optional[str] = typer.Option(None, "--reference-date",
                                                 help="Day the documents were written (YYYY-MM-DD); default today."),
    kind: str = typer.Option("visit_note", "--kind", help="visit_note or trial_feedback (for FILE…)."),
) -> None:
    """Extract decision-makers, objections, key dates, visit facts and the journey node."""
    if jsonl is not None:
        if files:
            fail("give either --jsonl IN or FILE…, not both")
        run_jsonl(jsonl, _extract_line)
        return
    if not files:
        fail("give --jsonl IN or one or more FILE")
    if kind not in NOTE_KINDS:
        fail(f"--kind must be one of {', '.join(NOTE_KINDS)}, not {kind!r}")
    try:
        day = dt.date.fromisoformat(reference_date) if reference_date else dt.date.today()
    except ValueError:
        fail(f"--reference-date must be YYYY-MM-DD, not {reference_date!r}")
    from jinnang.nlp.extract import extract

    errors = 0
    for path in files:
        try:
            record = extract(_document_text(path), day, kind)  # type: ignore[arg-type]
            answer: dict[str, Any] = {"id": str(path), "record": record.model_dump(mode="json")}
        except InputError as exc:
            errors += 1
            answer = {"id": str(path), "error": exc.as_dict()}
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    raise typer.Exit(1 if errors else 0)


@eval_app.command("extraction")
def eval_extraction_cmd(
    path: Path = typer.Argument(..., help="extraction.jsonl, or a folder holding an OCR manifest.jsonl."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object of metrics."),
    errors: bool = typer.Option(False, "--errors", help="Also list each case's misses and extras."),
    line: Optional[float] = typer.Option(None, "--line", min=0.0, max=1.0,
                                         help="Confidence line for precision above/below "
                                              "(default: the one chosen on tune data, in the calibration card)."),
    loso: bool = typer.Option(False, "--leave-one-set-out",
                              help="Also objection F1 of each training set with the learned parts fitted without it."),
) -> None:
    """Score extraction: per-field precision/recall/F1 and accuracies (gold-format.md §1), and how
    well confidences are calibrated (expected calibration error, precision above/below a line)."""
    from jinnang.eval.extraction import GoldError, load_cases, score, summary_lines
    from jinnang.nlp.extract import extract

    try:
        cases = load_cases(path)
    except GoldError as exc:
        fail(str(exc))
    result = score(cases, extract, line)
    if loso:  # tuning shows as what it is: each set scored by learned parts that never saw it
        from jinnang.eval.extraction import leave_one_set_out

        result["leave_one_set_out"] = leave_one_set_out()
    if as_json:
        if not errors:
            result["cases"] = [c for c in result["cases"] if c["errors"]]
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for summary in summary_lines(result):
        typer.echo(summary)
    if loso:
        from jinnang.eval.extraction import leave_one_set_out_lines

        for summary in leave_one_set_out_lines(result["leave_one_set_out"]):
            typer.echo(summary)
    if errors:
        for case in result["cases"]:
            if case["errors"]:
                typer.echo(f"\n{case['id']}: " + json.dumps(case["errors"], ensure_ascii=False))


@bench_app.command("extract")
def bench_extract_cmd(
    path: Optional[Path] = typer.Argument(None, help="JSON Lines of notes (default: the dev extraction set)."),
    rounds: int = typer.Option(3, "--rounds", min=1, help="Passes over the notes after the warm-up."),
) -> None:
    """Whole-extraction speed in one process: notes per second after the models are loaded."""
    from jinnang.nlp.extract import extract

    source = path or DEV_EXTRACTION
    if not Path(source).is_file():
        fail(f"no notes to time: {source} not found (give a JSON Lines PATH)")
    notes: list[ExtractionInput] = []
    for number, raw in read_lines(str(source)):
        try:
            notes.append(ExtractionInput.model_validate_json(raw))
        except ValueError as exc:
            fail(f"{source} line {number}: {str(exc).splitlines()[0]}")
    if not notes:
        fail(f"{source} has no notes")
    # the models load lazily, each when a note first needs it (the trial-form reader, the objection
    # scorers, the journey model …): one untimed pass loads them all, so that the timed rounds are
    # the per-note cost of a running process. The finders' caches hold only the last few notes, so
    # no timed round is served from this pass.
    started = time.perf_counter()
    for note in notes:
        extract(note.text, note.reference_date, note.kind)
    warm_up = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(rounds):
        for note in notes:
            extract(note.text, note.reference_date, note.kind)
    seconds = time.perf_counter() - started
    count = len(notes) * rounds
    typer.echo(f"notes           {count} ({len(notes)} × {rounds} rounds)")
    typer.echo(f"warm-up         {warm_up:.2f} s (one untimed pass, loading every model the notes need)")
    typer.echo(f"seconds         {seconds:.2f}")
    typer.echo(f"notes/s         {count / seconds:.1f}")
    typer.echo(f"ms/note         {1000 * seconds / count:.2f}")
