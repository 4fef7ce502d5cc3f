"""A visit from the phone: the form with the rep's customers and the camera input, saving a note and a
form photo (its EXIF time and place kept as evidence), the extracted items with their review buttons,
and the access rules: own accounts only, a manager for the team, another team never."""
from __future__ import annotations

import datetime as dt
import io
import re

from PIL import Image
from sqlalchemy.orm import Session

from jinnang.core.db import open_engine
from jinnang.ingest.store import DocumentRow
from jinnang.rules.accounts import load_account
from jinnang.service.visits import file_visit

NOTE = "今天见了关节外科吴主任，带了髋关节样品。吴主任说价格比进口的还贵。约了下周三再来。"


def _photo() -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:03:10 15:42:07"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (29.0, 4.0, 44.76), "E", (119.0, 38.0, 50.64)
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "white").save(out, "JPEG", exif=exif)
    return out.getvalue()


def _document(web, document_id: str) -> DocumentRow:
    with Session(open_engine(web.settings.db_url)) as session:
        found = session.get(DocumentRow, document_id)
        assert found is not None
        return found


def test_the_form_offers_the_reps_customers_and_the_camera(web):
    file_visit(web.settings, rep_id="rep-07", account_id="acc-v-01", hospital="金华市人民医院", text=NOTE,
               visit_date=dt.date(2026, 3, 2))
    file_visit(web.settings, rep_id="rep-08", account_id="acc-v-02", hospital="宁波市第二医院",
               text="见了心内科陈主任。", visit_date=dt.date(2026, 3, 2))
    rep = web.client("demo-rep")
    page = rep.get("/visits/new?account_id=acc-v-01")
    assert page.status_code == 200
    assert '<select name="account_id"' in page.text and 'value="acc-v-01"' in page.text
    assert "acc-v-02" not in page.text
    assert '<textarea name="text"' in page.text
    assert re.search(r'<input type="file" name="photo" accept="image/\*" capture="environment"', page.text)
    assert 'data-testid="last-record"' in page.text and "2026-03-02" in page.text
    last = rep.get("/visits/last-record?account_id=acc-v-01", headers={"accept": "application/json"}).json()
    assert last["last"]["date"] == "2026-03-02" and "price" in {o["category"] for o in last["last"]["objections"]}
    assert rep.get("/visits/last-record?account_id=acc-v-02", headers={"accept": "application/json"}).status_code == 403
    assert web.client("west-rep").get("/visits/new").status_code == 200  # their own (empty) list
    assert "金华市人民医院" not in web.client("west-rep").get("/visits/new").text


def test_saving_a_visit_with_a_photo_keeps_its_evidence_and_shows_what_was_read(web):
    rep = web.client("demo-rep")
    refused = rep.post("/visits/new", data={"hospital": "金华市人民医院", "text": NOTE}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    saved = rep.post("/visits/new", data={"csrf": rep.csrf, "hospital": "金华市人民医院", "text": NOTE,
                                          "visit_date": "2026-03-10"},
                     files={"photo": ("form.jpg", _photo(), "image/jpeg")}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    document_id = saved.headers["location"].removeprefix("/visits/")
    note = _document(web, document_id)
    assert note.kind == "visit_note" and note.rep_id == "rep-07" and note.status == "done"
    assert note.meta["visit_evidence"]["taken_at"] == "2026-03-10T15:42:07"
    photo = _document(web, note.meta["photo_document_id"])
    assert photo.kind == "trial_feedback" and photo.reference_date == dt.date(2026, 3, 10)
    assert abs(photo.meta["visit_evidence"]["latitude"] - 29.0791) < 1e-3
    account = load_account(open_engine(web.settings.db_url), note.account_id)
    assert account.rep_id == "rep-07"
    assert any(d.type == "visit_photo" and d.uploaded_at == dt.datetime(2026, 3, 10, 15, 42, 7)
               for d in account.documents)

    page = rep.get(f"/visits/{document_id}")
    assert page.status_code == 200
    assert 'data-testid="evidence-time"' in page.text and "2026-03-10 15:42:07" in page.text
    record_id = re.search(r'data-record-id="(\d+)"', page.text)
    assert record_id
    assert 'data-field="objections" data-index="0"' in page.text
    assert 'data-field="decision_makers"' in page.text and 'data-review="accept"' in page.text
    assert web.client("west-rep").get(f"/visits/{document_id}").status_code == 403
    assert web.client("demo-manager").get(f"/visits/{document_id}").status_code == 200


def test_filing_only_where_the_person_may(web):
    file_visit(web.settings, rep_id="rep-08", account_id="acc-v-02", hospital="宁波市第二医院",
               text="见了心内科陈主任。", visit_date=dt.date(2026, 3, 2))
    rep = web.client("demo-rep")
    into_other = rep.post("/visits/new", data={"csrf": rep.csrf, "account_id": "acc-v-02", "text": NOTE},
                          follow_redirects=False)
    assert into_other.status_code == 403
    west = web.client("west-manager")
    assert west.post("/visits/new", data={"csrf": west.csrf, "account_id": "acc-v-02", "text": NOTE},
                     follow_redirects=False).status_code == 403
    manager = web.client("demo-manager")
    filed = manager.post("/visits/new", data={"csrf": manager.csrf, "account_id": "acc-v-02", "text": NOTE},
                         follow_redirects=False)
    assert filed.status_code == 303
    assert _document(web, filed.headers["location"].removeprefix("/visits/")).rep_id == "rep-08"
    empty = rep.post("/visits/new", data={"csrf": rep.csrf, "text": " "}, follow_redirects=False)
    assert empty.status_code == 422 and 'data-testid="form-error"' in empty.text
