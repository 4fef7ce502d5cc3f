"""Reading order follows the page: a column is read to its end before the next, tables row by row.

Pages are rendered here with Noto CJK and read by the real RapidOCR engine; the
geometric rules are also pinned on hand-made boxes, engine-free.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from jinnang.ingest.ocr import ocr_image
from jinnang.ingest.ocr.reading_order import Fragment, reading_order

FONTS = Path("/usr/share/fonts/opentype/noto")

LEFT = [("一、基本信息", True), ("医院：嘉兴市第二医院", False), ("科室：检验科", False),
        ("产品：全自动生化分析仪", False), ("型号：BS-880", False), ("二、试用评价", True),
        ("1. 检测速度满足日常样本量。", False), ("2. 试剂消耗与预期一致。", False), ("3. 操作界面较易上手。", False)]
RIGHT = [("三、问题与建议", True), ("1. 仪器LIS通讯需经第三方中间件，", False), ("上线时间比计划晚两周。", False),
         ("2. 冷藏位偶有报警，工程师已到场", False), ("检查传感器。", False), ("四、科室意见", True),
         ("同意继续试用，待通讯问题解决后", False), ("提交设备科评审。", False)]
FOOTER = ["填表人：检验科主任 沈国强", "日期：2026年9月18日"]


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = FONTS / ("NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc")
    if not path.is_file():
        pytest.skip("Noto Sans CJK is not installed")
    return ImageFont.truetype(str(path), size)


def two_column_form(pitch: int = 64) -> tuple[Image.Image, str]:
    """An A4 page at 200 dpi: a title, two columns of sections whose lines sit side by side on
    wide line gaps (what made the old order interleave them), then a signature block."""
    body, bold = _font(34), _font(34, bold=True)
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    draw.text((420, 120), "生化分析仪试用反馈表", font=_font(48, bold=True), fill=0)
    top = 300
    for column, x in ((LEFT, 120), (RIGHT, 860)):
        y = top
        for text, heading in column:
            if heading and y != top:
                y += pitch // 2
            draw.text((x, y), text, font=bold if heading else body, fill=0)
            y += pitch
    y = top + pitch * 11
    for text in FOOTER:
        draw.text((120, y), text, font=body, fill=0)
        y += pitch
    gold = "\n".join(["生化分析仪试用反馈表", *(t for t, _ in LEFT), *(t for t, _ in RIGHT), *FOOTER])
    return page, gold


def _cer(text: str, gold: str) -> float:
    return Levenshtein.distance(text, gold) / len(gold)


def test_two_column_form_reads_each_column_whole_then_the_signatures():
    page, gold = two_column_form()
    result = ocr_image(page, "rapidocr")
    assert _cer(result.text, gold) <= 0.01
    lines = result.text.splitlines()
    assert lines.index("二、试用评价") < lines.index("三、问题与建议") < lines.index("四、科室意见")
    assert lines[-2:] == FOOTER


def test_every_line_keeps_its_box_on_the_page():
    page, _ = two_column_form()
    lines = ocr_image(page, "rapidocr").lines
    heading = next(line for line in lines if line.text == "三、问题与建议")
    assert heading.box is not None
    x0, y0, x1, y1 = heading.box
    assert 850 <= x0 <= 870 and 290 <= y0 <= 320 and x1 < 1200 and y1 < 360
    assert all(line.box is not None and 0 <= line.box[0] < line.box[2] <= page.width for line in lines)


def test_label_value_table_below_two_columns_is_still_read_row_by_row():
    page, gold = two_column_form()
    draw = ImageDraw.Draw(page)
    body = _font(34)
    rows = [("试用例数", "126例"), ("故障次数", "2次"), ("结论", "建议采购")]
    xs, top, pitch = [120, 420, 1500], 1200, 70
    for i, (label, value) in enumerate(rows):
        draw.line([(xs[0], top + i * pitch), (xs[-1], top + i * pitch)], fill=0, width=2)
        draw.text((xs[0] + 20, top + i * pitch + 14), label, font=body, fill=0)
        draw.text((xs[1] + 20, top + i * pitch + 14), value, font=body, fill=0)
    draw.line([(xs[0], top + len(rows) * pitch), (xs[-1], top + len(rows) * pitch)], fill=0, width=2)
    for x in xs:
        draw.line([(x, top), (x, top + len(rows) * pitch)], fill=0, width=2)
    text = ocr_image(page, "rapidocr").text
    assert _cer(text, gold + "\n" + "\n".join(t for row in rows for t in row)) <= 0.01


def _frag(text: str, x0: float, y0: float, x1: float, y1: float) -> Fragment:
    return Fragment(text, 0.9, (x0, y0, x1, y1))


def _column(texts: list[str], x0: float, x1: float, top: float, pitch: float = 70) -> list[Fragment]:
    return [_frag(t, x0, top + i * pitch, x1, top + i * pitch + 34) for i, t in enumerate(texts)]


def test_columns_on_wide_line_gaps_are_not_interleaved():
    left = _column([f"左栏第{i}行，说明文字" for i in range(5)], 100, 440, 300)
    right = _column([f"右栏第{i}行，问题与建议" for i in range(4)], 860, 1240, 300)
    title = [_frag("试用反馈表", 500, 120, 800, 170)]
    lines = reading_order(right + title + left)
    assert [line.text for line in lines] == [f.text for f in title + left + right]


def test_a_line_below_both_columns_after_a_wider_gap_comes_after_them():
    left = _column([f"左栏第{i}行，说明文字" for i in range(4)], 100, 440, 300)
    right = _column([f"右栏第{i}行，问题与建议" for i in range(3)], 860, 1240, 300)
    footer = [_frag("填表人：沈国强", 100, 700, 340, 734)]
    lines = reading_order(footer + right + left)
    assert [line.text for line in lines] == [f.text for f in left + right + footer]


def test_unruled_label_value_table_is_read_row_by_row():
    labels = _column(["试用科室", "试用产品", "试用例数", "科室意见"], 100, 236, 300)
    values = _column(["检验科", "全自动生化分析仪", "126例", "同意进入评审，请设备科安排论证"], 400, 900, 300)
    lines = reading_order(values + labels)
    assert [line.text for line in lines] == [f.text for pair in zip(labels, values) for f in pair]


def test_fields_laid_out_two_to_a_row_are_read_row_by_row():
    left = _column(["医院：嘉兴市第二医院", "产品：全自动生化分析仪", "试用时间：2026年9月1日"], 100, 500, 300)
    right = _column(["科室：检验科", "型号：BS-880", "试用例数：126例"], 860, 1200, 300)
    lines = reading_order(right + left)
    assert [line.text for line in lines] == [f.text for pair in zip(left, right) for f in pair]


def test_columns_whose_rows_line_up_are_still_columns_when_their_lines_wrap():
    # one string a side on every row, top-aligned like a field grid, but each side indents the
    # wrapped lines of its numbered items: running text, read a column at a time
    texts_left = ["一、拜访信息", "客户单位：宜昌市中心医院", "1. 科室今年计划新增床位，", "设备需求随之增加。"]
    texts_right = ["三、客户意见", "1. 数据导出为厂家私有格式，统计科", "无法直接读取。", "2. 提交报价单和维保方案。"]
    left = [_frag(t, 100 + (40 if t.startswith("设备") else 0), 300 + i * 70, 600, 334 + i * 70)
            for i, t in enumerate(texts_left)]
    right = [_frag(t, 700 + (40 if t.startswith("无法") else 0), 300 + i * 70, 1200, 334 + i * 70)
             for i, t in enumerate(texts_right)]
    lines = reading_order(right + left)
    assert [line.text for line in lines] == texts_left + texts_right


def test_two_signatures_side_by_side_are_read_row_by_row():
    left = _column(["护士长：解红梅", "日期：2026年8月21日"], 100, 440, 1600)
    right = _column(["信息科：工程师 柏松", "日期：2026年8月22日"], 900, 1240, 1600)
    lines = reading_order(left + right)
    assert [line.text for line in lines] == [f.text for pair in zip(left, right) for f in pair]


def test_ruled_rows_across_the_gap_keep_a_table_read_row_by_row():
    left = _column([f"项目{i}：检测速度与通量评价" for i in range(4)], 100, 560, 300)
    right = _column([f"结果{i}：满足科室日常样本量" for i in range(4)], 860, 1320, 300)
    rules = [(300 + i * 70 - 18, 80, 1340) for i in range(5)]
    lines = reading_order(left + right, horizontal=rules)
    assert [line.text for line in lines] == [f.text for pair in zip(left, right) for f in pair]
