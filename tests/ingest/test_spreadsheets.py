"""Workbooks and CSV files as reps' PCs save them: real .xlsx written with openpyxl, CSV in GBK, UTF-16, Big5."""
import datetime as dt
import io

import pytest
from openpyxl import Workbook

from jinnang.core.errors import Empty, InputError, Unsupported
from jinnang.ingest.spreadsheets import csv_text, read_csv, read_table, read_xlsx, table_text

CSV = "客户名称,拜访日期,拜访内容\n金华市人民医院,2026/3/2,见到了骨科陈主任，说价格太贵。\n宁波市第二医院,2026年3月5日,电话回访\n"


def _xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gbk", "gb18030"])
def test_csv_text_in_any_common_encoding_reads_the_same(encoding):
    assert csv_text(CSV.encode(encoding)) == CSV
    table = read_table(CSV.encode(encoding), "拜访.csv")
    assert table.sheets[0].name == "拜访"
    assert table.sheets[0].header == ["客户名称", "拜访日期", "拜访内容"]
    assert [n for n, _ in table.sheets[0].rows] == [2, 3]


def test_gbk_guesses_are_decoded_as_gb18030_so_rarer_characters_survive():
    text = "客户名称,拜访内容\n镕基医院,䶮主任说再等等\n" * 3  # 镕 and 䶮 are outside GB2312
    assert csv_text(text.encode("gb18030")) == text


def test_short_gbk_notes_under_ascii_headers_are_not_read_as_korean():
    text = "account,date,note\nA001,2026-03-02,电话回访\nA002,2026-03-03,送资料\n"
    assert csv_text(text.encode("gbk")) == text


def test_big5_text_from_a_traditional_chinese_system_is_read():
    text = "醫院,日期,內容\n臺大醫院,2026/3/2,見到了主任，說價格太貴，下週再談。\n" * 2
    assert csv_text(text.encode("big5")) == text


def test_bytes_that_are_no_text_are_an_input_error_on_file():
    with pytest.raises(InputError) as err:
        csv_text(bytes(range(256)) * 4)
    assert err.value.field == "file"


def test_a_workbook_gives_every_filled_sheet_with_row_numbers_and_dates_as_written():
    data = _xlsx({"拜访记录": [["客户名称", "拜访日期", "拜访内容"],
                               ["金华市人民医院", dt.datetime(2026, 3, 2), "见到了陈主任"],
                               [None, None, None],
                               ["宁波市第二医院", dt.datetime(2026, 3, 5, 14, 30), "电话回访"]],
                  "空白": [], "说明": [["本表由CRM导出"]]})
    table = read_table(data, "crm.xlsx")
    assert [s.name for s in table.sheets] == ["拜访记录", "说明"]
    assert table.sheets[0].rows == [(2, ["金华市人民医院", "2026-03-02", "见到了陈主任"]),
                                    (4, ["宁波市第二医院", "2026-03-05T14:30:00", "电话回访"])]
    assert read_xlsx(data).sheets[0].header == table.sheets[0].header
    assert "客户名称：金华市人民医院；拜访日期：2026-03-02；拜访内容：见到了陈主任。" in table_text(table)


def test_a_customer_merged_over_its_visit_rows_belongs_to_each_row():
    book = Workbook()
    sheet = book.active
    sheet["A1"] = "2026年3月 拜访记录"
    sheet.merge_cells("A1:C1")  # a title across the columns stays in its first cell
    for row in (["客户名称", "拜访日期", "拜访内容"], ["金华市人民医院", "2026-03-02", "见了陈主任"],
                [None, "2026-03-09", "送了资料"], ["宁波市第二医院", "2026-03-20", "电话回访"]):
        sheet.append(row)
    sheet.merge_cells("A3:A4")
    out = io.BytesIO()
    book.save(out)
    table = read_xlsx(out.getvalue())
    assert table.sheets[0].header == ["2026年3月 拜访记录", "", ""]
    assert [cells[0] for _, cells in table.sheets[0].rows] == ["客户名称", "金华市人民医院", "金华市人民医院", "宁波市第二医院"]


def test_tab_separated_text_is_a_table_too():
    table = read_csv("客户\t内容\n华山医院\t约了周三\n")
    assert table.sheets[0].rows == [(2, ["华山医院", "约了周三"])]


@pytest.mark.parametrize("data, error", [
    (b"", Empty),
    (b"PK\x03\x04 a zip cut short", InputError),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), Unsupported),
    (b" \n\n", Empty),
])
def test_a_malformed_or_empty_file_is_a_clear_error_on_file(data, error):
    with pytest.raises(error) as err:
        read_table(data, "visits.xlsx")
    assert err.value.field == "file" and err.value.message
