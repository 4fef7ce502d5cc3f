"""The original upload opens only for its rep, their manager and the admin, each attempt audited;
a manager (or admin) erases a document over HTTP, a rep may not."""
import pytest
from fastapi.testclient import TestClient

from jinnang.api.app import create_app

REP, OTHER_REP, MANAGER, CRM, ADMIN = ({"X-API-Key": k} for k in ("rep7", "rep8", "mgr2", "crm1", "adm"))
NOTE = "南京鼓楼医院 骨科\n王主任说价格偏高。患者张建国 13812345678 术后恢复很好。".encode()


@pytest.fixture
def client(settings):
    return TestClient(create_app(settings))


def _upload(client) -> str:
    response = client.post("/v1/documents", headers=REP, files={"file": ("note.txt", NOTE)},
                           data={"kind": "visit_note", "account_id": "acc-o-1"})
    assert response.status_code == 202, response.text
    return response.json()["document_id"]


def _audit(client, document_id):
    entries = client.get("/v1/audit", headers=ADMIN, params={"document_id": document_id}).json()["entries"]
    return [(e["actor"], e["action"], e["outcome"]) for e in reversed(entries)]


def test_the_original_opens_for_its_rep_and_manager_only_and_every_attempt_is_audited(client):
    document_id = _upload(client)
    assert "13812345678" not in client.get(f"/v1/documents/{document_id}", headers=REP).text  # derived: masked
    for who in (REP, MANAGER):
        response = client.get(f"/v1/documents/{document_id}/original", headers=who)
        assert response.status_code == 200 and response.content == NOTE  # the original keeps everything
        assert response.headers["content-type"].startswith("text/plain")
    assert client.get(f"/v1/documents/{document_id}/original", headers=OTHER_REP).status_code == 403
    assert client.get(f"/v1/documents/{document_id}/original", headers=CRM).status_code == 403
    assert _audit(client, document_id) == [("rep-07", "open_original", "allowed"),
                                           ("mgr-02", "open_original", "allowed"),
                                           ("rep-08", "open_original", "refused")]  # crm is refused by role


def test_only_the_admin_reads_the_audit_log(client):
    for who in (REP, MANAGER, CRM):
        assert client.get("/v1/audit", headers=who).status_code == 403


def test_a_manager_deletes_a_document_a_rep_may_not(client):
    document_id = _upload(client)
    assert client.delete(f"/v1/documents/{document_id}", headers=REP).status_code == 403
    response = client.delete(f"/v1/documents/{document_id}", headers=MANAGER)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["document_id"] == document_id and report["removed"]["documents"] == 1
    assert report["removed"]["blobs"] == 1 and report["removed"]["account_links"] == 1
    assert client.get(f"/v1/documents/{document_id}", headers=ADMIN).status_code == 404
    assert client.get(f"/v1/documents/{document_id}/original", headers=REP).status_code == 403
    assert client.delete(f"/v1/documents/{document_id}", headers=ADMIN).status_code == 404
    assert "acc-o-1" in client.get("/v1/accounts/acc-o-1", headers=ADMIN, params={"now": "2026-06-01T09:00:00"}).text
    assert document_id not in client.get("/v1/accounts/acc-o-1", headers=ADMIN,
                                         params={"now": "2026-06-01T09:00:00"}).text
    assert _audit(client, document_id) == [("mgr-02", "delete", "done"), ("rep-07", "open_original", "missing"),
                                           ("root", "delete", "missing")]


def test_another_teams_manager_cannot_delete(settings):
    settings.api_keys += ",mgr3:manager:mgr-03:rep-08"
    client = TestClient(create_app(settings))
    document_id = _upload(client)
    assert client.delete(f"/v1/documents/{document_id}", headers={"X-API-Key": "mgr3"}).status_code == 403
    assert client.get(f"/v1/documents/{document_id}", headers=REP).status_code == 200
