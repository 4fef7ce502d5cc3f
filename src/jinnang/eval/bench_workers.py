"""`jinnang bench ingest --workers N`: the same notes ingested by 1 and by N `jinnang worker`
processes on PostgreSQL + the queue, side by side; prints both rates, their ratio and the load.

Each run gets a fresh database on the server and a fresh data dir; the notes are registered and
deferred first (as uploads through the web would be), then the workers start and the clock runs
until the last one exits (`--exit-when-idle`): whole processes, start-up and model loading
included. The rate after the first finished job (start-up excluded) is printed beside it. Runs
alternate which configuration goes first each round, so a change in the machine's load falls on both.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.orm import Session

from jinnang.core.settings import Settings
from jinnang.eval.bench_ingest import generate_notes


def _fresh_database(server_url: str) -> str:
    name = f"jinnang_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(server_url: str, url: str) -> None:
    from jinnang.core.db import dispose_engines
    from jinnang.service.queue import close_queue_clients

    close_queue_clients()
    dispose_engines()
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def run_once(server_url: str, notes: list[Path], workers: int, root: Path) -> dict[str, Any]:
    """Register and defer `notes` on a fresh database, then time `workers` worker processes to the end."""
    from jinnang.ingest.store import IngestJobRow, ingest_engine
    from jinnang.service.chroma_child import start_chroma_child
    from jinnang.service.pipeline import ensure_all_tables, register_document
    from jinnang.service.queue import ensure_queue_schema, submit_job
    from jinnang.service.worker import worker_command

    url = _fresh_database(server_url)
    data_dir = root / f"data-{uuid.uuid4().hex[:8]}"
    try:
        settings = Settings(data_dir=data_dir, database_url=url, job_runner="workers")
        ensure_all_tables(settings)
        ensure_queue_schema(settings)
        for note in notes:
            registration = register_document(settings, note.read_bytes(), note.name, rep_id="rep-bench")
            if registration.job_id:
                submit_job(settings, registration.job_id, lambda *_: None)
        # several workers share one Chroma server, as in production (the embedded store is one process's)
        chroma = start_chroma_child(settings)
        env = {**os.environ, **chroma.env, "JINNANG_DATA_DIR": str(data_dir), "JINNANG_DATABASE_URL": url,
               "JINNANG_LOG_LEVEL": "WARNING"}
        env.pop("JINNANG_CONFIG", None)
        engine = ingest_engine(settings)
        started = time.perf_counter()
        logs = [data_dir / f"worker-{i}.log" for i in range(workers)]  # a file, not a pipe nobody drains
        processes = [subprocess.Popen(worker_command(exit_when_idle=True), env=env, stdout=subprocess.DEVNULL,
                                      stderr=log.open("w")) for log in logs]
        first_done: float | None = None
        while any(p.poll() is None for p in processes):
            if first_done is None:
                with Session(engine) as session:
                    if session.scalar(select(func.count()).select_from(IngestJobRow)
                                      .where(IngestJobRow.status == "done")):
                        first_done = time.perf_counter()
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        chroma.stop()
        errors = [log.read_text()[-2000:] for p, log in zip(processes, logs) if p.returncode]
        if errors:
            raise RuntimeError(f"a worker failed: {errors[0]}")
        with Session(engine) as session:
            done = session.scalar(select(func.count()).select_from(IngestJobRow).where(IngestJobRow.status == "done"))
        after_start = seconds - ((first_done or started) - started)
        return {"workers": workers, "seconds": round(seconds, 2), "done": done,
                "notes_per_s": round((done or 0) / seconds, 2),
                "notes_per_s_after_first": round(((done or 1) - 1) / after_start, 2) if after_start > 0 else None}
    finally:
        _drop_database(server_url, url)


def bench_workers(server_url: str, workers: int = 2, notes: int = 200, rounds: int = 2,
                  say: Callable[[str], None] | None = None) -> dict[str, Any]:
    """1 worker against `workers` workers, `rounds` times each, alternating; `server_url` is a
    PostgreSQL URL whose user may create databases."""
    if not server_url.startswith("postgresql"):
        raise ValueError("bench ingest --workers needs PostgreSQL: set JINNANG_DATABASE_URL (or --database-url)")
    report = say or (lambda _m: None)
    runs: dict[int, list[dict[str, Any]]] = {1: [], workers: []}
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="jinnang-bench-workers-") as tmp:
        root = Path(tmp)
        folder = generate_notes(root / "notes", notes)
        for round_ in range(rounds):
            for count in ([1, workers] if round_ % 2 == 0 else [workers, 1]):
                run = run_once(server_url, folder, count, root)
                runs[count].append(run)
                loads.append(os.getloadavg()[0])
                report(f"round {round_ + 1}, {count} worker(s): {run['seconds']} s, {run['notes_per_s']} notes/s "
                       f"({run['notes_per_s_after_first']} after the first note), load {loads[-1]:.2f}")
    one = [r["notes_per_s"] for r in runs[1]]
    many = [r["notes_per_s"] for r in runs[workers]]
    ratios = [m / o for m, o in zip(many, one) if o]
    steady = [m["notes_per_s_after_first"] / o["notes_per_s_after_first"] for m, o in zip(runs[workers], runs[1])
              if m["notes_per_s_after_first"] and o["notes_per_s_after_first"]]
    return {"notes": notes, "rounds": rounds, "workers": workers,
            "one_worker_notes_per_s": one, f"{workers}_workers_notes_per_s": many,
            "ratio_per_round": [round(r, 2) for r in ratios],
            "ratio_median": round(statistics.median(ratios), 2) if ratios else None,
            "ratio_after_first_note_median": round(statistics.median(steady), 2) if steady else None,
            "load_1min": [round(x, 2) for x in loads], "cpus": os.cpu_count(),
            "threads_per_worker": os.environ.get("JINNANG_THREADS", "1 (default)")}
