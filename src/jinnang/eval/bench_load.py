"""`jinnang bench load`: a team using the service at once, and the server's memory after fuzzed uploads.

Over loopback HTTP against `jinnang serve` in its own process. The mixed run: N clients (an asyncio task
and connection pool each, no think time) for S seconds mix next actions, playbook search, the review list,
unique note uploads and polling of their jobs; then the jobs get a grace period and each accepted upload is
read back through the API and counted in the database. The fuzz run: broken and odd uploads, then RSS.
Printed with the load average, RSS and the server log's tracebacks grouped by last line (log kept)."""
from __future__ import annotations

import asyncio
import io
import os
import random
import re
import shutil
import sqlite3
import string
import struct
import subprocess
import tempfile
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from jinnang.eval.bench_pages import _command, _free_port

KEYS = "rep7:rep:rep-07,rep8:rep:rep-08,mgr:manager:mgr-02:rep-07|rep-08,crm:crm:crm"
CALLERS = (("rep7", "rep-07"), ("rep8", "rep-08"), ("mgr", "mgr-02"), ("crm", "crm"))  # client i is CALLERS[i % 4]
ACCOUNTS = {"rep-07": ("acc-demo-01", "acc-demo-03", "acc-demo-04", "acc-demo-05", "acc-demo-06"),
            "rep-08": ("acc-demo-02", "acc-demo-07", "acc-demo-08", "acc-demo-09", "acc-demo-10")}
QUERIES = ("价格太高了", "竞品已经进院了怎么应对", "设备科说预算没批", "临床试用反馈不好", "招标参数怎么写",
           "院长不同意引进", "信息科担心数据安全", "the head nurse wants a trial first")
# weights of what a client does next; crm keys may not search or review (403 by design, not load)
MIX = {"next_action_post": 2, "next_action_get": 1, "search": 3, "review": 2, "upload": 1, "job": 1}
CRM_MIX = {"next_action_post": 3, "next_action_get": 1, "upload": 1, "job": 1}
FINISHED_JOB = ("done", "failed")
SNAPSHOT: dict[str, Any] = {  # one of the shared dev set's CRM snapshots, cut short
    "account_id": "acc-load-1", "hospital": "杭州市余杭区第一人民医院", "hospital_tier": "三乙", "is_public": True,
    "province": "浙江", "rep_id": "rep-07", "manager_id": "mgr-02", "journey_node": "admission_filing",
    "node_entered_at": "2026-03-03T10:00:00", "last_updated_at": "2026-03-05T11:00:00",
    "fields": {"device_model": "OR-Link", "demo_date": "2026-02-26"}, "documents": [], "open_objections": [],
    "contacts": [{"name": "宋", "title": "科长", "department": "设备科", "role": "equipment_dept"}],
    "visits": [{"date": "2026-02-26", "sample_brought": True, "questions_resolved": 2, "cross_dept_needs": []}],
    "orders": []}


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0.99 of 100 values is the 99th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(len(ordered) * share + 0.999999) - 1))]


@dataclass
class Tally:
    """What the clients saw: one entry per request that got an answer (or timed out)."""

    times: dict[str, list[float]] = field(default_factory=dict)  # route → seconds of answered requests
    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)  # (route, "200" | "timeout" | …)
    uploads_sent: int = 0
    accepted: dict[str, str | None] = field(default_factory=dict)  # document id → job id, of every 202

    def record(self, route: str, status: str, seconds: float) -> None:
        self.statuses[route, status] += 1
        if status.isdigit():
            self.times.setdefault(route, []).append(seconds)

    def summary(self) -> dict[str, Any]:
        errors: Counter[str] = Counter()
        server: Counter[str] = Counter()
        for (route, status), n in self.statuses.items():
            if not status.startswith(("2", "3")):
                errors[status] += n
            if status.startswith("5"):
                server[f"{route} {status}"] += n
        routes = {r: {"requests": len(t), "p50_ms": round(percentile(t, 0.5) * 1000, 1),
                      "p99_ms": round(percentile(t, 0.99) * 1000, 1), "max_ms": round(max(t) * 1000, 1),
                      "statuses": dict(sorted((s, n) for (rr, s), n in self.statuses.items() if rr == r))}
                  for r, t in sorted(self.times.items())}
        return {"requests": sum(len(t) for t in self.times.values()),
                "timeouts_or_transport_errors": sum(n for (_r, s), n in self.statuses.items() if not s.isdigit()),
                "errors_by_status": dict(sorted(errors.items())), "server_errors_5xx": sum(server.values()),
                "server_errors_by_route": dict(sorted(server.items())), "routes": routes,
                "uploads_sent": self.uploads_sent, "uploads_accepted": len(self.accepted)}


def note_text(run: str, number: int, rng: random.Random) -> str:
    """A short visit note no other upload shares (its run id and number are in it)."""
    person, title = rng.choice((("王", "主任"), ("李", "科长"), ("张", "护士长"), ("陈", "副院长")))
    topic = rng.choice(("价格偏高，要我们再报一次价", "竞品已经进院，想看我们的临床数据", "预算下个月才批",
                        "试用两周反馈不错，想扩大到两个病区"))
    return f"负载测试 {run} 第{number}条：今天拜访{person}{title}，{topic}。下周二再去设备科确认。"


class Client:
    """One simulated user: a key, a connection pool and the jobs of its own uploads still to poll."""

    def __init__(self, http: httpx.AsyncClient, key: str, subject: str, tally: Tally, run: str,
                 rng: random.Random, counter: Callable[[], int]):
        self.http, self.key, self.subject, self.tally, self.run, self.rng = http, key, subject, tally, run, rng
        self.counter, self.jobs = counter, list[str]()

    async def call(self, route: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            answer = await self.http.request(method, path, headers={"X-API-Key": self.key}, **kwargs)
        except httpx.HTTPError as exc:  # a timeout or a dropped connection: no answer, counted by its kind
            self.tally.record(route, "timeout" if isinstance(exc, httpx.TimeoutException) else type(exc).__name__,
                              time.perf_counter() - started)
            return None
        self.tally.record(route, str(answer.status_code), time.perf_counter() - started)
        return answer

    async def step(self, uploads: bool) -> None:
        mix = {r: w for r, w in (CRM_MIX if self.key == "crm" else MIX).items()
               if (uploads or r != "upload") and (self.jobs or r != "job")}
        route = self.rng.choices(list(mix), weights=list(mix.values()))[0]
        rep = self.subject if self.subject in ACCOUNTS else self.rng.choice(sorted(ACCOUNTS))
        if route == "next_action_post":
            await self.call(route, "POST", "/v1/next-actions", json={**SNAPSHOT, "rep_id": rep})
        elif route == "next_action_get":
            await self.call(route, "GET", f"/v1/accounts/{self.rng.choice(ACCOUNTS[rep])}/next-actions")
        elif route == "search":
            await self.call(route, "GET", "/v1/playbook/search", params={"q": self.rng.choice(QUERIES)})
        elif route == "review":
            await self.call(route, "GET", "/v1/review/records", params={"limit": 20})
        elif route == "job":
            answer = await self.call(route, "GET", f"/v1/jobs/{self.jobs[0]}")
            if answer is not None and answer.status_code == 200 and answer.json()["status"] in FINISHED_JOB:
                self.jobs.pop(0)
            else:
                self.jobs.append(self.jobs.pop(0))
        else:
            await self.upload(rep)

    async def upload(self, rep: str) -> None:
        number = self.counter()
        form = {"kind": "visit_note"}
        if self.subject != rep:
            form["rep_id"] = rep  # a manager or the CRM files for one of the reps
        if self.rng.random() < 0.5:
            form["account_id"] = self.rng.choice(ACCOUNTS[rep])
        text = note_text(self.run, number, self.rng).encode()
        self.tally.uploads_sent += 1
        answer = await self.call("upload", "POST", "/v1/documents", data=form,
                                 files={"file": (f"load-{self.run}-n{number}.txt", text, "text/plain")})
        if answer is not None and answer.status_code == 202:
            body = answer.json()
            self.tally.accepted[body["document_id"]] = body["job_id"]
            if body["job_id"]:
                self.jobs.append(body["job_id"])


async def _mixed(url: str, clients: int, seconds: float, uploads: bool, run: str, timeout: float,
                 seed: int) -> Tally:
    tally, numbers = Tally(), iter(range(1, 10**9))
    deadline = time.monotonic() + seconds

    async def one(index: int) -> None:
        key, subject = CALLERS[index % len(CALLERS)]
        async with httpx.AsyncClient(base_url=url, timeout=timeout) as http:
            client = Client(http, key, subject, tally, run, random.Random(seed * 1000 + index),
                            lambda: next(numbers))
            while time.monotonic() < deadline:
                await client.step(uploads)

    await asyncio.gather(*(one(i) for i in range(clients)))
    return tally


async def settle_jobs(url: str, jobs: list[str], grace: float, key: str = "mgr") -> dict[str, Any]:
    """Poll every job until it ends or `grace` seconds pass (a job still queued or running then is stuck);
    each job's answer carries its document's status, read back through the API."""
    final: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + grace
    async with httpx.AsyncClient(base_url=url, timeout=30, headers={"X-API-Key": key}) as http:
        while True:
            for job in [j for j in jobs if j not in final or final[j].get("status") not in FINISHED_JOB]:
                try:
                    answer = await http.get(f"/v1/jobs/{job}")
                    final[job] = answer.json() if answer.status_code == 200 else {"status": f"http {answer.status_code}"}
                except httpx.HTTPError as exc:
                    final[job] = {"status": type(exc).__name__}
            if all(f.get("status") in FINISHED_JOB for f in final.values()) or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
    states = Counter(f.get("status") for f in final.values())
    failed = Counter(str(f.get("error"))[:160] for f in final.values() if f.get("status") == "failed")
    return {"jobs": len(jobs), "by_status": dict(states), "failed": states["failed"],
            "stuck": sum(n for s, n in states.items() if s not in FINISHED_JOB),
            "failure_reasons": dict(failed.most_common(8)), "document_status": dict(Counter(
                str(f.get("document_status")) for f in final.values()))}


def count_in_database(sqlite_path: Path, prefix: str, accepted: dict[str, str | None]) -> dict[str, Any]:
    """The run's documents as the database holds them (by their file name, which carries the run id)."""
    with sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True, timeout=30) as db:
        rows = db.execute("SELECT id, filename FROM documents WHERE filename LIKE ?", (prefix + "%",)).fetchall()
        chunkless = db.execute("SELECT COUNT(*) FROM documents d WHERE d.filename LIKE ? AND d.status = 'done' AND "
                               "NOT EXISTS (SELECT 1 FROM chunks c WHERE c.document_id = d.id)",
                               (prefix + "%",)).fetchone()[0]
    names = Counter(name for _id, name in rows)
    ids = {row_id for row_id, _n in rows}
    return {"rows": len(rows), "stored_twice": sum(1 for n in names.values() if n > 1),
            "accepted_not_stored": len(set(accepted) - ids), "stored_not_accepted": len(ids - set(accepted)),
            "done_without_chunks": chunkless}


def rss_mb(pid: int) -> dict[str, float]:
    """The process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
    return {"rss_mb": round(int(found.get("VmRSS", 0)) / 1024, 1), "peak_mb": round(int(found.get("VmHWM", 0)) / 1024, 1)}


def tracebacks(log_text: str, examples: int = 4) -> dict[str, Any]:
    """The log's tracebacks grouped by their last line; the first of the commonest kinds, with our frames."""
    found = [(m.group(1)[:200], m.group(0)) for m in re.finditer(
        r"Traceback \(most recent call last\):\n(?:[ \t].*\n|\n)*?(\S.*)", log_text)
        if not m.group(1).startswith(("During handling", "The above exception"))]  # a chain counts once, by its end
    kinds = Counter(last for last, _block in found)
    shown = []
    for last, _n in kinds.most_common(examples):
        block = next(b for lst, b in found if lst == last)
        frames = re.findall(r'File ".*?/(jinnang/[^"]+)", line (\d+), in (\w+)', block)
        shown.append({"error": last, "our_frames": [f"{f}:{line} {fn}" for f, line, fn in frames][-8:]})
    return {"count": len(found), "by_last_line": dict(kinds.most_common(12)), "examples": shown,
            "retry_warnings": log_text.count("transient failure, retrying"),
            "http_500_lines": len(re.findall(r'" 500\b', log_text))}


class Server:
    """`jinnang serve` over a fresh copy of the demo (or of `from_data`), its output kept in a log file."""

    def __init__(self, from_data: Path | None, keys: str, say: Callable[[str], None], serve: list[str] | None = None):
        self.workdir = Path(tempfile.mkdtemp(prefix="jinnang-bench-load-"))
        self.data_dir = self.workdir / "data"
        self.log_path = Path(tempfile.mkstemp(prefix="jinnang-bench-load-", suffix=".log")[1])
        self.env = {**os.environ, "JINNANG_DATA_DIR": str(self.data_dir), "JINNANG_API_KEYS": keys,
                    "OMP_THREAD_LIMIT": "1", "HF_HUB_OFFLINE": "1"}
        if from_data is not None:
            shutil.copytree(from_data, self.data_dir)
        else:
            say("loading the demo into a fresh data dir")
            subprocess.run([_command("jinnang"), "demo", "--no-serve"], env=self.env, check=True, capture_output=True)
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        with self.log_path.open("w") as log:  # the child keeps its own handle
            self.process = subprocess.Popen([*(serve or [_command("jinnang"), "serve"]), "--port", str(port)], env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        while not self._healthy():
            if self.process.poll() is not None or time.perf_counter() - started > 180:
                self.stop()
                raise RuntimeError(f"jinnang serve did not start; see {self.log_path}")
            time.sleep(0.1)
        self.startup_s = round(time.perf_counter() - started, 2)

    def _healthy(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        shutil.rmtree(self.workdir, ignore_errors=True)


def bench_load(url: str | None = None, clients: int = 50, seconds: float = 60, uploads: bool = True,
               fuzz_uploads: int = 0, grace: float = 120, timeout: float = 120, seed: int = 13,
               from_data: Path | None = None, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The mixed run (or, with `fuzz_uploads`, the fuzz run); `url` uses a running server with KEYS' keys."""
    say = log or (lambda _m: None)
    run = "".join(random.Random().choices(string.ascii_lowercase, k=8))
    result: dict[str, Any] = {"run": run, "load_average_before": os.getloadavg()}
    server = None if url else Server(from_data, KEYS, say)
    base = server.url if server is not None else str(url)
    if server is not None:
        result.update(startup_s=server.startup_s, server_log=str(server.log_path), rss_before=rss_mb(server.process.pid))
    try:
        if fuzz_uploads:
            result["fuzz"] = asyncio.run(fuzz(base, fuzz_uploads, run, seed, timeout, say, server.process.pid if server else None))
            jobs = [j for j in result["fuzz"].pop("job_ids") if j]
            say(f"fuzz: {fuzz_uploads} uploads sent; waiting for {len(jobs)} jobs")
            if server is not None:
                result["rss_after_uploads"] = rss_mb(server.process.pid)
            result["jobs"] = asyncio.run(settle_jobs(base, jobs, grace))
        else:
            say(f"mixed run: {clients} clients × {seconds:g} s, uploads {'on' if uploads else 'off'}")
            started = time.perf_counter()
            tally = asyncio.run(_mixed(base, clients, seconds, uploads, run, timeout, seed))
            result["wall_s"] = round(time.perf_counter() - started, 1)
            result["load_average_end_of_run"] = os.getloadavg()
            result.update(tally.summary())
            if server is not None:
                result["rss_end_of_run"] = rss_mb(server.process.pid)
            say(f"{result['requests']} requests answered; settling {len(tally.accepted)} uploads' jobs")
            result["jobs"] = asyncio.run(settle_jobs(base, [j for j in tally.accepted.values() if j], grace))
            if server is not None:  # the API's view is the jobs' document_status; this is the database's
                result["stored"] = count_in_database(server.data_dir / "jinnang.sqlite3", f"load-{run}-",
                                                     tally.accepted)
        if server is not None:
            result["rss_after"] = rss_mb(server.process.pid)
    finally:
        if server is not None:
            server.stop()
            result["server_tracebacks"] = tracebacks(server.log_path.read_text(errors="replace"))
    result["load_average_after"] = os.getloadavg()
    return result


FUZZ_KINDS = ("random_bytes", "truncated_png", "huge_png_header", "empty", "zip_like", "zip_bomb", "long_text",
              "broken_pdf", "noise_png", "gbk_note")


def _png(width: int, height: int, pixels: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + pixels[r * width:(r + 1) * width] for r in range(height)) if pixels else b"\0" * 64
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:  # a .docx whose text is 64 MB of spaces
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b" " * (64 * 1024 * 1024))
    return buffer.getvalue()


def fuzz_file(number: int, rng: random.Random, run: str, bomb: bytes = b"") -> tuple[str, str, bytes]:
    """(kind, file name, bytes) of upload `number`: the kinds take turns; every non-empty file is unique."""
    kind = FUZZ_KINDS[number % len(FUZZ_KINDS)]
    nonce = f"{run}-{number}".encode()
    if kind == "random_bytes":
        data = nonce + rng.randbytes(rng.randint(1, 65536))
    elif kind in ("truncated_png", "noise_png"):
        width, height = rng.randint(40, 400), rng.randint(40, 300)
        full = _png(width, height, rng.randbytes(width * height))
        data = full if kind == "noise_png" else full[:rng.randint(33, len(full) - 13)]
    elif kind == "huge_png_header":
        side = rng.choice((65_000, 100_000, 2**31 - 1))
        data = _png(side, side, b"") + nonce
    elif kind == "empty":
        data = b""
    elif kind == "zip_like":
        data = b"PK\x03\x04" + nonce + rng.randbytes(rng.randint(0, 4096))
    elif kind == "zip_bomb":
        data = bomb[:-2] + struct.pack("<H", len(nonce)) + nonce  # the same bomb, its comment made unique
    elif kind == "long_text":
        data = (nonce.decode() + "".join(rng.choice(QUERIES) + "。" for _ in range(rng.randint(300, 3000)))).encode()
    elif kind == "broken_pdf":
        data = b"%PDF-1.7\n" + nonce + rng.randbytes(rng.randint(10, 8192))
    else:
        data = note_text(run, number, rng).encode("gbk")
    suffix = {"truncated_png": "png", "noise_png": "png", "huge_png_header": "png", "zip_like": "docx",
              "zip_bomb": "docx", "broken_pdf": "pdf"}.get(kind, "txt")
    return kind, f"fuzz-{run}-n{number}.{suffix}", data


async def fuzz(url: str, count: int, run: str, seed: int, timeout: float, say: Callable[[str], None],
               pid: int | None = None) -> dict[str, Any]:
    """`count` fuzzed uploads, 4 at a time; statuses by kind, the accepted uploads' job ids; RSS every 100."""
    rng, bomb = random.Random(seed), _zip_bomb()
    files = [fuzz_file(n, rng, run, bomb) for n in range(count)]
    by_kind: Counter[tuple[str, str]] = Counter()
    job_ids: list[str | None] = []
    queue = iter(files)

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=timeout, headers={"X-API-Key": "rep7"}) as http:
            for kind, name, data in queue:
                try:
                    answer = await http.post("/v1/documents", files={"file": (name, data)}, data={"kind": "visit_note"})
                    by_kind[kind, str(answer.status_code)] += 1
                    if answer.status_code == 202:
                        job_ids.append(answer.json()["job_id"])
                except httpx.HTTPError as exc:
                    by_kind[kind, type(exc).__name__] += 1
                if sum(by_kind.values()) % 100 == 0:
                    say(f"fuzz: {sum(by_kind.values())} sent" + (f", server {rss_mb(pid)}" if pid else ""))

    await asyncio.gather(*(worker() for _ in range(4)))
    kinds = {k: {s: n for (kk, s), n in sorted(by_kind.items()) if kk == k} for k in FUZZ_KINDS}
    return {"sent": sum(by_kind.values()), "by_kind": kinds, "accepted": len(job_ids),
            "server_errors_5xx": sum(n for (_k, s), n in by_kind.items() if s.startswith("5")), "job_ids": job_ids}
