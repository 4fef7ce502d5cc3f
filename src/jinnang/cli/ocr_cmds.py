"""OCR commands: `jinnang ocr`, `jinnang eval ocr`, `jinnang bench ocr`."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Optional

import typer

from jinnang.cli.app import app, bench_app, eval_app
from jinnang.cli.jsonl import fail, run_jsonl
from jinnang.core.errors import InputError
from jinnang.core.settings import get_settings

ENGINE_HELP = "rapidocr or tesseract (default: settings.ocr_engine)."


def _engine_or_fail(engine: Optional[str]):
    from jinnang.ingest.ocr import get_ocr_engine

    try:
        return get_ocr_engine(engine or get_settings().ocr_engine)
    except InputError as exc:
        fail(exc.message)


def _ocr_line(ocr) -> Any:
    from jinnang.ingest.ocr import ocr_file

    def handle(obj: dict[str, Any]) -> dict[str, Any]:
        image = obj.get("image")
        if not isinstance(image, str) or not image.strip():
            raise InputError("image", "field 'image' must be a path to an image or PDF")
        pages = ocr_file(Path(image), ocr, field="image", max_pixels=get_settings().max_image_pixels)
        return {"text": "\n".join(p.text for p in pages), "engine": pages[0].engine if pages else ocr.name}

    return handle


@app.command("ocr")
def ocr_cmd(
    files: list[Path] = typer.Argument(None, help="Images (png/jpg/tiff/webp) or PDFs."),
    jsonl: Optional[str] = typer.Option(None, "--jsonl", help="JSON Lines of {id, image}; '-' for stdin."),
    engine: Optional[str] = typer.Option(None, "--engine", help=ENGINE_HELP),
) -> None:
    """Print the recognised text of each image or PDF (lines in reading order)."""
    if jsonl is not None:
        if files:
            fail("give either --jsonl IN or FILE…, not both")
        run_jsonl(jsonl, _ocr_line(_engine_or_fail(engine)))
        return
    if not files:
        fail("give FILE… or --jsonl IN")
    from jinnang.ingest.ocr import ocr_file

    ocr = _engine_or_fail(engine)
    errors = 0
    for path in files:
        try:
            pages = ocr_file(path, ocr, field="file", max_pixels=get_settings().max_image_pixels)
        except InputError as exc:
            errors += 1
            typer.echo(f"error: {exc.message}", err=True)
            continue
        if len(files) > 1:
            typer.echo(f"==> {path} <==")
        typer.echo("\n".join(p.text for p in pages))
    if errors:
        raise typer.Exit(1 if errors < len(files) else 2)


def _parse_subsets(values: list[str]) -> dict[str, list[str]]:
    subsets: dict[str, list[str]] = {}
    for value in values:
        name, _, ids = value.partition("=")
        if not name or not ids:
            fail(f"--subset takes NAME=ID,ID,… (got {value!r})")
        subsets[name] = [i.strip() for i in ids.split(",") if i.strip()]
    return subsets


@eval_app.command("ocr")
def eval_ocr_cmd(
    path: Path = typer.Argument(..., help="Folder with manifest.jsonl (gold-format.md §4) and its images."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    engine: Optional[str] = typer.Option(None, "--engine", help=ENGINE_HELP),
    subset: list[str] = typer.Option([], "--subset", help="NAME=ID,ID,… to also score a named group of pages."),
) -> None:
    """Character error rate (mean, max, per form) and seconds per page of an OCR set."""
    from jinnang.eval.ocr import score_ocr

    subsets = _parse_subsets(subset)
    _engine_or_fail(engine)
    try:
        result = score_ocr(path, engine, subsets)
    except InputError as exc:
        fail(exc.message)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(f"engine {result['engine']}: CER mean {result['cer_mean']:.4f}, max {result['cer_max']:.4f}, "
               f"{result['seconds_per_page']:.2f} s/page over {result['pages']} pages")
    for name, scores in result.get("subsets", {}).items():
        typer.echo(f"  {name}: CER mean {scores['cer_mean']:.4f}, max {scores['cer_max']:.4f}")
    for form, value in result["per_form"].items():
        typer.echo(f"  {form}: {value:.4f}")


@bench_app.command("ocr")
def bench_ocr_cmd(
    folder: Path = typer.Argument(..., help="Folder of page images (e.g. shared/data/dev/ocr)."),
    engine: list[str] = typer.Option([], "--engine", help="Engines to time (default: both)."),
    limit: int = typer.Option(0, "--limit", help="Time at most this many images (0 = all)."),
) -> None:
    """Seconds per page (wall and CPU) of each engine over a folder of images, models loaded first."""
    from jinnang.ingest.ocr import ENGINES, IMAGE_SUFFIXES, ocr_image

    if not folder.is_dir():
        fail(f"not a folder: {folder}")
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if limit:
        images = images[:limit]
    if not images:
        fail(f"no images in {folder}")
    for name in engine or list(ENGINES):
        ocr = _engine_or_fail(name)
        ocr.load()  # model loading is not a per-page cost
        wall, cpu = time.perf_counter(), time.process_time()
        for image in images:
            ocr_image(image, ocr, max_pixels=get_settings().max_image_pixels)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        typer.echo(json.dumps({"engine": name, "pages": len(images), "seconds_per_page": round(wall / len(images), 3),
                               "cpu_seconds_per_page": round(cpu / len(images), 3)}))
