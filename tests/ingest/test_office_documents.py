"""Word reports and Excel sheets uploaded as documents read in the order a person reads them;
a damaged one is refused when it arrives, with nothing stored."""
import io
import zipfile

import docx
import pytest
from sqlalchemy.orm import Session

from jinnang.core.errors import Empty, InputError, Unsupported
from jinnang.ingest.office import docx_text, xlsx_text
from jinnang.ingest.pipeline import register_document, run_job
from jinnang.ingest.sniff import sniff
from jinnang.ingest.store import DocumentRow, ingest_engine
from tests_support_files import xlsx_bytes


def _docx(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _report(document) -> None:
    document.sections[0].header.paragraphs[0].text = "华冠医疗 内部资料"  # a letterhead, not the note
    document.add_heading("情况说明", level=1)
    document.add_paragraph("南京鼓楼医院 骨科")
    document.add_paragraph("")
    document.add_paragraph("   ")
    table = document.add_table(rows=3, cols=3)
    for col, text in enumerate(["姓名", "职务", "意见"]):
        table.cell(0, col).text = text
    for col, text in enumerate(["王", "主任", "价格偏高"]):
        table.cell(1, col).text = text
    merged = table.cell(2, 0).merge(table.cell(2, 2))
    merged.text = "下周三再谈"
    document.add_paragraph("设备科李科长问注册证。")


_workbook = xlsx_bytes


def _rezip(data: bytes, order) -> bytes:
    """The same package with its parts in another order (as some tools write them)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in order(source.namelist()):
            target.writestr(name, source.read(name))
    return buffer.getvalue()


def test_a_word_report_reads_paragraphs_and_tables_in_document_order():
    assert docx_text(_docx(_report)).splitlines() == [
        "情况说明", "南京鼓楼医院 骨科", "姓名  职务  意见", "王  主任  价格偏高", "下周三再谈", "设备科李科长问注册证。"]


def test_word_and_excel_are_recognised_from_their_bytes():
    assert sniff(_docx(_report)).kind == "docx"
    assert sniff(_workbook([["医院", "记录"], ["鼓楼医院", "价格偏高"]])).kind == "xlsx"


def test_a_word_file_whose_parts_are_in_an_unusual_order_is_still_word():
    data = _rezip(_docx(_report), lambda names: sorted(names, key=lambda n: not n.startswith("word/")))
    assert sniff(data).kind == "docx" and "南京鼓楼医院 骨科" in docx_text(data)


def test_a_powerpoint_or_a_plain_zip_is_unsupported():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p/>")
    with pytest.raises(Unsupported) as caught:
        sniff(buffer.getvalue())
    assert caught.value.field == "file" and "PowerPoint" in caught.value.message
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("photos/1.txt", "x")
    with pytest.raises(Unsupported):
        sniff(plain.getvalue())


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_truncated_word_file_is_an_input_error_naming_the_file(settings, cut):
    data = _docx(_report)
    with pytest.raises(InputError) as caught:
        register_document(settings, data[:int(len(data) * cut)], "report.docx")
    assert type(caught.value) is InputError and caught.value.field == "file"
    assert "cannot be read" in caught.value.message
    with Session(ingest_engine(settings)) as session:
        assert session.query(DocumentRow).count() == 0


def test_a_word_file_with_no_text_is_empty():
    with pytest.raises(Empty):
        docx_text(_docx(lambda document: document.add_paragraph("  ")))


def test_an_excel_sheet_reads_as_one_line_a_row():
    data = _workbook([["医院", "联系人", "记录"], ["鼓楼医院", "王主任", "价格偏高"], [None, None, None],
                      ["市一院", "李科长", "要注册证"]])
    assert xlsx_text(data).splitlines() == ["医院：鼓楼医院；联系人：王主任；记录：价格偏高。",
                                            "医院：市一院；联系人：李科长；记录：要注册证。"]


def test_a_truncated_excel_file_is_an_input_error_naming_the_file():
    truncated = _workbook([["医院", "记录"], ["鼓楼医院", "价格偏高"]])[:3000]
    assert sniff(truncated).kind == "xlsx"
    with pytest.raises(InputError) as caught:
        xlsx_text(truncated)
    assert caught.value.field == "file"


def test_an_excel_file_with_a_broken_sheet_is_an_input_error_naming_the_file():
    data = _workbook([["医院", "记录"], ["鼓楼医院", "价格偏高"]])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            broken = name == "xl/worksheets/sheet1.xml"
            target.writestr(name, b"<worksheet><sheetData><row r=" if broken else source.read(name))
    with pytest.raises(InputError) as caught:
        xlsx_text(buffer.getvalue())
    assert caught.value.field == "file"


def test_a_word_upload_is_stored_with_its_text_and_original_bytes(settings):
    data = _docx(_report)
    registration = register_document(settings, data, "情况说明.docx", rep_id="rep-07")
    assert run_job(settings, registration.job_id).status == "done"
    with Session(ingest_engine(settings)) as session:
        document = session.get(DocumentRow, registration.document_id)
        assert document.source_kind == "docx" and document.pages[0].engine == "docx"
        assert document.text.startswith("情况说明\n南京鼓楼医院 骨科") and document.blob_path.endswith(".docx")
        with open(document.blob_path, "rb") as blob:
            assert blob.read() == data
