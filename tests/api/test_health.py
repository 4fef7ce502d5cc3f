"""/healthz, /readyz and /metrics over real HTTP (TestClient) on a real data dir, index and models."""
from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from jinnang.api.app import create_app
from jinnang.api.metrics import instrument
from jinnang.core.settings import Settings

_corpus = Path(__file__).resolve().parents[1] / "coaching" / "corpus_small.py"
_spec = importlib.util.spec_from_file_location("coaching_corpus_small_health", _corpus)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

LOCAL = ("127.0.0.1", 40000)
KEYS = "rep7:rep:rep-07,adm:admin:root"


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    from jinnang.coaching import index_documents

    settings = Settings(data_dir=tmp_path_factory.mktemp("health") / "data", api_keys=KEYS)
    index_documents(settings, _module.DOCS)
    return settings


@pytest.fixture(scope="module")
def local(settings) -> TestClient:
    """A client on loopback, as a Prometheus on the same machine."""
    return TestClient(instrument(create_app(settings)), client=LOCAL)


def _samples(client: TestClient) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def _count(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_and_readyz_need_no_key(local):
    assert local.get("/healthz").json() == {"status": "ok"}
    assert local.get("/readyz").status_code in (200, 503)  # never 401


COLD_START = """
import json, sys, time
from pathlib import Path
from fastapi.testclient import TestClient
from jinnang.api.app import create_app
from jinnang.core.settings import Settings
from jinnang.ingest.embed import get_embedder
settings = Settings(data_dir=Path(sys.argv[1]))
client = TestClient(create_app(settings))
cold = client.get("/readyz")
get_embedder(settings.embedding_model).embed(["预热"])  # what the warm start does before the port opens
seen = []
for _ in range(600):  # the configuration files are checked in a thread: 2-5 s, longer under load
    warm = client.get("/readyz")
    if warm.status_code == 200:
        break
    seen.append(warm.json()["field"])
    time.sleep(0.2)
print(json.dumps([cold.status_code, cold.json(), warm.status_code, warm.json(), sorted(set(seen))]))
"""


def test_readyz_is_503_naming_models_until_the_model_is_loaded_then_200(tmp_path):
    import json
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", COLD_START, str(tmp_path / "data")], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "OMP_THREAD_LIMIT": "1", "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    cold_status, cold, warm_status, warm, seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert cold_status == 503 and cold["status"] == 503 and cold["field"] == "models" and cold["path"] == "models"
    assert "not loaded" in cold["message"]
    assert seen in ([], ["configuration"])  # only the files' first check may hold it back
    assert warm_status == 200 and warm["checks"] == ["database", "vectors", "models", "configuration"]


def test_readyz_names_the_database_when_the_data_dir_is_gone(settings, tmp_path):
    app = create_app(settings)
    not_a_dir = tmp_path / "unmounted"
    not_a_dir.write_text("a file where the data dir should be")
    app.state.settings = Settings(data_dir=not_a_dir, api_keys=KEYS)
    response = TestClient(app).get("/readyz")
    assert response.status_code == 503
    assert response.json()["field"] == "database" and response.json()["path"] == "database"


def test_readyz_names_the_vectors_when_the_chroma_server_does_not_answer(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(data_dir=tmp_path / "data", api_keys=KEYS, chroma_host="127.0.0.1", chroma_port=port)
    response = TestClient(create_app(settings)).get("/readyz")
    assert response.status_code == 503 and response.json()["field"] == "vectors"


def test_metrics_count_requests_by_route_template_and_status(local):
    before = _samples(local)
    assert local.get("/v1/documents/doc-nothing", headers={"X-API-Key": "adm"}).status_code == 404
    assert local.get("/no/such/page").status_code == 404
    local.get("/healthz")
    after = _samples(local)
    template = {"method": "GET", "route": "/v1/documents/{document_id}", "status": "404"}
    assert _count(after, "jinnang_http_requests_total", **template) == _count(
        before, "jinnang_http_requests_total", **template) + 1
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert _count(after, "jinnang_http_requests_total", **unmatched) >= 1
    assert not any("doc-nothing" in str(key) or "/no/such" in str(key) for key in after)  # ids make no series
    assert _count(after, "jinnang_http_request_duration_seconds_count", method="GET", route="/healthz",
                  status="200") >= 1
    assert not any(dict(labels).get("route") == "/metrics" for _, labels in after)


def test_metrics_time_playbook_searches(local):
    before = _count(_samples(local), "jinnang_search_duration_seconds_count", route="/v1/playbook/search")
    hit = local.get("/v1/playbook/search", params={"q": "主任嫌报价太贵"}, headers={"X-API-Key": "rep7"})
    assert hit.status_code == 200
    after = _samples(local)
    assert _count(after, "jinnang_search_duration_seconds_count", route="/v1/playbook/search") == before + 1
    assert _count(after, "jinnang_search_duration_seconds_sum", route="/v1/playbook/search") > 0


def test_metrics_report_the_ingest_jobs_table(local, settings):
    from jinnang.ingest.pipeline import register_document

    registration = register_document(settings, "一条排队的拜访记录，等待处理。".encode(), "queued.txt")
    assert registration.job_id is not None
    samples = _samples(local)
    assert _count(samples, "jinnang_ingest_jobs", status="queued") == 1
    for status in ("running", "failed", "done"):
        assert (("jinnang_ingest_jobs", (("status", status),)) in samples)
    assert _count(samples, "jinnang_ingest_oldest_queued_seconds") >= 0


def test_metrics_are_refused_to_other_hosts_and_to_requests_through_a_proxy(settings, monkeypatch):
    app = instrument(create_app(settings))
    remote = TestClient(app)  # the client's address is "testclient", not loopback
    refused = remote.get("/metrics")
    assert refused.status_code == 403
    assert refused.json() == {"status": 403, "field": "client", "path": "client", "message": refused.json()["message"]}
    proxied = TestClient(app, client=LOCAL).get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403
    monkeypatch.setenv("JINNANG_METRICS_PUBLIC", "1")
    assert remote.get("/metrics").status_code == 200


def test_instrumenting_twice_counts_each_request_once(settings):
    client = TestClient(instrument(instrument(create_app(settings))), client=LOCAL)
    before = _count(_samples(client), "jinnang_http_requests_total", method="GET", route="/healthz", status="200")
    client.get("/healthz")
    after = _count(_samples(client), "jinnang_http_requests_total", method="GET", route="/healthz", status="200")
    assert after == before + 1


def test_a_configuration_file_is_checked_again_only_when_it_changes(tmp_path):
    import time

    from pydantic import BaseModel

    from jinnang.api.routes.health import ConfigWatch
    from jinnang.core.config import ConfigFile

    class Limits(BaseModel):
        max_items: int

    path = tmp_path / "limits.yaml"
    path.write_text("max_items: 3\n")
    file = ConfigFile(path, Limits)
    watch = ConfigWatch(lambda: [file])

    def settled() -> str | None:
        for _ in range(200):
            problem = watch.problem()
            if problem != "the configuration files are being checked" and watch._thread is None:
                return watch.problem()
            time.sleep(0.02)
        raise AssertionError("the check never finished")

    assert watch.problem() == "the configuration files are being checked"
    assert settled() is None
    path.write_text("max_items: many\n")  # another size: seen as changed
    problem = settled()
    assert problem is not None and "limits.yaml" in problem and "max_items" in problem
    path.write_text("max_items: 12\n")
    assert settled() is None


def test_metrics_time_each_ingest_stage(local, settings):
    from jinnang.service.pipeline import ingest_bytes

    before = _samples(local)
    registration, job = ingest_bytes(settings, "杭州市一医院骨科王主任说价格偏高。下周二再约。".encode(), "timed.txt")
    assert job is not None and job.status == "done"
    after = _samples(local)
    for stage in ("text", "index", "hooks"):
        key = ("jinnang_ingest_stage_seconds_count", (("stage", stage),))
        assert after.get(key, 0) == before.get(key, 0) + 1, stage
