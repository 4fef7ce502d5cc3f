"""A note ingested for an account flows all the way: record → account → next actions citing the playbook."""
import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.api.app import create_app
from jinnang.nlp.store import ExtractionRow, records_engine
from jinnang.rules.accounts import load_account
from jinnang.service.pipeline import ingest_bytes

NOTE = ("无锡市人民医院 骨科 第一次拜访\n见到了骨科陈主任和设备科刘科长。陈主任说我们的钢板比进口的还贵，"
        "科里预算有限。约了下周三上午再去设备科。").encode()
TALK_TRACK = "话术：客户嫌价格比进口贵\n先算总成本，再给同级医院中标价区间，不先降价。".encode()


def test_an_ingested_note_updates_its_account_and_next_actions_cite_the_playbook(settings):
    ingest_bytes(settings, TALK_TRACK, "price.txt", kind="talk_track", meta={"objection_category": "price"})
    registration, job = ingest_bytes(settings, NOTE, "note.txt", kind="visit_note", account_id="acc-9",
                                     rep_id="rep-07", hospital="无锡市人民医院",
                                     reference_date=dt.date(2026, 11, 16))
    assert job.status == "done", job.error

    with Session(records_engine(settings)) as session:
        row = session.scalar(select(ExtractionRow).where(ExtractionRow.document_id == registration.document_id))
        record = row.record
    assert {dm.name for dm in record.decision_makers} >= {"陈", "刘"}
    assert "price" in {o.category for o in record.objections}
    assert ("next_meeting", dt.date(2026, 11, 25)) in {(d.type, d.date) for d in record.key_dates}
    # every fact points back at the document (and page) it was read from
    price = next(o for o in record.objections if o.category == "price")
    assert (price.document_id, price.page) == (registration.document_id, 1)
    assert NOTE.decode()[price.start:price.end] == price.evidence
    assert all(e.document_id == registration.document_id for dm in record.decision_makers for e in dm.evidence)

    account = load_account(records_engine(settings), "acc-9")
    assert {c.name for c in account.contacts} >= {"陈", "刘"}
    assert account.visits and account.visits[0].date == dt.date(2026, 11, 16)

    client = TestClient(create_app(settings))
    body = client.get("/v1/accounts/acc-9/next-actions", headers={"X-API-Key": "rep7"}).json()
    objection = next(s for s in body["suggestions"] if s["action"] == "handle_objection")
    assert any(e["source"] == "playbook" for e in objection["evidence"])
    assert client.get("/v1/accounts/acc-9/next-actions", headers={"X-API-Key": "rep8"}).status_code == 403


def test_a_note_never_lands_in_an_account_its_rep_may_not_change(settings, caplog):
    ingest_bytes(settings, NOTE, "note.txt", account_id="acc-9", rep_id="rep-07", reference_date=dt.date(2026, 11, 16))
    before = load_account(records_engine(settings), "acc-9")
    other = "苏州市立医院 心内科\n见到了心内科赵主任，他说要先看注册证。".encode()
    registration, job = ingest_bytes(settings, other, "other.txt", account_id="acc-9", rep_id="rep-08",
                                     reference_date=dt.date(2026, 11, 17))
    assert job.status == "done", job.error  # the note itself is stored and extracted, for its own rep
    assert load_account(records_engine(settings), "acc-9") == before
    assert "belongs to rep-07" in caplog.text


def test_reingesting_the_same_note_changes_nothing(settings):
    first, _ = ingest_bytes(settings, NOTE, "note.txt", account_id="acc-9", rep_id="rep-07",
                            reference_date=dt.date(2026, 11, 16))
    before = load_account(records_engine(settings), "acc-9")
    again, job = ingest_bytes(settings, NOTE, "again.txt", account_id="acc-9", rep_id="rep-07",
                              reference_date=dt.date(2026, 11, 16))
    assert again.duplicate and job is None
    assert load_account(records_engine(settings), "acc-9") == before


def test_evidence_on_a_later_page_of_a_scan_names_that_page():
    from jinnang.core.records import ExtractionRecord, KeyDate, Objection
    from jinnang.ingest.store import DocumentRow, PageRow
    from jinnang.service.pipeline import link_to_source

    pages = [PageRow(page_no=1, engine="rapidocr", text="试用反馈表\n科室：骨科"), PageRow(page_no=2, engine="rapidocr",
                                                                                text="存在问题：单价偏高")]
    document = DocumentRow(id="doc-x", pages=pages)
    text = "\n".join(p.text for p in pages)
    start = text.index("单价偏高")
    record = ExtractionRecord(objections=[Objection(category="price", evidence="单价偏高", start=start, end=start + 4)],
                              key_dates=[KeyDate(type="other", date=dt.date(2026, 1, 5), start=0, end=2)])
    linked = link_to_source(record, document)
    assert (linked.objections[0].document_id, linked.objections[0].page) == ("doc-x", 2)
    assert linked.key_dates[0].page == 1


def test_no_sqlite_write_is_held_open_while_the_pipeline_embeds(settings, monkeypatch):
    import sqlite3

    from jinnang.ingest.embed import get_embedder

    embedder = get_embedder(settings.embedding_model)
    embed = embedder.embed
    locked: list[bool] = []

    def embed_and_probe(texts):
        # another writer (an upload, a review) must get the database while vectors are computed
        probe = sqlite3.connect(settings.sqlite_path, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            locked.append(False)
        except sqlite3.OperationalError:
            locked.append(True)
        finally:
            probe.close()
        return embed(texts)

    monkeypatch.setattr(embedder, "embed", embed_and_probe)
    _, job = ingest_bytes(settings, NOTE, "note.txt", account_id="acc-9", rep_id="rep-07")
    assert job.status == "done", job.error
    assert locked and not any(locked)
