"""Prometheus metrics at `/metrics`: requests by route template and status, search latency, ingest jobs.

    instrument(app)   # once, in the app factory: the timing middleware and the /metrics route

- `jinnang_http_requests_total{method,route,status}` and `jinnang_http_request_duration_seconds{…}`:
  the route is the template (`/v1/documents/{document_id}`), never the raw path, so ids do not make
  a series each; a path no route matches counts as `<unmatched>`.
- `jinnang_search_duration_seconds{route}`: the playbook searches (API and page) alone.
- `jinnang_ingest_jobs{status}` (queued, running, failed, done) and
  `jinnang_ingest_oldest_queued_seconds`: read from the jobs table at each scrape, so every process
  reports the same figures.

Who may read it: only a client on loopback that did not come through a proxy (a request a reverse
proxy forwards carries X-Forwarded-For or Forwarded, and comes from loopback too), unless
JINNANG_METRICS_PUBLIC=1. With several processes, set PROMETHEUS_MULTIPROC_DIR (an empty directory,
emptied at each start) so the request counters of all processes are added up at any one of them.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import inspect

from jinnang.core.db import open_engine
from jinnang.core.metrics import REGISTRY
from jinnang.core.settings import Settings

log = logging.getLogger(__name__)

JOB_STATUSES = ("queued", "running", "failed", "done")
SEARCH_ROUTES = frozenset({"/v1/playbook/search", "/playbook"})  # /playbook searches when it has ?q=
UNMATCHED = "<unmatched>"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
PROXY_HEADERS = (b"x-forwarded-for", b"forwarded", b"x-real-ip")
# seconds: pages answer in 10–30 ms, a PDF in about 1 s, an upload of a scan in several
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter("jinnang_http_requests", "HTTP requests answered, by route template and status.",
                   ("method", "route", "status"), registry=REGISTRY)
LATENCY = Histogram("jinnang_http_request_duration_seconds", "Time to answer an HTTP request.",
                    ("method", "route", "status"), buckets=_BUCKETS, registry=REGISTRY)
SEARCH = Histogram("jinnang_search_duration_seconds", "Time to answer a playbook search (API or page).",
                   ("route",), buckets=_BUCKETS, registry=REGISTRY)


def metrics_public() -> bool:
    """JINNANG_METRICS_PUBLIC=1 opens /metrics to any client (a scraper on another host)."""
    return os.environ.get("JINNANG_METRICS_PUBLIC", "").strip().lower() in ("1", "true", "yes")


def _route_of(scope: dict[str, Any]) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", None) or UNMATCHED) if route is not None else UNMATCHED


class TimingMiddleware:
    """Plain ASGI (no BaseHTTPMiddleware): the status is read from the response's start message."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app raises before starting a response

        async def send_and_note(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            _observe(scope, status, time.perf_counter() - started)


def _observe(scope: dict[str, Any], status: int, seconds: float) -> None:
    route = _route_of(scope)
    if route == "/metrics":
        return  # the scraper's own requests would be most of the counts
    method = str(scope.get("method", ""))
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route, str(status)).observe(seconds)
    if route in SEARCH_ROUTES and status == 200 and (route != "/playbook" or b"q=" in scope.get("query_string", b"")):
        SEARCH.labels(route).observe(seconds)


class IngestJobsCollector(Collector):
    """The ingest jobs table counted at scrape time (a GROUP BY on an indexed table: cheap)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Any:
        counts = dict.fromkeys(JOB_STATUSES, 0)
        oldest: dt.datetime | None = None
        engine = open_engine(self.settings.db_url)
        if inspect(engine).has_table("ingest_jobs"):
            with engine.connect() as conn:
                for status, count in conn.exec_driver_sql("SELECT status, count(*) FROM ingest_jobs GROUP BY status"):
                    counts[str(status)] = int(count)
                first = conn.exec_driver_sql("SELECT min(created_at) FROM ingest_jobs WHERE status = 'queued'").scalar()
            oldest = dt.datetime.fromisoformat(str(first)) if first else None
        jobs = GaugeMetricFamily("jinnang_ingest_jobs", "Ingest jobs in the jobs table, by status.", labels=["status"])
        for status, count in counts.items():
            jobs.add_metric([status], count)
        yield jobs
        age = (dt.datetime.now(dt.UTC).replace(tzinfo=None) - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily("jinnang_ingest_oldest_queued_seconds",
                                "Age of the oldest queued ingest job (0 when none waits).", value=max(age, 0.0))


def from_local_client(request: Request) -> bool:
    """A direct connection from this machine: loopback address and no proxy's forwarding header."""
    host = request.client.host if request.client else ""
    return host in LOOPBACK and not any(name in PROXY_HEADERS for name, _ in request.scope.get("headers", ()))


def exposition(settings: Settings) -> bytes:
    """The text format of every metric: this process's (or all processes' with PROMETHEUS_MULTIPROC_DIR)
    and the jobs table's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        MultiProcessCollector(merged)
        own = generate_latest(merged)
    else:
        own = generate_latest(REGISTRY)
    jobs = CollectorRegistry()
    jobs.register(IngestJobsCollector(settings))
    return own + generate_latest(jobs)


def instrument(app: FastAPI) -> FastAPI:
    """Time every request and serve `/metrics` (unauthenticated; loopback only unless JINNANG_METRICS_PUBLIC)."""
    if getattr(app.state, "metrics", False):
        return app  # a second call would count every request twice
    app.state.metrics = True

    async def metrics(request: Request) -> Response:
        if not (metrics_public() or from_local_client(request)):
            return JSONResponse(status_code=403, content={
                "status": 403, "field": "client", "path": "client",
                "message": "metrics are served to this machine only (set JINNANG_METRICS_PUBLIC=1 to open them)"})
        try:
            body = exposition(request.app.state.settings)
        except Exception as exc:  # a locked or missing database must not turn a scrape into a 500
            log.exception("metrics: reading the jobs table failed")
            return JSONResponse(status_code=503, content={"status": 503, "field": "database", "path": "database",
                                                          "message": f"the jobs table could not be read: {exc}"})
        return Response(content=body, media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(TimingMiddleware)
    return app
