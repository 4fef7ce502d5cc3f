"""`jinnang ingest PATH…` and `jinnang status`."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jinnang.cli.app import app, bench_app
from jinnang.core.errors import InputError, from_validation_error
from jinnang.core.records import NOTE_KINDS
from jinnang.core.settings import Settings, get_settings

stderr = Console(stderr=True)
MANIFEST = "manifest.jsonl"
INGEST_BATCH = 32  # files registered, then read and indexed together
# documents made searchable in the playbook together, during the run: while the pool extracts the next
# notes (this process waits on it otherwise), and while their chunks' vectors are still in the embedder's
# memo (a pass at the end of a 10,000-note run would embed most of them again)
PLAYBOOK_BATCH = 128


class ManifestEntry(BaseModel):
    """One line of a folder's manifest.jsonl: the file and the metadata its document is stored with."""

    model_config = ConfigDict(extra="forbid")

    file: str
    kind: str | None = None
    account_id: str | None = None
    rep_id: str | None = None
    hospital: str | None = None
    province: str | None = Field(default=None, max_length=64)
    city: str | None = Field(default=None, max_length=64)
    hospital_type: str | None = Field(default=None, max_length=64)
    product_line: str | None = Field(default=None, max_length=64)
    department: str | None = Field(default=None, max_length=64)
    reference_date: dt.date | None = None
    meta: dict[str, Any] | None = None


PROFILE_KEYS = ("province", "city", "hospital_type", "product_line", "department")


def register_options(options: dict[str, Any]) -> dict[str, Any]:
    """The account's province, city, type, product line and department travel in the document's meta."""
    out = {k: v for k, v in options.items() if k not in PROFILE_KEYS}
    profile = {k: options[k] for k in PROFILE_KEYS if options.get(k)}
    if profile:
        out["meta"] = {**(options.get("meta") or {}), **profile}
    return out


def _manifest_meta(folder: Path) -> dict[Path, dict[str, Any]]:
    """Per-file metadata from a folder's manifest.jsonl ({"file", "kind", "account_id", …} a line)."""
    path = folder / MANIFEST
    meta: dict[Path, dict[str, Any]] = {}
    if not path.is_file():
        return meta
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = ManifestEntry.model_validate_json(line)
        except ValidationError as exc:
            err = from_validation_error(exc)
            raise typer.BadParameter(f"{path}:{number}: field {err.path}: {err.message} "
                                     f"(each line is a JSON object with a 'file' field)") from None
        meta[(folder / entry.file).resolve()] = entry.model_dump(exclude={"file"}, exclude_none=True)
    return meta


def collect_files(paths: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    found: list[tuple[Path, dict[str, Any]]] = []
    for path in paths:
        if path.is_dir():
            meta = _manifest_meta(path)
            for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                if file.name != MANIFEST:
                    found.append((file, meta.get(file.resolve(), {})))
        elif path.is_file():
            found.append((path, _manifest_meta(path.parent).get(path.resolve(), {})))
        else:
            raise typer.BadParameter(f"no such file or folder: {path}")
    return found


def ingest_paths(settings: Settings, paths: list[Path], defaults: dict[str, Any],
                 processes: int = 1) -> list[dict[str, Any]]:
    """Ingest files and folders; one summary dict per file, in order. With `processes` > 1 and enough
    files, notes are extracted by `processes - 1` worker processes while this one reads, embeds and writes."""
    from jinnang.service.pipeline import resume
    from jinnang.service.playbook_refresh import refresh_if_stale

    with owned_vector_store(settings, "jinnang ingest"):
        files = collect_files(paths)
        notes = sum((meta.get("kind") or defaults.get("kind") or "visit_note") in NOTE_KINDS for _, meta in files)
        pool = _start_pool(settings, processes, notes)  # its models load while this process works
        try:
            resume(settings)  # a crashed earlier run is finished first
            rows = _ingest_files(settings, files, defaults, pool)
        finally:
            if pool is not None:
                pool.close()
        refresh_if_stale(settings)  # once a run: scenarios mined again if won or lost deals came in
    return rows


@contextmanager
def owned_vector_store(settings: Settings, command: str) -> Iterator[None]:
    """The vector store for a command that writes it, checked before any work. The embedded store is
    this process's for the block (ingest/chroma_claim.py); one a running `jinnang serve` owns is
    reached through its local Chroma server; one another command has open is refused here (exit 2,
    naming that command)."""
    from jinnang.core.errors import InputError
    from jinnang.ingest import chroma_claim
    from jinnang.ingest.vectors import open_chroma

    claimed = False
    if not settings.chroma_host:
        try:
            chroma_claim.claim(settings, server=None, command=command)
            claimed = True
        except InputError:
            pass  # another process's: open_chroma goes through its server, or refuses
    try:
        try:
            open_chroma(settings)
        except InputError as exc:
            typer.echo(f"error: {exc.field}: {exc.message}", err=True)
            raise typer.Exit(2) from None
        yield
    finally:
        if claimed:
            chroma_claim.release(settings)


def _start_pool(settings: Settings, processes: int, notes: int) -> Any:
    from jinnang.service.extract_pool import MIN_NOTES, ExtractPool

    if processes < 2 or notes < MIN_NOTES:
        return None
    return ExtractPool(processes - 1, settings.data_dir)


def _ingest_files(settings: Settings, files: list[tuple[Path, dict[str, Any]]], defaults: dict[str, Any],
                  pool: Any) -> list[dict[str, Any]]:
    from jinnang.service.pipeline import extract_hook, index_in_playbook, ingest_batches, ingest_many

    batches = [files[start:start + INGEST_BATCH] for start in range(0, len(files), INGEST_BATCH)]

    def items(batch: list[tuple[Path, dict[str, Any]]]) -> list[tuple[bytes, str, dict[str, Any]]]:
        return [(file.read_bytes(), file.name,
                 register_options({**defaults, **{k: v for k, v in meta.items() if v is not None}}))
                for file, meta in batch]

    # one Chroma write a batch, not one a file; the playbook every PLAYBOOK_BATCH documents
    outcomes = (ingest_batches(settings, (items(b) for b in batches), pool) if pool is not None
                else (ingest_many(settings, items(b), hooks=(extract_hook,)) for b in batches))
    rows: list[dict[str, Any]] = []
    searchable: list[str] = []  # done, and duplicates too: a run killed before indexing them left them out
    with Progress(TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=stderr, transient=True) as progress:
        task = progress.add_task("", total=len(files))
        for batch, outcome in zip(batches, outcomes):
            progress.update(task, description=batch[0][0].name)
            for (file, _), (registration, job) in zip(batch, outcome):
                rows.append(row := _row(settings, file, registration, job))
                if row["status"] in ("done", "duplicate"):
                    searchable.append(row["document_id"])
                progress.advance(task)
            if len(searchable) >= PLAYBOOK_BATCH:
                index_in_playbook(settings, searchable, refresh=False)
                searchable = []
        index_in_playbook(settings, searchable, refresh=False)
    return rows


def _row(settings: Settings, file: Path, registration: Any, job: Any) -> dict[str, Any]:
    if isinstance(registration, InputError):
        return {"file": str(file), "document_id": None, "status": "rejected",
                "error": f"{registration.field}: {registration.message}"}
    status = "duplicate" if registration.duplicate else (job.status if job else "queued")
    if status == "done" and _document_status(settings, registration.document_id) == "no_text":
        status = "no_text"  # a blank scan: stored, nothing to read
    return {"file": str(file), "document_id": registration.document_id, "status": status,
            "error": job.error if job else None}


def _document_status(settings: Any, document_id: str) -> str | None:
    from jinnang.ingest.store import DocumentRow, ingest_engine

    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, document_id)
        return document.status if document else None


def print_ingest_table(rows: list[dict[str, Any]]) -> None:
    """One row a file, then what was extracted from each note or form."""
    from jinnang.ingest.store import DocumentRow, ingest_engine
    from jinnang.nlp.store import ExtractionRow, records_engine

    settings = get_settings()
    console = Console(width=max(Console().width, 140))
    table = Table(title="ingested")
    for column in ("file", "document", "status", "kind", "pages", "chars", "min OCR conf."):
        table.add_column(column, overflow="fold")
    extracted: list[tuple[str, Any]] = []
    with Session(ingest_engine(settings)) as session:
        records_engine(settings)
        for row in rows:
            doc = session.get(DocumentRow, row["document_id"]) if row["document_id"] else None
            table.add_row(Path(row["file"]).name, row["document_id"] or "-",
                          row["status"] + (f" ({row['error']})" if row.get("error") else ""),
                          doc.kind if doc else "-", str(len(doc.pages)) if doc else "-",
                          str(len(doc.text or "")) if doc else "-",
                          f"{doc.min_confidence:.2f}" if doc and doc.min_confidence is not None else "-")
            record = session.scalar(select(ExtractionRow).where(ExtractionRow.document_id == row["document_id"]))
            if record is not None:
                extracted.append((Path(row["file"]).name, record.record))
    console.print(table)
    for name, record in extracted:
        people = "、".join(f"{dm.name}{dm.title or ''}({dm.role})" for dm in record.decision_makers) or "-"
        objections = "、".join(o.category for o in record.objections) or "-"
        dates = "、".join(f"{d.type} {d.date}" for d in record.key_dates) or "-"
        console.print(f"[bold]{name}[/bold]  决策人: {people}  异议: {objections}  日期: {dates}  "
                      f"节点: {record.journey_node or '-'}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders (a folder's manifest.jsonl gives metadata)")],
    kind: Annotated[str, typer.Option(help="visit_note | trial_feedback | talk_track")] = "visit_note",
    account: Annotated[str | None, typer.Option(help="account id the documents belong to")] = None,
    rep: Annotated[str | None, typer.Option(help="rep id who wrote them")] = None,
    hospital: Annotated[str | None, typer.Option(help="the account's hospital (fills what the account does not know)")] = None,
    province: Annotated[str | None, typer.Option(help="浙江 / 浙江省")] = None,
    city: Annotated[str | None, typer.Option()] = None,
    hospital_type: Annotated[str | None, typer.Option(help="公立 / 民营 / 公立三甲 …; 公立 makes the account public")] = None,
    product_line: Annotated[str | None, typer.Option()] = None,
    department: Annotated[str | None, typer.Option(help="the clinical department, e.g. 关节外科")] = None,
    reference_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD the notes were written")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a file on stdout")] = False,
    processes: Annotated[int | None, typer.Option(
        help="processes for a folder of notes: this one and N-1 that extract [default: the usable cores, "
             "at most 4]; 1 extracts here")] = None,
) -> None:
    """Ingest text, images and PDFs: OCR, chunk, embed, extract. Re-running stores nothing twice.

    --hospital, --province, --city, --hospital-type, --product-line and --department (or the same keys in a
    folder's manifest.jsonl) fill what the account does not know yet; what the CRM set is never overwritten."""
    settings = get_settings()
    try:
        ref = dt.date.fromisoformat(reference_date) if reference_date else None
    except ValueError:
        typer.echo(f"error: --reference-date: {reference_date!r} is not YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None
    profile = {"province": province, "city": city, "hospital_type": hospital_type, "product_line": product_line,
               "department": department}
    if long := next((k for k, v in profile.items() if v and len(v) > 64), None):
        typer.echo(f"error: --{long.replace('_', '-')}: longer than 64 characters", err=True)
        raise typer.Exit(2)
    if processes is not None and processes < 1:
        typer.echo("error: --processes: must be at least 1", err=True)
        raise typer.Exit(2)
    from jinnang.service.extract_pool import default_processes

    rows = ingest_paths(settings, paths, {"kind": kind, "account_id": account, "rep_id": rep, "hospital": hospital,
                                          "reference_date": ref, **profile},
                        processes=processes if processes is not None else default_processes())
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
    else:
        print_ingest_table(rows)
    bad = [r for r in rows if r["status"] in ("failed", "rejected")]
    for row in bad:
        typer.echo(f"error: {row['file']}: {row['error']}", err=True)
    raise typer.Exit(1 if bad else 0)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What the data dir holds: documents by status, jobs, chunks, extraction records."""
    from jinnang.ingest.chroma_claim import StoreInUse
    from jinnang.ingest.pipeline import CHUNKS_COLLECTION
    from jinnang.ingest.store import ChunkRow, DocumentRow, IngestJobRow, ingest_engine
    from jinnang.ingest.vectors import open_collection
    from jinnang.nlp.store import ExtractionRow, records_engine

    settings = get_settings()
    engine = ingest_engine(settings)
    records_engine(settings)
    with Session(engine) as session:
        by_status = dict(session.execute(select(DocumentRow.status, func.count()).group_by(DocumentRow.status)).all())
        jobs = dict(session.execute(select(IngestJobRow.status, func.count()).group_by(IngestJobRow.status)).all())
        chunks = session.scalar(select(func.count()).select_from(ChunkRow)) or 0
        records = session.scalar(select(func.count()).select_from(ExtractionRow)) or 0
    try:
        vectors: int | str = open_collection(settings, CHUNKS_COLLECTION).count()
    except StoreInUse as exc:  # a running ingest has the store's files: the rest of the status still answers
        vectors = f"not counted: {exc.message}"
    summary = {"data_dir": str(settings.data_dir), "documents": by_status, "jobs": jobs, "chunks": chunks,
               "vectors": vectors, "extraction_records": records,
               "embedding_model": settings.embedding_model, "ocr_engine": settings.ocr_engine}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        for key, value in summary.items():
            typer.echo(f"{key}: {value}")


@bench_app.command("ingest")
def bench_ingest_command(
    folder: Annotated[Path | None, typer.Argument(help="documents to ingest (default: the bundled demo set)")] = None,
    repeat: Annotated[int, typer.Option(help="rounds over the text notes")] = 5,
    engine: Annotated[str, typer.Option(help="rapidocr | tesseract")] = "rapidocr",
    peer: Annotated[str | None, typer.Option(
        help="compare with the LangChain default pipeline: a folder of .txt notes, or 'generated'")] = None,
    notes: Annotated[int, typer.Option(help="with --peer generated: how many notes to generate")] = 200,
    rounds: Annotated[int, typer.Option(help="with --peer: rounds, each running both sides once")] = 3,
    threads: Annotated[int | None, typer.Option(
        help="with --peer: JINNANG_THREADS for jinnang's process (default 1 a process)")] = None,
    processes: Annotated[int | None, typer.Option(
        help="with --peer: `jinnang ingest --processes N` (default: its own, the usable cores)")] = None,
    workers: Annotated[int | None, typer.Option(
        help="time 1 and N `jinnang worker` processes on PostgreSQL + the queue (--notes, --rounds)")] = None,
    database_url: Annotated[str | None, typer.Option(
        help="with --workers: a PostgreSQL URL whose user may create databases [default: JINNANG_DATABASE_URL]")]
    = None,
) -> None:
    """Print notes/s through the whole pipeline and OCR seconds per page (fresh temporary data dir).

    With --peer, `jinnang ingest` and the LangChain default pipeline run as whole processes on the same
    notes, alternating, and both rates, their ratio and the load average are printed."""
    from jinnang.core.paths import DEMO_DOCUMENTS
    from jinnang.eval.bench_ingest import bench_ingest, bench_ingest_peer

    if workers is not None:
        from jinnang.core.settings import get_settings
        from jinnang.eval.bench_workers import bench_workers

        url = database_url or get_settings().database_url or ""
        if workers < 2 or notes < 1 or rounds < 1 or not url.startswith("postgresql"):
            typer.echo("error: --workers needs N ≥ 2 and a PostgreSQL --database-url (or JINNANG_DATABASE_URL)",
                       err=True)
            raise typer.Exit(2)
        result = bench_workers(url, workers=workers, notes=notes, rounds=rounds, say=lambda m: stderr.print(m))
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    if peer is not None:
        folder_ = None if peer == "generated" else Path(peer)
        if folder_ is not None and not folder_.is_dir():
            typer.echo(f"error: --peer: {peer!r} is neither a folder nor 'generated'", err=True)
            raise typer.Exit(2)
        if notes < 1 or rounds < 1 or any(x is not None and x < 1 for x in (threads, processes)):
            typer.echo("error: --notes, --rounds, --threads and --processes must be at least 1", err=True)
            raise typer.Exit(2)
        extra = {"JINNANG_THREADS": str(threads)} if threads else None
        result = bench_ingest_peer(folder_, notes=notes, rounds=rounds, say=lambda m: stderr.print(m),
                                   extra_env=extra, processes=processes)
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(json.dumps(bench_ingest(folder or DEMO_DOCUMENTS, repeat=repeat, ocr_engine=engine), ensure_ascii=False))
