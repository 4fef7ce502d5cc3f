"""The main API flows on the production servers: tables on PostgreSQL, vectors on a Chroma server
(both started by scripts/services.sh). A rep uploads visit notes, the jobs end done, the review
list and the account's next actions come from them, playbook search shows another rep's note only
anonymised, and a manager's deletion takes the note off both servers."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from jinnang.api.app import create_app
from jinnang.core.settings import Settings
from jinnang.ingest.pipeline import CHUNKS_COLLECTION
from jinnang.ingest.vectors import collection_name
from tests_support_servers import chroma_client, on_chroma_server

BASE = json.loads((Path(__file__).parents[1] / "rules" / "data" / "healthy_account.json").read_text(encoding="utf-8"))
REP7, REP8, MANAGER, CRM, ADMIN = ({"X-API-Key": k} for k in ("rep7", "rep8", "mgr2", "crm1", "adm"))
NOW = "2026-06-01T09:00:00"
ACCOUNT, HOSPITAL = "acc-pg-0042", "南京鼓楼医院"
PRIVATE = "下周三带整台手术的费用清单再去找他。"  # no query below matches it: only the note's readers see it
NOTE = f"{HOSPITAL}骨科王主任说价格偏高，比进口的还贵。{PRIVATE}".encode()
OTHER_NOTE = "苏州市立医院检验科李科长说试剂价格偏高，要看同级医院的中标价。".encode()




@pytest.fixture
def servers(pg_settings: Settings) -> Settings:
    return on_chroma_server(pg_settings)


@pytest.fixture
def client(servers: Settings) -> TestClient:
    client = TestClient(create_app(servers))
    snapshot = copy.deepcopy(BASE["account"])
    snapshot.update(account_id=ACCOUNT, hospital=HOSPITAL, rep_id="rep-07", manager_id="mgr-02",
                    journey_node="trial_confirmation_signed", node_entered_at="2026-03-10T10:00:00", service_tickets=[])
    assert client.put(f"/v1/accounts/{ACCOUNT}", json=snapshot, headers=CRM).status_code == 200
    return client


def _upload(client: TestClient, headers: dict[str, str], note: bytes, **form: str) -> str:
    response = client.post("/v1/documents", headers=headers, files={"file": ("visit.txt", note)},
                           data={"kind": "visit_note", "reference_date": "2026-03-12", **form})
    assert response.status_code == 202, response.text
    body = response.json()
    # TestClient runs the background job before it returns
    job = client.get(f"/v1/jobs/{body['job_id']}", headers=headers).json()
    assert job["status"] == "done", job
    return body["document_id"]


def _vector_ids(settings: Settings, document_id: str) -> dict[str, list[str]]:
    """The document's vectors on the Chroma server, by collection."""
    client = chroma_client(settings)
    found = {}
    for listed in client.list_collections():
        key = "doc_id" if listed.name.startswith("playbook") else "document_id"  # as each collection's writer names it
        found[listed.name] = client.get_collection(listed.name).get(where={key: document_id}, include=[])["ids"]
    return found


def _rows(settings: Settings, table: str, document_id: str) -> int:
    """Rows of `table` about the document, read from the database by its URL (not through jinnang)."""
    engine = create_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table} WHERE document_id = :d"),
                                {"d": document_id}).scalar_one()
    finally:
        engine.dispose()


def test_notes_flow_to_review_and_next_actions_with_the_data_on_the_servers(servers, client):
    document_id = _upload(client, REP7, NOTE, account_id=ACCOUNT, hospital=HOSPITAL)
    assert servers.db_url.startswith("postgresql") and not servers.sqlite_path.exists()
    assert _rows(servers, "chunks", document_id) > 0  # read straight from PostgreSQL
    assert not servers.chroma_dir.exists() and all(_vector_ids(servers, document_id).values())

    records = client.get("/v1/review/records", headers=MANAGER).json()
    mine = [r for r in records if r["document_id"] == document_id]
    assert len(mine) == 1 and "price" in json.dumps(mine[0], ensure_ascii=False)
    assert [r for r in client.get("/v1/review/records", headers=REP8).json() if r["document_id"] == document_id] == []

    actions = client.get(f"/v1/accounts/{ACCOUNT}/next-actions", params={"now": NOW}, headers=REP7)
    assert actions.status_code == 200, actions.text
    assert "handle_objection" in {s["action"] for s in actions.json()["suggestions"]}
    assert client.get(f"/v1/accounts/{ACCOUNT}/next-actions", headers=REP8).status_code == 403


def test_search_shows_another_reps_note_only_anonymised(servers, client):
    document_id = _upload(client, REP7, NOTE, account_id=ACCOUNT, hospital=HOSPITAL)
    _upload(client, REP8, OTHER_NOTE, account_id="acc-pg-0077")
    own = client.get("/v1/playbook/search", params={"q": "价格偏高怎么办"}, headers=REP7).json()["results"]
    hit = next(h for h in own if h["doc_id"] == document_id)
    assert hit["meta"]["hospital"] == HOSPITAL and hit["meta"]["account_id"] == ACCOUNT
    theirs = client.get("/v1/playbook/search", params={"q": "价格偏高怎么办"}, headers=REP8).json()["results"]
    seen = next(h for h in theirs if h["doc_id"] == document_id)
    shown = json.dumps(seen, ensure_ascii=False)
    assert "价格偏高" in seen["snippet"]
    assert [m for m in (HOSPITAL, ACCOUNT, PRIVATE, "rep-07", "王主任") if m in shown] == []


def test_a_managers_deletion_takes_the_note_off_both_servers(servers, client):
    document_id = _upload(client, REP7, NOTE, account_id=ACCOUNT, hospital=HOSPITAL)
    kept = _upload(client, REP8, OTHER_NOTE, account_id="acc-pg-0077")
    before = _vector_ids(servers, document_id)
    assert all(before.values())
    assert client.delete(f"/v1/documents/{document_id}", headers=REP7).status_code == 403
    response = client.delete(f"/v1/documents/{document_id}", headers=MANAGER)
    assert response.status_code == 200, response.text
    removed = response.json()["removed"]
    assert removed["documents"] == 1 and removed["chunk_vectors"] == len(before[collection_name(CHUNKS_COLLECTION, servers.embedding_model)])
    assert _vector_ids(servers, document_id) == {name: [] for name in before}
    assert all(_vector_ids(servers, kept).values())  # the other note is untouched
    assert (_rows(servers, "chunks", document_id), _rows(servers, "extraction_records", document_id)) == (0, 0)
    assert client.get(f"/v1/documents/{document_id}", headers=ADMIN).status_code == 404  # others: 403 either way
    hits = client.get("/v1/playbook/search", params={"q": "价格偏高怎么办"}, headers=MANAGER).json()["results"]
    assert document_id not in [h["doc_id"] for h in hits]
