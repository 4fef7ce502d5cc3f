"""Uploading documents over HTTP: accepted, deduplicated, refused cleanly, visible only to their owners."""
import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from jinnang.api.app import create_app

REP = {"X-API-Key": "rep7"}
OTHER_REP = {"X-API-Key": "rep8"}
MANAGER = {"X-API-Key": "mgr2"}
NOTE = "南京鼓楼医院 骨科\n王主任说价格偏高，下周三再谈。".encode()


@pytest.fixture
def client(settings):
    return TestClient(create_app(settings))


def _upload(client, data, name="note.txt", headers=REP, **form):
    return client.post("/v1/documents", headers=headers, files={"file": (name, data)},
                       data={"kind": "talk_track", **form})


def test_upload_returns_a_job_and_the_document_becomes_readable(client):
    response = _upload(client, NOTE)
    assert response.status_code == 202, response.text
    body = response.json()
    job = client.get(f"/v1/jobs/{body['job_id']}", headers=REP).json()
    assert job["status"] in ("done", "failed")  # TestClient runs background tasks before returning
    document = client.get(f"/v1/documents/{body['document_id']}", headers=REP).json()
    assert document["rep_id"] == "rep-07" and "王主任" in document["text"]


def test_the_same_file_twice_is_one_document(client):
    first = _upload(client, NOTE).json()
    second = _upload(client, NOTE, name="again.txt").json()
    assert second == {"document_id": first["document_id"], "job_id": None, "duplicate": True}


@pytest.mark.parametrize("data,name,status", [
    (b"", "empty.txt", 400),
    (b"PK\x03\x04" + b"\x00" * 64, "notes.txt", 415),  # a zip named .txt is still a zip
    (b"%PDF-1.4\n1 0 obj garbage", "form.pdf", 422),   # a PDF that cannot be opened is refused up front
])
def test_bad_uploads_get_a_4xx_naming_the_file_field(client, data, name, status):
    response = _upload(client, data, name=name)
    assert response.status_code == status
    assert response.json()["field"] == "file"


def test_oversized_upload_is_refused(settings):
    settings.max_upload_bytes = 100
    response = _upload(TestClient(create_app(settings)), NOTE * 10)
    assert response.status_code == 413 and response.json()["field"] == "file"


def test_decompression_bomb_image_is_refused(settings):
    settings.max_image_pixels = 10_000
    buffer = io.BytesIO()
    Image.new("L", (400, 400), 255).save(buffer, format="PNG")
    response = _upload(TestClient(create_app(settings)), buffer.getvalue(), name="scan.png")
    assert response.status_code == 413


def test_unknown_kind_is_a_422_naming_kind(client):
    response = _upload(client, NOTE, kind="invoice")
    assert response.status_code == 422 and response.json()["field"] == "kind"


def test_path_traversal_in_the_name_is_neutralised(client):
    body = _upload(client, NOTE, name="../../etc/passwd").json()
    assert client.get(f"/v1/documents/{body['document_id']}", headers=REP).json()["filename"] == "passwd"


def test_rep_cannot_read_another_reps_document(client):
    body = _upload(client, NOTE).json()
    assert client.get(f"/v1/documents/{body['document_id']}", headers=OTHER_REP).status_code == 403
    assert client.get(f"/v1/jobs/{body['job_id']}", headers=OTHER_REP).status_code == 403
    # and a missing id looks the same to them, so ids cannot be probed
    assert client.get("/v1/documents/doc-nope", headers=OTHER_REP).status_code == 403
    assert client.get("/v1/jobs/job-nope", headers=OTHER_REP).status_code == 403


def test_manager_reads_their_teams_documents_only(client):
    mine = _upload(client, NOTE).json()
    other = _upload(client, "另一条记录：李科长。".encode(), headers=OTHER_REP).json()
    assert client.get(f"/v1/documents/{mine['document_id']}", headers=MANAGER).status_code == 200
    assert client.get(f"/v1/documents/{other['document_id']}", headers=MANAGER).status_code == 403


def test_rep_cannot_upload_in_another_reps_name(client):
    assert _upload(client, NOTE, rep_id="rep-08").status_code == 403


def test_healthz_needs_no_key(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_a_talk_track_uploaded_with_its_category_feeds_handle_objection(client, settings):
    from jinnang.coaching import talk_tracks_for

    track = "话术：客户嫌价格比进口贵\n先算总成本，再给同级医院中标价区间。".encode()
    response = client.post("/v1/documents", headers=REP, files={"file": ("track.txt", track)},
                           data={"kind": "talk_track", "meta": '{"objection_category": "price"}'})
    assert response.status_code == 202
    ids = [t["id"] for t in talk_tracks_for("price", settings)]
    assert ids[0] == response.json()["document_id"]  # the company's own track before the built-in advice
    assert all(i.startswith("builtin-") for i in ids[1:])


def test_meta_that_is_not_a_json_object_is_a_422_naming_meta(client):
    for meta in ("price", "[1, 2]"):
        response = _upload(client, NOTE, meta=meta)
        assert response.status_code == 422 and response.json()["field"] == "meta"


def test_upload_fields_reach_the_account_and_the_document_links_to_its_record(client, settings):
    from jinnang.core.db import open_engine
    from jinnang.nlp.store import ExtractionRow
    from jinnang.rules.accounts.store import load_account

    note = "金华市人民医院 关节外科\n第一次拜访吴主任，他说价格比进口的贵。".encode()
    response = client.post("/v1/documents", headers=REP, files={"file": ("visit.txt", note)},
                           data={"kind": "visit_note", "account_id": "acc-up1", "hospital": "金华市人民医院",
                                 "province": "浙江", "city": "金华", "hospital_type": "公立三甲",
                                 "product_line": "orthopaedic_implants", "department": "关节外科",
                                 "reference_date": "2026-09-03"})
    assert response.status_code == 202, response.text
    body = response.json()
    account = load_account(open_engine(settings.db_url), "acc-up1")
    assert (account.hospital, account.province, account.city, account.is_public, account.hospital_tier,
            account.product_line, account.department) == ("金华市人民医院", "浙江", "金华", True, "三甲",
                                                          "orthopaedic_implants", "关节外科")
    assert account.field_sources["hospital"] == f"document:{body['document_id']}"
    document = client.get(f"/v1/documents/{body['document_id']}", headers=REP).json()
    job = client.get(f"/v1/jobs/{body['job_id']}", headers=REP).json()
    from sqlalchemy.orm import Session

    with Session(open_engine(settings.db_url)) as session:
        record = session.query(ExtractionRow).filter_by(document_id=body["document_id"]).one()
    assert document["record_id"] == job["record_id"] == record.id
    assert document["job"] == {"id": body["job_id"], "status": "done", "error": None}
    assert document["account_profile"]["hospital_type"] == "公立三甲"
    # a talk track has no record: the link is null, not an error
    track = _upload(client, "话术：先问预算再报价。".encode()).json()
    assert client.get(f"/v1/documents/{track['document_id']}", headers=REP).json()["record_id"] is None


def test_an_overlong_profile_field_is_422_naming_it(client):
    response = _upload(client, NOTE, city="城" * 65)
    assert response.status_code == 422 and response.json()["field"] == "city"
