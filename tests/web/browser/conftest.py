"""A real browser (Debian's Chromium driven by Playwright) against a real server (`jinnang serve` in its own
process) over a copy of the ingested demo data.

Every page a test opens is checked to request nothing outside the server's own origin, and a
screenshot of it is kept under build/screenshots/ (a test artefact, not committed).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
# the machine's notes: without the background-networking flags Chromium tries Google's hosts at every start
LAUNCH_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebhookReceiver:
    """A 企业微信 group robot's webhook on loopback: it keeps every message posted to it."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.messages.append({"path": self.path, "body": json.loads(body or b"{}")})
                answer = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=test-robot"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="session")
def wecom_robot() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.server.shutdown()


ALERTS_FILE = """
channels:
  - id: in_app
    kind: in_app
  - id: east-wecom
    kind: wecom
    url: {url}
    roles: [manager]
delivery: {{max_attempts: 3, first_retry: 1m, max_retry: 5m, timeout_seconds: 5}}
schedule:
  stall_check: {{at: "02:00"}}
  deliver: {{every: 1m}}
  playbook_refresh: {{at: "02:30"}}
  monthly_phi: {{day: 1, at: "06:00"}}
"""


@pytest.fixture(scope="session")
def server(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory, wecom_robot) -> Iterator[str]:
    """The base URL of `jinnang serve` over a copy of the demo data dir (one server for all browser tests),
    with a 企业微信 robot on loopback as the managers' alert channel."""
    data_dir = tmp_path_factory.mktemp("served") / "data"
    shutil.copytree(demo_data_dir, data_dir)
    alerts = data_dir.parent / "alerts.yaml"
    alerts.write_text(ALERTS_FILE.format(url=wecom_robot.url), encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "JINNANG_DATA_DIR": str(data_dir), "JINNANG_API_KEYS": "crm1:crm:crm",
           "JINNANG_ALERTS_FILE": str(alerts), "OMP_THREAD_LIMIT": "1", "HF_HUB_OFFLINE": "1"}
    log = (data_dir.parent / "server.log").open("w")
    process = subprocess.Popen([str(Path(sys.executable).parent / "jinnang"), "serve", "--port", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"jinnang serve exited {process.returncode}: {(data_dir.parent / 'server.log').read_text()}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("jinnang serve did not answer /healthz within 120 s")
    yield base
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh --dev installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_FLAGS)
        yield browser
        browser.close()


class Visit:
    """One browser context (one person's cookies) that records every request it makes."""

    def __init__(self, browser, base: str, viewport: dict | None = None):
        self.base = base
        self.context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale="zh-CN")
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.blocked: list[str] = []  # stopped by the page's Content-Security-Policy before leaving
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.context.on("requestfailed", self._failed)

    def _failed(self, request) -> None:
        if "BLOCKED_BY_CSP" in (request.failure or "") or "csp" in (request.failure or "").lower():
            self.blocked.append(request.url)

    def sign_in(self, username: str, password: str = "jinnang-demo") -> Visit:
        self.page.goto(self.base + "/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")
        return self

    def open(self, path: str):
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return response

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if url not in self.blocked
                and not url.startswith(self.base) and not url.startswith(("data:", "blob:", "about:"))]

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(chromium, server) -> Iterator[Visit]:
    opened: list[Visit] = []

    def make(viewport: dict | None = None) -> Visit:
        v = Visit(chromium, server, viewport)
        opened.append(v)
        return v

    yield make  # type: ignore[misc]
    for v in opened:
        foreign = v.foreign_requests()
        v.close()
        assert not foreign, f"requests outside the server's origin: {foreign}"
