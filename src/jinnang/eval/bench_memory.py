"""`jinnang bench memory`: the web process's own memory and latency when it runs no ingest jobs.

Issue 13's targets are for the web process once workers run the jobs: its RSS after 1,000 fuzzed uploads
(≤ 600 MB) and p99 ≤ 1 s under 50 clients. This starts `jinnang serve` over a fresh copy of the demo with
jobs kept out of it (the `job_runner = "workers"` setting where it exists; else the upload route's job is
not started, so an upload is only checked at the door and registered), then prints RSS (current, peak,
anonymous) and which heavy native libraries are mapped: idle after warm-up, after N uploads (bench load's
fuzzed files plus real phone photos and PDFs, which the door decodes in full) and after the mixed load."""
from __future__ import annotations

import asyncio
import io
import os
import random
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from jinnang.eval.bench_load import KEYS, Server, _mixed, fuzz_file, rss_mb, tracebacks

# the server's command line: `registrations-only` keeps ingest jobs out of the web process; `jobs` is the
# embedded default (jobs in the web's threads), for comparison
BOOT = """
import os, sys
mode, apart = sys.argv[1], sys.argv[2] == "apart"
import jinnang.service.startup as startup
if apart and hasattr(startup, "startup_problems_apart"):  # until `serve` calls it itself
    startup.startup_problems = startup.startup_problems_apart
if mode == "registrations-only":
    from jinnang.core.settings import Settings
    if "job_runner" in Settings.model_fields:
        os.environ["JINNANG_JOB_RUNNER"] = "workers"
    import jinnang.api.routes.documents as documents
    documents.run_job = lambda *args, **kwargs: None  # the job stays queued: a worker's business
sys.argv = ["jinnang", "serve", *sys.argv[3:]]
from jinnang.cli import main
main()
"""
# native libraries that say which models a process holds (a web without jobs needs none of the OCR ones)
HEAVY_LIBRARIES = ("libtorch", "onnxruntime", "cv2", "thinc", "spacy", "blis", "pdfium", "rapidocr", "tesseract",
                   "sklearn", "weasyprint", "pango", "_imaging")


def memory(pid: int) -> dict[str, Any]:
    """RSS now and at peak, its anonymous (heap) part, in MB, and the heavy libraries mapped."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = dict(re.findall(r"^(RssAnon|VmSwap):\s+(\d+) kB", status, re.M))
    maps = Path(f"/proc/{pid}/maps").read_text()
    libraries = sorted({name for name in HEAVY_LIBRARIES if name in maps})
    return {**rss_mb(pid), "anon_mb": round(int(found.get("RssAnon", 0)) / 1024, 1), "libraries": libraries}


def photo_base(width: int = 4032, height: int = 3024, seed: int = 7) -> bytes:
    """A 12-megapixel phone-photo-like JPEG (smooth light with noise: a typical 2–4 MB file)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    ramp = np.linspace(90, 220, width, dtype=np.float32)[None, :] + np.linspace(0, 30, height, dtype=np.float32)[:, None]
    pixels = np.clip(ramp[..., None] + rng.normal(0, 12, (height, width, 3)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=85)
    return out.getvalue()


def pdf_base(pages: int = 4, seed: int = 8) -> bytes:
    """A scanned-looking PDF of A4 pages at 150 dpi."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    images = [Image.fromarray(rng.integers(200, 256, (1754, 1240), dtype=np.uint8)) for _ in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=150)
    return out.getvalue()


def upload_files(count: int, run: str, seed: int, door_share: float) -> list[tuple[str, str, bytes]]:
    """Bench load's fuzzed files, with every `1/door_share`-th upload a real photo or PDF made unique by a
    trailing nonce (decoders ignore bytes after the end of the image or the PDF)."""
    from jinnang.eval.bench_load import _zip_bomb

    rng, bomb = random.Random(seed), _zip_bomb()
    photo, pdf = photo_base(), pdf_base()
    every = max(1, round(1 / door_share)) if door_share > 0 else 0
    files, fuzzed = [], 0
    for number in range(count):
        nonce = f"\n%{run}-{number}\n".encode()
        if every and number % every == every - 1:
            files.append(("photo", f"photo-{run}-n{number}.jpg", photo + nonce) if (number // every) % 2 == 0
                         else ("pdf", f"scan-{run}-n{number}.pdf", pdf + nonce))
        else:  # the fuzz kinds keep taking turns between them
            files.append(fuzz_file(fuzzed, rng, run, bomb))
            fuzzed += 1
    return files


async def send_uploads(url: str, files: list[tuple[str, str, bytes]], timeout: float, concurrency: int = 4
                       ) -> dict[str, Any]:
    """Every file once, `concurrency` at a time, as rep7; statuses by kind and the door's time per kind."""
    statuses: Counter[tuple[str, str]] = Counter()
    seconds: dict[str, list[float]] = {}
    queue = iter(files)

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=timeout, headers={"X-API-Key": "rep7"}) as http:
            for kind, name, data in queue:
                started = time.perf_counter()
                try:
                    answer = await http.post("/v1/documents", files={"file": (name, data)}, data={"kind": "visit_note"})
                    statuses[kind, str(answer.status_code)] += 1
                except httpx.HTTPError as exc:
                    statuses[kind, type(exc).__name__] += 1
                seconds.setdefault(kind, []).append(time.perf_counter() - started)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    kinds = sorted({k for k, _s in statuses})
    return {"sent": sum(statuses.values()),
            "server_errors_5xx": sum(n for (_k, s), n in statuses.items() if s.startswith("5")),
            "by_kind": {k: {s: n for (kk, s), n in sorted(statuses.items()) if kk == k} for k in kinds},
            "median_ms_by_kind": {k: round(sorted(v)[len(v) // 2] * 1000, 1) for k, v in sorted(seconds.items())}}


def bench_memory(uploads: int = 1000, clients: int = 50, seconds: float = 60, jobs_in_web: bool = False,
                 check_apart: bool = True, arena_max: int | None = None, door_share: float = 0.1,
                 timeout: float = 120, seed: int = 13, from_data: Path | None = None, settle: float = 3.0,
                 log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Idle → N uploads → the mixed load, the server's memory after each (with the load average).
    `check_apart`: the start-up check runs in a child process; `arena_max`: MALLOC_ARENA_MAX for the server."""
    say = log or (lambda _m: None)
    run = "".join(random.Random().choices(string.ascii_lowercase, k=8))
    mode = "jobs" if jobs_in_web else "registrations-only"
    serve = [sys.executable, "-c", BOOT, mode, "apart" if check_apart else "here"]
    result: dict[str, Any] = {"run": run, "mode": mode, "check_apart": check_apart, "arena_max": arena_max,
                              "load_average_before": os.getloadavg()}
    previous = os.environ.get("MALLOC_ARENA_MAX")
    if arena_max:  # the server inherits this process's environment
        os.environ["MALLOC_ARENA_MAX"] = str(arena_max)
    try:
        server = Server(from_data, KEYS, say, serve=serve)
    finally:
        if arena_max:
            os.environ.pop("MALLOC_ARENA_MAX") if previous is None else os.environ.update(MALLOC_ARENA_MAX=previous)
    pid = server.process.pid
    result["startup_s"] = server.startup_s
    result["server_log"] = str(server.log_path)
    try:
        time.sleep(settle)  # the start-up handlers' threads finish (scheduler, warm-up)
        result["idle"] = {**memory(pid), "load_average": os.getloadavg()}
        say(f"idle after warm-up: {result['idle']}")
        if uploads:
            files = upload_files(uploads, run, seed, door_share)
            started = time.perf_counter()
            result["uploads"] = asyncio.run(send_uploads(server.url, files, timeout))
            result["uploads"]["wall_s"] = round(time.perf_counter() - started, 1)
            del files
            time.sleep(settle)
            result["after_uploads"] = {**memory(pid), "load_average": os.getloadavg()}
            say(f"after {uploads} uploads: {result['after_uploads']}")
        if clients and seconds:
            say(f"mixed run: {clients} clients × {seconds:g} s with uploads")
            tally = asyncio.run(_mixed(server.url, clients, seconds, True, run, timeout, seed))
            summary = tally.summary()
            result["load"] = {key: summary[key] for key in ("requests", "server_errors_5xx", "errors_by_status",
                                                            "timeouts_or_transport_errors", "uploads_accepted")}
            result["load"]["p50_p99_ms"] = {route: (r["p50_ms"], r["p99_ms"]) for route, r in summary["routes"].items()}
            time.sleep(settle)
            result["after_load"] = {**memory(pid), "load_average": os.getloadavg()}
            say(f"after the load: {result['after_load']}")
    finally:
        server.stop()
        result["server_tracebacks"] = tracebacks(server.log_path.read_text(errors="replace"))
    result["load_average_after"] = os.getloadavg()
    return result
