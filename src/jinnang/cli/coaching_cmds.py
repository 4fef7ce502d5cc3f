"""Commands of the coaching area: index, search, playbook build/list/export, eval retrieval, bench search and add-one."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from jinnang.cli.app import app, bench_app, eval_app, playbook_app
from jinnang.cli.jsonl import fail, read_lines, run_jsonl
from jinnang.core.errors import InputError
from jinnang.core.settings import Settings, get_settings


def _settings(store: Optional[Path], embedding_model: Optional[str] = None) -> Settings:
    base = get_settings()
    updates: dict[str, Any] = {}
    if store is not None:
        updates["data_dir"] = store
    if embedding_model:
        updates["embedding_model"] = embedding_model
    return base.model_copy(update=updates) if updates else base


def _log(message: str) -> None:
    typer.echo(message, err=True)


@app.command("index")
def index_cmd(
    corpus: Path = typer.Argument(..., help="JSON Lines of {id, kind, text, meta} (gold-format.md §2 corpus)."),
    store: Optional[Path] = typer.Option(None, "--store", help="Store directory (default: the data dir)."),
    embedding_model: Optional[str] = typer.Option(None, "--embedding-model",
                                                  help="use-multilingual or a local sentence-transformers dir."),
) -> None:
    """Build the playbook search index of a corpus; re-running it adds nothing twice."""
    from jinnang.coaching.store import index_documents, validate_document

    settings = _settings(store, embedding_model)
    docs = []
    for number, raw in read_lines(str(corpus)):
        try:
            docs.append(validate_document(json.loads(raw), where=f"{corpus}:{number}"))
        except json.JSONDecodeError as exc:
            fail(f"{corpus}:{number}: not JSON: {exc.msg}")
        except InputError as exc:
            fail(f"field {exc.field}: {exc.message}")
    try:
        counts = index_documents(settings, docs, log=_log)
    except InputError as exc:
        fail(f"field {exc.field}: {exc.message}")
    _log(f"indexed into {settings.data_dir}: {counts}")


@app.command("search")
def search_cmd(
    jsonl: str = typer.Option(..., "--jsonl", help="JSON Lines of {id, query}; '-' for stdin."),
    store: Optional[Path] = typer.Option(None, "--store", help="Store directory built by `jinnang index`."),
    k: int = typer.Option(10, "--k", min=1, max=100, help="Results per query."),
    embedding_model: Optional[str] = typer.Option(None, "--embedding-model",
                                                  help="Must be the model the store was indexed with."),
) -> None:
    """Search the playbook: out {id, results: [{doc_id, score, snippet}]} best first."""
    from jinnang.coaching.search import search
    from jinnang.coaching.store import load_index

    settings = _settings(store, embedding_model)
    try:
        load_index(settings)
    except InputError as exc:
        fail(exc.message)

    def handle(obj: dict[str, Any]) -> dict[str, Any]:
        query = obj.get("query")
        if not isinstance(query, str):
            raise InputError("query", "`query` must be a string")
        hits = search(settings, query, k=k)
        return {"results": [{"doc_id": h["doc_id"], "score": h["score"], "snippet": h["snippet"]} for h in hits]}

    run_jsonl(jsonl, handle)


@playbook_app.command("build")
def playbook_build_cmd(
    store: Optional[Path] = typer.Option(None, "--store", help="Store directory built by `jinnang index`."),
) -> None:
    """Mine won and lost deals of the indexed documents into playbook scenarios and tips."""
    from jinnang.coaching.playbook import build_playbook

    try:
        counts = build_playbook(_settings(store))
    except InputError as exc:
        fail(exc.message)
    typer.echo(json.dumps(counts, ensure_ascii=False))


@playbook_app.command("list")
def playbook_list_cmd(
    store: Optional[Path] = typer.Option(None, "--store", help="Store directory."),
    department: Optional[str] = typer.Option(None, "--department"),
    journey_node: Optional[str] = typer.Option(None, "--journey-node"),
    category: Optional[str] = typer.Option(None, "--category", help="Objection category or 'general'."),
) -> None:
    """List scenarios (one JSON object a line): id, won/lost deal counts, number of tips."""
    from jinnang.coaching.playbook import list_scenarios

    for row in list_scenarios(_settings(store), department, journey_node, category):
        typer.echo(json.dumps(row, ensure_ascii=False))


@playbook_app.command("export")
def playbook_export_cmd(
    scenario: str = typer.Option(..., "--scenario", help="Scenario id, e.g. '设备科|admission_filing|compliance'."),
    store: Optional[Path] = typer.Option(None, "--store", help="Store directory."),
    fmt: str = typer.Option("markdown", "--format", help="markdown or html."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of standard output."),
) -> None:
    """Export one scenario's tips, each citing its source documents."""
    from jinnang.coaching.playbook import export_scenario

    try:
        text = export_scenario(_settings(store), scenario, fmt)
    except InputError as exc:
        fail(exc.message)
    if out:
        out.write_text(text, encoding="utf-8")
        _log(f"wrote {out}")
    else:
        sys.stdout.write(text + "\n")


@eval_app.command("retrieval")
def eval_retrieval_cmd(
    path: Path = typer.Argument(..., help="Folder with corpus.jsonl and queries.jsonl (gold-format.md §2)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object of metrics."),
    embedding_model: Optional[str] = typer.Option(None, "--embedding-model",
                                                  help="use-multilingual (default) or a local sentence-transformers dir."),
    details: bool = typer.Option(False, "--details", help="Add per-query top 5 and misses."),
) -> None:
    """recall@5, nDCG@10 and MRR of lexical-only, dense-only and hybrid search side by side."""
    from jinnang.eval.retrieval import evaluate

    if not path.is_dir():
        fail(f"{path} is not a folder with corpus.jsonl and queries.jsonl")
    try:
        result = evaluate(path, embedding_model=embedding_model, details=details)
    except InputError as exc:
        fail(exc.message)
    except ValueError as exc:  # e.g. an embedding model dir that does not exist
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        for name in ("lexical", "dense", "hybrid"):
            m = result[name]
            typer.echo(f"{name:8} recall@5 {m['recall@5']:.3f}  nDCG@10 {m['ndcg@10']:.3f}  MRR {m['mrr']:.3f}")


@eval_app.command("fit-weights")
def eval_fit_weights_cmd(
    sets: Optional[list[Path]] = typer.Argument(None, help="Labelled query sets (folders with corpus.jsonl and "
                                                          "queries.jsonl); default: dev + tune + tune2, never a holdout."),
    embedding_model: Optional[str] = typer.Option(None, "--embedding-model", help="use-multilingual (default) or e5-small."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Refit the hybrid's channel weights by leave-one-set-out cross-validation and print, per set, the
    held-out recall@5 / nDCG@10 of the refit beside the shipped weights. Nothing is written: copy the
    weights into coaching/config/search.yaml only if the held-out figures say they generalise."""
    from jinnang.core.paths import CHECKOUT, SHARED_DATA
    from jinnang.eval.retrieval import fit_channel_weights

    tune = CHECKOUT / "eval" / "data" / "retrieval_generalisation"
    chosen = list(sets or [SHARED_DATA / "dev" / "retrieval", tune / "tune", tune / "tune2"])
    for path in chosen:
        if not (path / "corpus.jsonl").is_file() or not (path / "queries.jsonl").is_file():
            fail(f"{path} is not a folder with corpus.jsonl and queries.jsonl")
    names = {f"{p.parent.name}/{p.name}": p for p in chosen}
    try:
        result = fit_channel_weights(names, embedding_model=embedding_model, say=_log)
    except (InputError, ValueError) as exc:
        fail(getattr(exc, "message", None) or str(exc))
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(f"{result['embedding_model']}: shipped {result['shipped_channels']}, refit {result['channels']} "
               f"({result['n_weightings']} weightings)")
    for name, fold in result["held_out"].items():
        r, s = fold["refit"], fold["shipped"]
        typer.echo(f"  {name:<28} held out: refit recall@5 {r['recall@5']:.3f} nDCG@10 {r['ndcg@10']:.3f} | "
                   f"shipped {s['recall@5']:.3f} / {s['ndcg@10']:.3f}")


@bench_app.command("search")
def bench_search_cmd(
    chunks: int = typer.Option(100_000, "--chunks", help="Chunks in the generated index."),
    distinct: int = typer.Option(2000, "--distinct", help="Distinct sentences embedded with the real model."),
    queries: int = typer.Option(200, "--queries", help="Timed queries."),
    store: Optional[Path] = typer.Option(None, "--store", help="Where to build (default: a temporary dir)."),
    reuse: bool = typer.Option(False, "--reuse", help="Keep an index already built in --store; time queries only."),
) -> None:
    """Build a generated index of CHUNKS chunks and print index build time and p50/p99 query latency."""
    from jinnang.eval.bench_search import run_bench

    typer.echo(json.dumps(run_bench(chunks=chunks, distinct=distinct, n_queries=queries, store=store, log=_log,
                                    reuse=reuse),
                          ensure_ascii=False))


@bench_app.command("add-one")
def bench_add_one_cmd(
    sizes: str = typer.Option("1000,10000,100000", "--sizes", help="Store sizes in chunks, comma-separated."),
    adds: int = typer.Option(7, "--adds", min=1, help="Documents added one call each (the median is printed)."),
    queries: int = typer.Option(200, "--queries", min=1, help="Timed searches after the adds."),
    distinct: int = typer.Option(2000, "--distinct", min=10, help="Distinct sentences embedded with the real model."),
    store: Optional[Path] = typer.Option(None, "--store", help="Where to build the stores (default: a temporary dir)."),
) -> None:
    """Seconds to add one document at each store size, and search p50/p99 after."""
    from jinnang.eval.bench_add_one import run_add_one

    try:
        parsed = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError:
        fail(f"--sizes: {sizes!r} is not a comma-separated list of numbers")
    if not parsed or min(parsed) < 1:
        fail("--sizes: give at least one size of 1 or more")
    typer.echo(json.dumps(run_add_one(parsed, adds=adds, distinct=distinct, n_queries=queries, store=store, log=_log),
                          ensure_ascii=False))
