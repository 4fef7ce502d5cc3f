"""`jinnang serve` as a user starts it: a worker process runs the uploads' jobs, the web and the worker
share the store through a local Chroma server, and SIGTERM stops all of them."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.core.settings import Settings
from jinnang.ingest.store import IngestJobRow, ingest_engine

OTHER_NOTE = "丽水市人民医院心内科\n陈主任说科室没有地方放这台设备，场地要等明年新楼。下月再约。"
NOTE = "温州市中心医院骨科\n林主任说价格太高，比进口的还贵，要看同级医院的中标价。约了下周四再去。"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.add(int(status.parent.name))
    return found


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (value := predicate()):
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} within {seconds:.0f} s")


@pytest.mark.slow
def test_an_upload_is_run_by_the_worker_and_found_by_the_webs_search_and_sigterm_stops_every_process(tmp_path):
    data = tmp_path / "data"
    port = _free_port()
    env = {**os.environ, "JINNANG_DATA_DIR": str(data), "JINNANG_API_KEYS": "rep7:rep:rep-07",
           "JINNANG_CONFIG": str(tmp_path / "none.toml")}
    env.pop("JINNANG_DATABASE_URL", None)
    serve = subprocess.Popen([sys.executable, "-c", "from jinnang.cli import main; main()", "serve", "--port", str(port)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url, key = f"http://127.0.0.1:{port}", {"X-API-Key": "rep7"}
    try:
        _wait(lambda: serve.poll() is not None or _ready(url), 180, "the server answered /readyz")
        assert serve.poll() is None
        children = _children(serve.pid)
        assert len(children) == 2, children  # one worker and the local Chroma server
        answer = httpx.post(f"{url}/v1/documents", headers=key, files={"file": ("n.txt", NOTE.encode(), "text/plain")})
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job_id"]
        _wait(lambda: httpx.get(f"{url}/v1/jobs/{job_id}", headers=key).json()["status"] in ("done", "failed"), 180,
              "the job ended")
        assert httpx.get(f"{url}/v1/jobs/{job_id}", headers=key).json()["status"] == "done"
        with Session(ingest_engine(Settings(data_dir=data))) as session:
            worker = session.scalar(select(IngestJobRow.worker).where(IngestJobRow.id == job_id))
        assert int(str(worker).rpartition(":")[2]) in children  # a worker ran it, not the web
        hits = httpx.get(f"{url}/v1/playbook/search", headers=key, params={"q": "价格太高 中标价", "k": 3}).json()
        assert answer.json()["document_id"] in [h["doc_id"] for h in hits["results"]]
        # `jinnang ingest` in a second shell writes through the server's local Chroma, not the files under it
        (tmp_path / "more.txt").write_text(OTHER_NOTE, encoding="utf-8")
        batch = subprocess.run([sys.executable, "-c", "from jinnang.cli import main; main()", "ingest",
                                str(tmp_path / "more.txt"), "--json"], env=env, capture_output=True, text=True,
                               timeout=300)
        assert batch.returncode == 0, batch.stderr[-3000:]
        (row,) = [json.loads(line) for line in batch.stdout.splitlines() if line.startswith("{")]
        assert row["status"] == "done", row
        hits = httpx.get(f"{url}/v1/playbook/search", headers=key, params={"q": "科室没有地方放 场地", "k": 3}).json()
        assert row["document_id"] in [h["doc_id"] for h in hits["results"]], hits
        assert row["document_id"] in _nearest_on_the_local_server(data, OTHER_NOTE), "its vectors are the server's"
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(120)
    time.sleep(1)
    assert not any(Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()
                   for pid in children), "the worker and the Chroma server stopped with the server"


def _nearest_on_the_local_server(data: Path, text: str) -> list[str]:
    """The documents whose chunks the server's own vector index finds nearest to `text`."""
    import chromadb

    from jinnang.ingest.embed import get_embedder
    from jinnang.ingest.indexing import CHUNKS_COLLECTION
    from jinnang.ingest.vectors import collection_name

    settings = Settings(data_dir=data)
    host, port = json.loads((data / "chroma" / ".owned-by").read_text())["server"].rsplit(":", 1)
    collection = chromadb.HttpClient(host=host, port=int(port)).get_collection(
        collection_name(CHUNKS_COLLECTION, settings.embedding_model))
    vector = get_embedder(settings.embedding_model).embed([text])[0].tolist()
    found = collection.query(query_embeddings=[vector], n_results=3, include=["metadatas"])
    return [m["document_id"] for m in found["metadatas"][0]]


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_a_server_killed_with_sigkill_leaves_no_chroma_server_or_worker_behind(tmp_path):
    port = _free_port()
    env = {**os.environ, "JINNANG_DATA_DIR": str(tmp_path / "data"), "JINNANG_CONFIG": str(tmp_path / "none.toml")}
    env.pop("JINNANG_DATABASE_URL", None)
    serve = subprocess.Popen([sys.executable, "-c", "from jinnang.cli import main; main()", "serve", "--port", str(port)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: len(_children(serve.pid)) == 2, 180, "a worker and the Chroma server started")
        children = _children(serve.pid)
    finally:
        serve.kill()
        serve.wait(30)
    # the worker stops after its current job (it watches its parent); Chroma gets SIGTERM at once
    _wait(lambda: not any(_alive(pid) for pid in children), 60, "the children ended")


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "zombie" not in status.read_text()
    except OSError:
        return False
