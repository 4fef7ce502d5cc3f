"""The playbook on a real Chroma server (`chroma run`, started by scripts/services.sh): its vectors
are the server's, hybrid search uses them, removing a document removes its vectors there, and a
new process finds the same results from the same store and server."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jinnang.coaching import index_documents
from jinnang.coaching.forget import forget_in_coaching
from jinnang.coaching.search import search
from jinnang.coaching.store import load_index
from jinnang.coaching.vectors import COLLECTION
from jinnang.core.settings import Settings
from jinnang.ingest.vectors import collection_name
from tests_support_servers import chroma_client, on_chroma_server

QUERY = "器械科要注册证"  # the small corpus's answer: t-reg-won




@pytest.fixture
def server(tmp_path) -> Settings:
    return on_chroma_server(Settings(data_dir=tmp_path / "data"))


def _playbook(settings: Settings) -> Any:
    return chroma_client(settings).get_collection(collection_name(COLLECTION, settings.embedding_model))


def _ids(settings: Settings, doc_id: str | None = None) -> list[str]:
    where = {"where": {"doc_id": doc_id}} if doc_id else {}
    return sorted(_playbook(settings).get(include=[], **where)["ids"])


def test_the_playbook_keeps_its_vectors_on_the_server_and_searches_with_them(server, small_docs):
    index_documents(server, small_docs)
    loaded = load_index(server)
    assert _ids(server) == sorted(loaded.chunk_ids)  # one vector a chunk, all on the server
    assert not server.chroma_dir.exists()
    configured = _playbook(server).configuration_json["embedding_function"]
    assert configured["name"] == "jinnang"  # never Chroma's default
    # the dense channel asks the server: its nearest chunks are the store's own
    ids, distances = loaded.vectors.nearest(loaded.vectors.embed_query(QUERY), 5)
    assert len(ids) == 5 and set(ids) <= set(loaded.position) and distances == sorted(distances)
    assert search(server, QUERY, k=2)[0]["doc_id"] == "t-reg-won"


def test_removing_a_document_removes_its_vectors_from_the_server(server, small_docs):
    index_documents(server, small_docs)
    before, everything = _ids(server, "t-reg-won"), _ids(server)
    assert before
    removed = forget_in_coaching(server, "t-reg-won")
    assert removed["playbook_documents"] == 1 and removed["playbook_vectors"] == len(before)
    assert _ids(server, "t-reg-won") == []
    assert _ids(server) == sorted(set(everything) - set(before))  # the others stay
    assert "t-reg-won" not in [h["doc_id"] for h in search(server, QUERY, k=10)]


def test_a_new_process_finds_what_this_one_indexed(server, small_docs, tmp_path: Path):
    index_documents(server, small_docs)
    here = [(h["doc_id"], round(h["score"], 4)) for h in search(server, QUERY, k=3)]
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"id": "q", "query": QUERY}, ensure_ascii=False) + "\n", "utf-8")
    env = {**os.environ, "JINNANG_CHROMA_HOST": "127.0.0.1", "JINNANG_CHROMA_PORT": str(server.chroma_port),
           "JINNANG_CHROMA_DATABASE": server.chroma_database}
    out = subprocess.run([str(Path(sys.executable).with_name("jinnang")), "search", "--store", str(server.data_dir),
                          "--jsonl", str(queries), "--k", "3"], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    there = [(h["doc_id"], round(h["score"], 4)) for h in json.loads(out.stdout)["results"]]
    assert there == here
    assert not server.chroma_dir.exists()  # it did not fall back to an embedded store
