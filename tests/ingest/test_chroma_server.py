"""Ingest on a real Chroma server (`chroma run`, started by scripts/services.sh): chunks land on the
server, not in an embedded store; a fresh client sees them; deleting a document removes its
vectors there; and every collection is made with the project's embedding function."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jinnang.core.settings import Settings
from jinnang.ingest.embed import JinnangEmbeddingFunction, get_embedder
from jinnang.ingest.pipeline import CHUNKS_COLLECTION, register_document, run_job
from jinnang.ingest.removal import forget_ingested
from jinnang.ingest.store import ChunkRow, ingest_engine
from jinnang.ingest.vectors import collection_name, open_collection
from tests_support_servers import chroma_client, on_chroma_server

NOTES = {
    "rep-07": "温州市中心医院 脊柱外科\n林主任说科里一直用威高的钉子。我介绍了万向钉。约了下周四再过去。".encode(),
    "rep-08": "苏州市立医院 检验科\n科主任说今年经费紧张，新项目都得等明年。设备科要看注册证。".encode(),
}




@pytest.fixture
def server(tmp_path) -> Settings:
    return on_chroma_server(Settings(data_dir=tmp_path / "data"))


def _ingest(settings: Settings) -> dict[str, str]:
    """rep id → document id of its note, each ingested to the end."""
    documents = {}
    for rep, note in NOTES.items():
        registration = register_document(settings, note, f"{rep}.txt", rep_id=rep)
        assert run_job(settings, registration.job_id).status == "done"
        documents[rep] = registration.document_id
    return documents


def _server_ids(settings: Settings, document_id: str) -> list[str]:
    collection = chroma_client(settings).get_collection(collection_name(CHUNKS_COLLECTION, "use-multilingual"))
    return sorted(collection.get(where={"document_id": document_id}, include=[])["ids"])


def test_chunks_go_to_the_server_and_a_fresh_client_sees_and_finds_them(server):
    documents = _ingest(server)
    assert not server.chroma_dir.exists()  # nothing embedded beside the data
    with Session(ingest_engine(server)) as session:
        for document_id in documents.values():
            rows = sorted(session.scalars(select(ChunkRow.id).where(ChunkRow.document_id == document_id)))
            assert rows and _server_ids(server, document_id) == rows
    # a query through the project's collection (our embedder on the query) finds the right note
    hits = open_collection(server, CHUNKS_COLLECTION).query(query_texts=["医生习惯用别的品牌的螺钉"], n_results=1)
    assert hits["metadatas"][0][0]["document_id"] == documents["rep-07"]
    assert hits["metadatas"][0][0]["rep_id"] == "rep-07"


def test_deleting_a_document_removes_its_vectors_from_the_server(server):
    documents = _ingest(server)
    gone, kept = documents["rep-07"], documents["rep-08"]
    before_gone, before_kept = _server_ids(server, gone), _server_ids(server, kept)
    assert before_gone and before_kept
    removed = forget_ingested(server, gone)
    assert removed["chunk_vectors"] == len(before_gone) and removed["documents"] == 1
    assert _server_ids(server, gone) == []
    assert _server_ids(server, kept) == before_kept  # the other document is untouched
    with Session(ingest_engine(server)) as session:
        assert session.scalar(select(func.count()).select_from(ChunkRow).where(ChunkRow.document_id == gone)) == 0


def test_collections_on_the_server_use_our_embedding_function_never_chromas_default(server):
    _ingest(server)
    client = chroma_client(server)
    names = [c.name for c in client.list_collections()]
    assert collection_name(CHUNKS_COLLECTION, server.embedding_model) in names
    for name in names:
        configured = client.get_collection(name).configuration_json["embedding_function"]
        assert (configured["name"], configured["config"]) == ("jinnang", {"model": server.embedding_model}), name
    ours = open_collection(server, CHUNKS_COLLECTION)
    assert isinstance(ours._embedding_function, JinnangEmbeddingFunction)
    # the stored vectors are the project's model's (USE: 512 numbers; Chroma's default MiniLM makes 384)
    stored = client.get_collection(ours.name).get(include=["embeddings"])["embeddings"]
    width = get_embedder(server.embedding_model).embed(["注册证"]).shape[1]
    assert len(stored) >= len(NOTES) and {len(v) for v in stored} == {width} and width != 384
