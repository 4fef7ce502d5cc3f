"""A note with patients' identifiers, ingested all the way, leaves them only in the uploaded file.

Stored text, pages and OCR lines, chunks, Chroma, the extraction record, the playbook index and
search, and the log see the masked text; the blob on disk is the original, as uploaded.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.ingest.pipeline import CHUNKS_COLLECTION
from jinnang.ingest.store import ChunkRow, DocumentRow, OcrLineRow, PageRow, ingest_engine
from jinnang.ingest.vectors import open_collection
from jinnang.nlp.store import ExtractionRow, records_engine
from jinnang.service.pipeline import ingest_bytes

PLANTED = ["13812345678", "0571-88886666", "110101199003071234", "2026001234", "MR20260012", "12号床", "张建国"]
NOTE = ("杭州市第一人民医院 骨科 第二次拜访\n"
        "见到了骨科王主任和设备科李科长。王主任说我们的钢板比进口的还贵，科里预算有限。\n"
        "王主任提到患者张建国（住院号：2026001234，12号床，病历号 MR20260012）术后恢复很好，"
        "家属电话13812345678，身份证号110101199003071234，科室座机0571-88886666。\n"
        "约了下周三上午再去设备科。")
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def _files_under(directory: Path, skip: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and skip not in p.parents]


def test_planted_identifiers_reach_nothing_but_the_original_file(settings, caplog):
    caplog.set_level(logging.DEBUG)
    registration, job = ingest_bytes(settings, NOTE.encode(), "患者张建国 13812345678.txt", kind="visit_note",
                                     account_id="acc-1", rep_id="rep-07", hospital="杭州市第一人民医院",
                                     reference_date=dt.date(2026, 11, 16),
                                     meta={"outcome": "won", "customer_phone": "13812345678"})
    assert job is not None and job.status == "done", job.error if job else None

    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, registration.document_id)
        assert document is not None
        assert document.meta == {"outcome": "won", "customer_phone": "【手机号】"}
        texts = [document.text or "", document.filename, str(document.meta or "")]
        texts += session.scalars(select(PageRow.text).where(PageRow.document_id == document.id)).all()
        texts += session.scalars(select(OcrLineRow.text)).all()
        chunks = session.scalars(select(ChunkRow.text).where(ChunkRow.document_id == document.id)).all()
        blob = Path(document.blob_path).read_bytes()
    assert chunks
    texts += chunks
    stored = open_collection(settings, CHUNKS_COLLECTION).get(where={"document_id": registration.document_id},
                                                               include=["documents", "metadatas"])
    assert stored["ids"] and not any(stored["documents"])  # Chroma keeps vectors and metadata, never the text
    texts += [str(m) for m in stored["metadatas"]]
    with Session(records_engine(settings)) as session:
        row = session.scalar(select(ExtractionRow).where(ExtractionRow.document_id == registration.document_id))
        assert row is not None
        record = row.record
        texts += [row.text, row.record_json]
    # the business content is still read: the decision makers and the price objection
    assert {dm.name for dm in record.decision_makers} >= {"王", "李"}
    assert "price" in {o.category for o in record.objections}
    texts += [e.text for dm in record.decision_makers for e in dm.evidence]
    texts += [o.evidence for o in record.objections]

    from jinnang.coaching.search import search

    hits = [hit for query in ("13812345678", "张建国 术后恢复", "住院号 2026001234", "钢板 进口 贵")
            for hit in search(settings, query, k=10)]
    assert any(hit["doc_id"] == registration.document_id for hit in hits)
    texts += [str(hit) for hit in hits]

    everything = "\n".join(texts) + "\n" + caplog.text
    assert "【手机号】" in (document.text or "") and "【患者】" in (document.text or "")
    for identifier in PLANTED:
        assert identifier not in everything, identifier
        assert identifier.encode() in blob  # the original is the one place it remains
    # nothing the service wrote under its data directory (SQLite, Chroma, the playbook index) holds one
    written = _files_under(settings.data_dir, skip=settings.data_dir / "blobs")
    assert any(p.suffix == ".sqlite3" for p in written), written
    for path in written:
        data = path.read_bytes()
        assert not [i for i in PLANTED if i.encode() in data], path


def test_a_scanned_form_is_masked_line_by_line(settings):
    image = Image.new("RGB", (900, 260), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 36)
    for row, line in enumerate(["患者姓名：张建国", "住院号：2026001234", "家属电话：13812345678"]):
        draw.text((30, 30 + row * 75), line, fill="black", font=font)
    png = io.BytesIO()
    image.save(png, format="PNG")
    registration, job = ingest_bytes(settings, png.getvalue(), "form.png", kind="talk_track")
    assert job is not None and job.status == "done", job.error if job else None

    with Session(ingest_engine(settings)) as session:
        lines = session.scalars(select(OcrLineRow.text)).all()
        document = session.get(DocumentRow, registration.document_id)
        assert document is not None
        text = document.text or ""
    assert all(placeholder in text for placeholder in ("【患者】", "【住院号】", "【手机号】")), text
    assert "\n".join(lines) == text  # the OCR lines are the masked ones the document's text is made of
    for identifier in ("张建国", "2026001234", "13812345678"):
        assert identifier not in text


def test_a_chat_exports_messages_are_masked_where_they_are_kept(settings):
    chat = ("2026-03-02 10:15:33 王主任\n患者张建国明天出院，家属电话13812345678\n"
            "2026-03-02 10:16:01 我\n好的，收到\n").encode()
    registration, job = ingest_bytes(settings, chat, "chat.txt", kind="visit_note", rep_id="rep-07")
    assert job is not None and job.status == "done", job.error if job else None
    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, registration.document_id)
        assert document is not None
        kept = f"{document.text}\n{document.meta}"
    assert (document.meta or {}).get("chat"), "the chat was read as a chat"
    assert "王主任" in kept
    assert "张建国" not in kept and "13812345678" not in kept
