"""`jinnang bench pages`: how fast each page answers, and the first search after start-up.

Measured over real HTTP against `jinnang serve` in its own process, as a browser would use it:
1. the demo is loaded into a fresh data dir (`jinnang demo --no-serve`), unless `--url` names a
   running server;
2. the server is started and timed until `/healthz` answers (start-up, models included);
3. the very first playbook search, signed in as demo-rep, is timed — that is the "first search after
   start-up" figure — then each page is fetched `rounds` times (after one untimed fetch) and the
   median, 95th percentile and maximum are printed;
4. the machine's load average is printed with the figures (the machine is shared).
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

REP_PAGES = ["/", "/visits/new", "/playbook?q=价格太高了", "/playbook?q=竞品已经进院了怎么应对", "/reports/weekly",
             "/reports/weekly.pdf",
             "/notifications"]
MANAGER_PAGES = ["/dashboard", "/review", "/review/{record}", "/accounts/{account}", "/reports/process-health",
                 "/reports/process-health.pdf"]
FIRST_SEARCH = "/playbook?q=价格太高了"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def sign_in(client: httpx.Client, username: str, password: str) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    if token is None:
        raise RuntimeError(f"no sign-in form at {client.base_url}/login")
    answer = client.post("/login", data={"username": username, "password": password, "csrf": token.group(1)})
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in as {username} answered {answer.status_code}")


def _timed(client: httpx.Client, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    answer = client.get(path)
    return (time.perf_counter() - started) * 1000, answer.status_code


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1), "max_ms": round(ordered[-1], 1)}


def _fill(path: str, manager: httpx.Client) -> str | None:
    """A page path with the ids of the first review record and the first account the manager's pages link to."""
    if "{" not in path:
        return path
    links = manager.get("/review").text + manager.get("/dashboard").text
    record = re.search(r'href="/review/([\w-]+)"', links)
    account = re.search(r'href="/accounts/([\w%.-]+)"', links)
    values = {"record": record.group(1) if record else None, "account": account.group(1) if account else None}
    key = path[path.index("{") + 1: path.index("}")]
    value = values.get(key)
    return path.replace("{" + key + "}", value) if value else None


def bench_pages(url: str | None = None, rounds: int = 20, password: str = "jinnang-demo",
                log: Callable[[str], None] | None = None) -> dict[str, Any]:
    say = log or (lambda _m: None)
    result: dict[str, Any] = {"load_average": os.getloadavg(), "rounds": rounds, "pages": {}}
    process = None
    workdir = None
    if url is None:
        workdir = Path(tempfile.mkdtemp(prefix="jinnang-bench-pages-"))
        env = {**os.environ, "JINNANG_DATA_DIR": str(workdir / "data"), "JINNANG_DEMO_PASSWORD": password,
               "OMP_THREAD_LIMIT": "1", "HF_HUB_OFFLINE": "1"}
        say("loading the demo into a fresh data dir")
        subprocess.run([_command("jinnang"), "demo", "--no-serve"], env=env, check=True, capture_output=True)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        process = subprocess.Popen([_command("jinnang"), "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.perf_counter() - started > 180:
                raise RuntimeError("jinnang serve did not start")
            time.sleep(0.05)
        result["startup_s"] = round(time.perf_counter() - started, 2)
    try:
        with httpx.Client(base_url=url, timeout=60, headers={"accept": "text/html"}) as rep, \
                httpx.Client(base_url=url, timeout=60, headers={"accept": "text/html"}) as manager:
            sign_in(rep, "demo-rep", password)
            first_ms, status = _timed(rep, FIRST_SEARCH)
            result["first_search_ms"] = round(first_ms, 1)
            result["first_search_status"] = status
            sign_in(manager, "demo-manager", password)
            for client, pages in ((rep, REP_PAGES), (manager, MANAGER_PAGES)):
                for template in pages:
                    path = _fill(template, manager)
                    if path is None:
                        result["pages"][template] = {"skipped": "nothing to link to"}
                        continue
                    _timed(client, path)  # one untimed fetch: the figures are of a page already visited once
                    times, statuses = [], set()
                    for _ in range(rounds):
                        ms, status = _timed(client, path)
                        times.append(ms)
                        statuses.add(status)
                    result["pages"][template] = {**_summary(times), "status": sorted(statuses)}
                    say(f"{template}: {result['pages'][template]}")
            hundredth = [_timed(rep, FIRST_SEARCH)[0] for _ in range(100)]
            result["hundredth_search_ms"] = round(hundredth[-1], 1)
            result["search_p50_ms_of_100"] = round(statistics.median(hundredth), 1)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    result["load_average_after"] = os.getloadavg()
    return result
