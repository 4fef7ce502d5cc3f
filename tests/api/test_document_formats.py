"""A note uploaded as GBK or UTF-16 text, as a Word file, or a visit log as Excel or CSV gives the same
extraction as its UTF-8 text; a malformed file of each kind is refused with a 4xx naming `file`,
and nothing of it is stored."""
import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from jinnang.api.app import create_app
from jinnang.ingest.store import DocumentRow, ingest_engine
from tests_support_files import docx_bytes, xlsx_bytes

REP = {"X-API-Key": "rep7"}
LINES = ["南京鼓楼医院 骨科", "见到了骨科王主任和设备科李科长。", "王主任说价格偏高，比进口的还贵。",
         "李科长说今年预算已经用完了。", "约了下周三再谈，3月10日开始试用。"]
NOTE = "\n".join(LINES) + "\n"
LOG = [["医院", "拜访日期", "拜访内容"],
       ["南京鼓楼医院", "2026-03-02", "见到了骨科王主任，他说价格偏高，比进口的还贵。约了下周三再谈。"]]


@pytest.fixture
def client(settings):
    return TestClient(create_app(settings))


_docx = docx_bytes
_xlsx = xlsx_bytes


def _csv(rows) -> str:
    return "\r\n".join(",".join(f'"{cell}"' if "，" in cell or "," in cell else cell for cell in row)
                       for row in rows) + "\r\n"


def _pptx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p/>")
    return buffer.getvalue()


def _extracted(client, data: bytes, name: str) -> dict:
    """Upload one file as a visit note and answer what was extracted from it."""
    response = client.post("/v1/documents", headers=REP, files={"file": (name, data)},
                           data={"kind": "visit_note", "reference_date": "2026-03-02"})
    assert response.status_code == 202, response.text
    document_id = response.json()["document_id"]
    job = client.get(f"/v1/jobs/{response.json()['job_id']}", headers=REP).json()
    assert job["status"] == "done", job
    records = [r for r in client.get("/v1/review/records", headers=REP, params={"rep_id": "rep-07"}).json()
               if r["document_id"] == document_id]
    assert len(records) == 1
    machine = records[0]["machine"]
    return {"decision_makers": sorted((d["name"], d["title"], d["role"]) for d in machine["decision_makers"]),
            "objections": sorted(o["category"] for o in machine["objections"]),
            "key_dates": sorted((k["type"], k["date"]) for k in machine["key_dates"])}


def test_a_note_in_gbk_utf16_or_word_gives_the_same_records_as_its_utf8_text(client):
    expected = _extracted(client, NOTE.encode(), "note.txt")
    assert expected["decision_makers"] and expected["objections"] and expected["key_dates"]
    forms = {"gbk.txt": NOTE.encode("gbk"),
             "utf16.txt": NOTE.encode("utf-16"), "utf16-no-bom.txt": NOTE.encode("utf-16-le"),
             "utf8-bom.txt": NOTE.encode("utf-8-sig"), "note.docx": _docx(LINES)}
    for name, data in forms.items():
        assert _extracted(client, data, name) == expected, name


def test_a_visit_log_as_excel_or_csv_in_any_encoding_gives_the_same_records(client):
    expected = _extracted(client, _csv(LOG).encode(), "log.csv")
    assert expected["decision_makers"] and expected["objections"]
    for name, data in {"log.xlsx": _xlsx(LOG), "log-gbk.csv": _csv(LOG).encode("gbk"),
                       "log-utf16.csv": _csv(LOG).encode("utf-16")}.items():
        assert _extracted(client, data, name) == expected, name


def _stored(settings) -> tuple[int, list[str]]:
    with Session(ingest_engine(settings)) as session:
        rows = session.query(DocumentRow).count()
    blobs = settings.data_dir / "blobs"
    return rows, sorted(p.name for p in blobs.iterdir()) if blobs.exists() else []


_WORD, _BOOK = _docx(LINES), _xlsx(LOG)


def _broken_sheet() -> bytes:
    source, buffer = zipfile.ZipFile(io.BytesIO(_BOOK)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            target.writestr(name, b"<worksheet><row" if name == "xl/worksheets/sheet1.xml" else source.read(name))
    return buffer.getvalue()


@pytest.mark.parametrize("name,data,status", [
    ("binary.txt", bytes(range(256)) * 16, 415),                          # binary garbage named .txt
    ("mojibake.txt", b"\x81\x30" * 200 + b"\x01\x02\x03" * 200, 415),     # decodes only to control characters
    ("odd.txt", b"\xff\xfe" + "王主任".encode("utf-16-le") + b"\x00", 415),  # a UTF-16 mark over odd bytes
    ("cut.docx", _WORD[: len(_WORD) // 2], 422),                          # a Word file cut short
    ("blank.docx", _docx([" "]), 400),                                    # a Word file with no text
    ("cut.xlsx", _BOOK[: len(_BOOK) // 2], 422),                          # a workbook cut short
    ("broken.xlsx", _broken_sheet(), 422),                                # a workbook with a broken sheet
    ("slides.pptx", _pptx(), 415),                                        # another Office file
])
def test_a_malformed_file_of_each_kind_gets_a_4xx_naming_the_file_and_stores_nothing(client, settings, name, data,
                                                                                     status):
    _extracted(client, NOTE.encode(), "note.txt")  # one good document already stored
    before = _stored(settings)
    response = client.post("/v1/documents", headers=REP, files={"file": (name, data)}, data={"kind": "visit_note"})
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "field", "path", "message"}
    assert body["status"] == status and body["field"] == "file" and body["message"]
    assert _stored(settings) == before


def test_the_cli_ingests_gbk_word_and_excel_files(tmp_path, monkeypatch):
    from jinnang.cli import ingest_cmds  # noqa: F401  (registers `ingest`)
    from jinnang.cli.app import app
    from jinnang.core.settings import get_settings

    monkeypatch.setenv("JINNANG_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    files = {"gbk.txt": NOTE.encode("gbk"), "note.docx": _docx(LINES), "log.xlsx": _xlsx(LOG),
             "cut.docx": _WORD[:2000]}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    try:
        result = CliRunner().invoke(app, ["ingest", "--json", "--reference-date", "2026-03-02",
                                          *(str(tmp_path / name) for name in files)])
    finally:
        get_settings.cache_clear()
    rows = {json.loads(line)["file"].rsplit("/", 1)[-1]: json.loads(line) for line in result.stdout.splitlines()}
    assert [rows[n]["status"] for n in ("gbk.txt", "note.docx", "log.xlsx")] == ["done"] * 3, result.stdout
    assert rows["cut.docx"]["status"] == "rejected" and rows["cut.docx"]["error"].startswith("file:")
