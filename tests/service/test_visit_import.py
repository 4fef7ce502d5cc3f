"""Visit logs imported row by row: each row a visit note of its account, checked first, never half imported."""
import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jinnang.core.config import ConfigError
from jinnang.core.errors import InputError, NotFound
from jinnang.ingest.spreadsheets import read_table
from jinnang.ingest.store import DocumentRow, ingest_engine
from jinnang.nlp.store import ExtractionRow, records_engine
from jinnang.rules.accounts import load_account
from jinnang.service.visit_import import (
    derived_account_id,
    import_plan,
    load_mapping,
    parse_mapping,
    parse_visit_date,
    plan_import,
    save_mapping,
)

MAPPING = "account=客户编号,customer=客户名称,date=拜访日期,note=拜访内容+下一步计划,rep=业务员,department=科室"
HEADER = ["客户编号", "客户名称", "科室", "拜访日期", "拜访内容", "下一步计划", "业务员"]
PRICE_NOTE = "见到了骨科陈主任和设备科刘科长。陈主任说我们的钢板比进口的还贵，科里预算有限。"


def _workbook(rows: list[list[object]], title_row: bool = False) -> bytes:
    book = Workbook()
    log = book.active
    log.title = "拜访记录"
    if title_row:
        log.append(["2026年3月 拜访记录（CRM导出）"])
    log.append(HEADER)
    for row in rows:
        log.append(row)
    book.create_sheet("说明").append(["本表由CRM每周导出，请勿改动表头"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD_ROWS = [
    ["acc-wx-01", "无锡市人民医院", "骨科", dt.datetime(2026, 3, 2), PRICE_NOTE, "约了下周三上午再去设备科。", "rep-07"],
    ["", "宁波市第二医院", "检验科", "2026年3月5日", "电话回访，主任出差。", "", "rep-08"],
]


def _plan(settings, data, mapping=MAPPING, file="crm.xlsx", **kw):
    return plan_import(settings, read_table(data, file), parse_mapping(mapping), file, **kw)


def _documents(settings) -> int:
    with Session(ingest_engine(settings)) as session:
        return session.scalar(select(func.count()).select_from(DocumentRow)) or 0


def test_each_row_becomes_a_visit_note_of_its_account_like_a_typed_note(settings):
    plan = _plan(settings, _workbook(GOOD_ROWS))
    assert plan.errors == [] and plan.skipped_sheets == ["说明"]
    results = import_plan(settings, plan)
    assert [(r["sheet"], r["row"], r["status"]) for r in results] == [("拜访记录", 2, "done"), ("拜访记录", 3, "done")]

    with Session(ingest_engine(settings)) as session:
        first = session.get(DocumentRow, results[0]["document_id"])
        assert first.text == PRICE_NOTE + "\n约了下周三上午再去设备科。"
        assert (first.kind, first.account_id, first.rep_id, first.hospital, first.reference_date) == (
            "visit_note", "acc-wx-01", "rep-07", "无锡市人民医院", dt.date(2026, 3, 2))
        assert first.meta == {"import_file": "crm.xlsx", "sheet": "拜访记录", "row": 2, "customer": "无锡市人民医院",
                              "department": "骨科"}
        second = session.get(DocumentRow, results[1]["document_id"])
        assert second.account_id == derived_account_id("宁波市第二医院")  # no id in the cell: derived from the name
    with Session(records_engine(settings)) as session:
        record = session.scalar(select(ExtractionRow).where(ExtractionRow.document_id == first.id)).record
    assert "price" in {o.category for o in record.objections}
    assert ("next_meeting", dt.date(2026, 3, 11)) in {(d.type, d.date) for d in record.key_dates}
    account = load_account(records_engine(settings), "acc-wx-01")
    assert {c.name for c in account.contacts} >= {"陈", "刘"}
    assert account.visits[0].date == dt.date(2026, 3, 2)

    from jinnang.coaching.search import search

    assert first.id in [hit["doc_id"] for hit in search(settings, "钢板比进口贵 预算有限", k=5)]


def test_a_bad_row_is_named_by_sheet_row_and_column_and_nothing_is_planned_from_it(settings):
    rows = [*GOOD_ROWS, ["acc-3", "华山医院", "骨科", "下周二", "见了主任", "", "rep-07"],
            ["acc-4", "瑞金医院", "骨科", "2026-02-30", "见了主任", "", "rep-07"],
            ["acc-5", "仁济医院", "骨科", "2026-03-09", "", "", "rep-07"],
            ["", "", "骨科", "2026-03-09", "见了主任", "", "rep-07"],
            ["acc-6", "中山医院", "骨科", "明天", "", "", "rep-07"]]
    plan = _plan(settings, _workbook(rows, title_row=True))
    assert [str(e) for e in plan.errors] == [
        '拜访记录!R5 拜访日期: "下周二" is not a date (write 2026-03-02, 2026/3/2 or 2026年3月2日)',
        '拜访记录!R6 拜访日期: "2026-02-30" is not a date (write 2026-03-02, 2026/3/2 or 2026年3月2日)',
        "拜访记录!R7 拜访内容+下一步计划: the note is empty",
        "拜访记录!R8 客户编号: no account: the account id, customer and hospital cells are all empty",
        "拜访记录!R9 拜访内容+下一步计划: the note is empty",  # every problem of a row, not only its first
        '拜访记录!R9 拜访日期: "明天" is not a date (write 2026-03-02, 2026/3/2 or 2026年3月2日)',
    ]
    assert len(plan.rows) == 2 and plan.bad_rows == 5 and _documents(settings) == 0


def test_a_row_with_nothing_in_the_mapped_columns_is_no_visit_and_no_error(settings):
    rows = [*GOOD_ROWS, ["", "", "本月共2次拜访", "", "", "", ""]]  # a remark under the log, in 科室
    plan = _plan(settings, _workbook(rows), MAPPING.replace(",department=科室", ""))
    assert plan.errors == [] and [r.row for r in plan.rows] == [2, 3]


def test_a_mapped_column_missing_from_the_header_names_it_and_the_headers_found(settings):
    with pytest.raises(InputError) as err:
        _plan(settings, _workbook(GOOD_ROWS), "date=拜访日期,note=拜访内容+跟进计划")
    assert err.value.field == "map"
    assert "跟进计划" in err.value.message and "客户编号, 客户名称, 科室" in err.value.message
    with pytest.raises(InputError) as err:
        _plan(settings, _workbook(GOOD_ROWS), MAPPING, sheet="周报")
    assert err.value.field == "sheet" and "拜访记录, 说明" in err.value.message


@pytest.mark.parametrize("text, message", [
    ("date=拜访日期", "needs note"), ("note=内容,when=日期", "unknown field 'when'"),
    ("note=内容,date=日期,date=时间", "mapped twice"), ("note=内容,date=日期+时间", "only note may join"),
    ("note=内容,date", "is not field=column"),
])
def test_a_bad_mapping_is_an_error_on_map_saying_what_is_wrong(text, message):
    with pytest.raises(InputError) as err:
        parse_mapping(text)
    assert err.value.field == "map" and message in err.value.message


@pytest.mark.parametrize("cell, date", [
    ("2026-03-02", dt.date(2026, 3, 2)), ("2026/3/2", dt.date(2026, 3, 2)), ("2026.3.2", dt.date(2026, 3, 2)),
    ("2026年3月2日", dt.date(2026, 3, 2)), ("２０２６年３月２日", dt.date(2026, 3, 2)), ("20260302", dt.date(2026, 3, 2)),
    ("2026-03-02T14:30:00", dt.date(2026, 3, 2)), ("2026/3/2 14:30", dt.date(2026, 3, 2)),
    ("46083", dt.date(2026, 3, 2)),  # an Excel date cell exported as its serial number
    ("下周二", None), ("3/2", None), ("2026-13-01", None), ("", None), ("12", None), ("0026-03-02", None),
])
def test_visit_dates_in_the_common_written_forms(cell, date):
    assert parse_visit_date(cell) == date


def test_a_saved_mapping_is_reused_by_name(settings):
    path = save_mapping(settings, "crm-weekly", parse_mapping(MAPPING))
    assert path == settings.data_dir / "mappings" / "crm-weekly.yaml"
    assert load_mapping(settings, "crm-weekly") == parse_mapping(MAPPING)
    with pytest.raises(NotFound) as err:
        load_mapping(settings, "crm")
    assert "crm-weekly" in err.value.message
    with pytest.raises(InputError):
        save_mapping(settings, "../escape", parse_mapping(MAPPING))
    path.write_text("note: 拜访内容\ndate: [拜访日期, 日期]\n", encoding="utf-8")  # edited by hand, wrongly
    with pytest.raises(ConfigError) as broken:
        load_mapping(settings, "crm-weekly")
    assert (broken.value.line, broken.value.field) == (2, "date")


def test_importing_the_same_file_twice_stores_nothing_twice(settings):
    data = _workbook(GOOD_ROWS)
    first = import_plan(settings, _plan(settings, data))
    again = import_plan(settings, _plan(settings, data))
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert [r["document_id"] for r in again] == [r["document_id"] for r in first]
    assert _documents(settings) == 2


def test_the_same_words_for_two_accounts_stay_two_visits(settings):
    rows = [["acc-a", "华山医院", "骨科", "2026-03-02", "电话回访", "", "rep-07"],
            ["acc-b", "瑞金医院", "骨科", "2026-03-02", "电话回访", "", "rep-07"]]
    results = import_plan(settings, _plan(settings, _workbook(rows)))
    assert len({r["document_id"] for r in results}) == 2 and _documents(settings) == 2
    later = [["acc-c", "仁济医院", "骨科", "2026-03-09", "电话回访", "", "rep-08"]]  # a later export, same words
    assert import_plan(settings, _plan(settings, _workbook(later)))[0]["status"] == "done"
    assert import_plan(settings, _plan(settings, _workbook(later)))[0]["status"] == "duplicate"
    cumulative = import_plan(settings, _plan(settings, _workbook([*rows, *later])))  # the month so far, again
    assert [r["status"] for r in cumulative] == ["duplicate"] * 3
    assert _documents(settings) == 3
    assert load_account(records_engine(settings), "acc-c").visits[0].date == dt.date(2026, 3, 9)
