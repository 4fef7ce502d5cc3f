"""OCR behaviour on pages rendered at test time with Noto CJK, through the real engines."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein

from jinnang.core.errors import InputError, TooLarge
from jinnang.ingest.ocr import get_ocr_engine, ocr_file, ocr_image
from jinnang.ingest.ocr.pdf import usable_text
from jinnang.ingest.ocr.reading_order import Fragment, normalise_punctuation, reading_order


def _cjk_font_path() -> str:
    found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout
    paths = sorted({line.split(":")[0].strip() for line in found.splitlines() if "Sans" in line and "CJK" in line})
    if not paths:
        pytest.skip("no Noto Sans CJK font installed")
    return paths[0]


@pytest.fixture(scope="module")
def font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_cjk_font_path(), 34)


def _table_page(font: ImageFont.FreeTypeFont) -> tuple[Image.Image, str]:
    """A titled 2-row ruled table; one value cell wraps onto two lines."""
    page = Image.new("L", (1200, 700), 255)
    draw = ImageDraw.Draw(page)
    draw.text((380, 40), "设备试用反馈表", font=font, fill=0)
    xs, ys = [60, 300, 640, 880, 1140], [140, 290, 400]
    for x in xs:
        draw.line([(x, ys[0]), (x, ys[-1])], fill=0, width=3)
    for y in ys:
        draw.line([(xs[0], y), (xs[-1], y)], fill=0, width=3)
    cells = [
        ((80, 160), ["试用时间"]), ((320, 160), ["2026年3月2日至", "2026年4月30日"]),
        ((660, 160), ["试用例数"]), ((900, 160), ["12例"]),
        ((80, 320), ["科室意见"]), ((320, 320), ["同意进入评审"]),
    ]
    for (x, y), lines in cells:
        for i, line in enumerate(lines):
            draw.text((x, y + i * 50), line, font=font, fill=0)
    gold = "\n".join(["设备试用反馈表"] + [line for _, lines in cells for line in lines])
    return page, gold


def _cer(text: str, gold: str) -> float:
    return Levenshtein.distance(text, gold) / len(gold)


def test_table_is_read_row_by_row_with_wrapped_cell_kept_together(font):
    page, gold = _table_page(font)
    result = ocr_image(page, "rapidocr")
    assert result.engine == "rapidocr"
    assert result.text == gold
    assert all(0 < line.confidence <= 1 and line.box is not None for line in result.lines)


def test_tight_ruled_table_is_read_row_by_row(font):
    """Rows only a little taller than the text: the ruled lines, not the blank, separate them."""
    page = Image.new("L", (1000, 420), 255)
    draw = ImageDraw.Draw(page)
    rows = [("科室", "骨科"), ("产品", "锁定钢板"), ("例数", "5例")]
    xs, top, pitch = [40, 260, 960], 60, 52
    for x in xs:
        draw.line([(x, top), (x, top + pitch * len(rows))], fill=0, width=2)
    for i, (label, value) in enumerate(rows):
        draw.line([(xs[0], top + i * pitch), (xs[-1], top + i * pitch)], fill=0, width=2)
        draw.text((60, top + i * pitch + 5), label, font=font, fill=0)
        draw.text((280, top + i * pitch + 5), value, font=font, fill=0)
    draw.line([(xs[0], top + pitch * len(rows)), (xs[-1], top + pitch * len(rows))], fill=0, width=2)
    assert ocr_image(page, "rapidocr").text.splitlines() == [t for row in rows for t in row]


def test_skewed_page_keeps_reading_order(font):
    page, gold = _table_page(font)
    skewed = page.rotate(1.6, resample=Image.BICUBIC, expand=True, fillcolor=255)
    assert _cer(ocr_image(skewed, "rapidocr").text, gold) <= 0.05


def test_short_sideways_page_is_turned_upright(font):
    page = Image.new("L", (1000, 400), 255)
    draw = ImageDraw.Draw(page)
    draw.text((50, 50), "试用科室：脊柱外科", font=font, fill=0)
    draw.text((50, 150), "试用产品：椎弓根螺钉系统", font=font, fill=0)
    text = ocr_image(page.transpose(Image.ROTATE_270), "rapidocr").text
    assert text == "试用科室：脊柱外科\n试用产品：椎弓根螺钉系统"


@pytest.mark.parametrize("turn", [Image.ROTATE_180, Image.ROTATE_90])
def test_upside_down_and_sideways_pages_are_turned_upright(font, turn):
    page, gold = _table_page(font)
    assert _cer(ocr_image(page.transpose(turn), "rapidocr").text, gold) <= 0.05


def test_two_column_page_is_read_column_by_column(font):
    page = Image.new("L", (1400, 700), 255)
    draw = ImageDraw.Draw(page)
    left = ["左栏第一行文字内容", "左栏第二行文字内容", "左栏第三行文字内容"]
    right = ["右栏第一行说明文字", "右栏第二行说明文字", "右栏第三行说明文字"]
    for i, (a, b) in enumerate(zip(left, right)):
        draw.text((60, 80 + i * 48), a, font=font, fill=0)
        draw.text((760, 80 + i * 48), b, font=font, fill=0)
    text = ocr_image(page, "rapidocr").text
    assert _cer(text, "\n".join(left + right)) <= 0.05


def test_check_boxes_keep_which_option_is_ticked(font):
    page = Image.new("L", (1200, 300), 255)
    draw = ImageDraw.Draw(page)
    draw.text((60, 60), "就诊科室：口腔科", font=font, fill=0)
    x = 60
    for label, ticked in [("满意", False), ("基本满意", True), ("不满意", False)]:
        draw.rectangle([x, 166, x + 30, 196], outline=0, width=2, fill=0 if ticked else 255)
        draw.text((x + 36, 160), label, font=font, fill=0)
        x += 36 + int(font.getlength(label)) + 34
    lines = ocr_image(page, "rapidocr").text.splitlines()
    assert lines[0] == "就诊科室：口腔科"
    assert lines[1].replace("\u3000", " ").split() == ["□满意", "■基本满意", "□不满意"]


def test_round_option_marks_keep_which_option_is_chosen(font):
    page = Image.new("L", (1200, 300), 255)
    draw = ImageDraw.Draw(page)
    draw.text((60, 60), "拜访对象：凌静（主管技师）", font=font, fill=0)
    draw.text((60, 160), "客户态度", font=font, fill=0)
    x = 60 + int(font.getlength("客户态度")) + 34
    for label, chosen in [("积极", False), ("中立", True), ("消极", False)]:
        draw.ellipse([x, 166, x + 30, 196], outline=0, width=2, fill=0 if chosen else 255)
        draw.text((x + 36, 160), label, font=font, fill=0)
        x += 36 + int(font.getlength(label)) + 34
    lines = ocr_image(page, "rapidocr").text.splitlines()
    assert lines == ["拜访对象：凌静（主管技师）", "客户态度\u3000○积极\u3000●中立\u3000○消极"]


def test_a_glyph_framed_like_a_box_at_the_start_of_a_line_is_not_a_ticked_box(font):
    page = Image.new("L", (1200, 300), 255)
    draw = ImageDraw.Draw(page)
    draw.text((60, 60), "图像清晰度", font=font, fill=0)
    x = 60 + int(font.getlength("图像清晰度")) + 34
    for label, ticked in [("好", False), ("一般", True)]:
        draw.rectangle([x, 66, x + 30, 96], outline=0, width=2, fill=0 if ticked else 255)
        draw.text((x + 36, 60), label, font=font, fill=0)
        x += 36 + int(font.getlength(label)) + 34
    text = ocr_image(page.filter(ImageFilter.GaussianBlur(0.8)), "rapidocr").text
    assert text.startswith("图像清晰度\u3000□好\u3000■") and text.endswith("一般") and text.count("■") == 1


def test_square_parts_of_large_title_glyphs_are_not_check_boxes():
    # the body text sets the expected box size; the title's 日 (智) and 口 (中) parts are about that size
    regular = _cjk_font_path().replace("-Bold", "-Regular")  # the thin strokes of the regular weight
    title_font, body_font = ImageFont.truetype(regular, 52), ImageFont.truetype(regular, 36)
    page = Image.new("L", (1400, 1000), 255)
    draw = ImageDraw.Draw(page)
    draw.text((100, 60), "宁波市第二医院 手术室智能耗材柜试用反馈（中期）", font=title_font, fill=0)
    body = ["使用科室：手术室", "1. 柜门识别速度较慢，高峰期护士需要排队。", "2. 计费接口仍在调试，部分耗材需手工补录。",
            "3. 总体满意，继续试用。", "填表人：孙丽华（护士长）", "日期：2026年6月3日"]
    for i, line in enumerate(body):
        draw.text((100, 180 + 80 * i), line, font=body_font, fill=0)
    text = ocr_image(page.filter(ImageFilter.GaussianBlur(0.6)), "rapidocr").text
    assert "□" not in text and "■" not in text
    assert text.splitlines()[0].endswith("手术室智能耗材柜试用反馈（中期）")


def test_text_columns_are_read_one_after_the_other_even_when_paragraphs_line_up():
    left = [_frag(f"左栏第{i}行的一段说明文字内容", 60, y, 500, y + 34) for i, y in enumerate([100, 150, 250, 300])]
    right = [_frag(f"右栏第{i}行的一段说明文字内容", 700, y, 1140, y + 34) for i, y in enumerate([100, 150, 250, 300])]
    lines = reading_order(right + left)
    assert [line.text for line in lines] == [f.text for f in left + right]


def test_space_drawn_between_title_and_name_is_kept(font):
    page = Image.new("L", (1100, 260), 255)
    draw = ImageDraw.Draw(page)
    draw.text((60, 60), "填表人：主治医师 宁浩", font=font, fill=0)
    draw.text((60, 150), "设备科意见：同意采购，请尽快安排。", font=font, fill=0)
    assert ocr_image(page, "rapidocr").text.splitlines() == ["填表人：主治医师 宁浩", "设备科意见：同意采购，请尽快安排。"]


def test_red_stamp_over_the_text_does_not_hide_it(font):
    page, gold = _table_page(font)
    stamped = page.convert("RGB")
    draw = ImageDraw.Draw(stamped)
    draw.ellipse([380, 220, 640, 480], outline=(220, 30, 30), width=8)  # across 同意进入评审
    draw.text((420, 340), "医院设备科", font=font, fill=(220, 30, 30))
    draw.polygon([(510, 250), (525, 280), (495, 280)], fill=(220, 30, 30))
    assert ocr_image(stamped, "rapidocr").text == gold


def test_tesseract_reads_the_same_table(font):
    page, gold = _table_page(font)
    result = ocr_image(page, "tesseract")
    assert result.engine == "tesseract"
    assert _cer(result.text, gold) <= 0.35
    assert result.lines[0].text.replace(" ", "") == "设备试用反馈表"


def test_engine_is_created_once_per_process():
    assert get_ocr_engine("rapidocr") is get_ocr_engine("rapidocr")
    with pytest.raises(InputError) as err:
        get_ocr_engine("abbyy")
    assert err.value.field == "engine"


def test_oversized_image_is_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("L", (3000, 3000), 255).save(path)
    pillow_limit = Image.MAX_IMAGE_PIXELS
    with pytest.raises(InputError) as err:
        ocr_file(path, max_pixels=1_000_000)
    assert err.value.field == "image"
    assert "too large" in err.value.message
    assert Image.MAX_IMAGE_PIXELS == pillow_limit  # the limit is per call, not changed for the whole process


def test_decompression_bomb_is_refused_before_its_pixels_are_decoded(tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (20_000, 10_000), 1).save(path)  # a few KB on disk, 200 million pixels
    with pytest.raises(TooLarge) as err:
        ocr_file(path, field="file")
    assert err.value.field == "file" and "too large" in err.value.message


def test_ingest_reads_only_the_settings_it_is_handed():
    package = Path(__file__).resolve().parents[2] / "src" / "jinnang" / "ingest"
    assert [p.name for p in package.rglob("*.py") if "get_settings" in p.read_text(encoding="utf-8")] == []


def test_an_oversized_image_in_memory_is_refused():
    with pytest.raises(TooLarge):
        ocr_image(Image.new("L", (2000, 2000), 255), "rapidocr", max_pixels=1_000_000)


def test_unreadable_file_names_the_field(tmp_path):
    path = tmp_path / "note.png"
    path.write_text("not an image")
    with pytest.raises(InputError) as err:
        ocr_file(path, field="file")
    assert err.value.field == "file"


def test_scanned_pdf_page_is_rasterised_and_read(tmp_path, font):
    page, gold = _table_page(font)
    pdf = tmp_path / "scan.pdf"
    page.convert("RGB").save(pdf, resolution=150)
    pages = ocr_file(pdf)
    assert len(pages) == 1 and pages[0].engine == "rapidocr"
    assert _cer(pages[0].text, gold) <= 0.05


def test_pdf_text_layer_is_used_without_ocr(tmp_path):
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    text = "Trial feedback form: screws locked well, tray too heavy."
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(595, 842)
    font = raw.FPDFText_LoadStandardFont(pdf.raw, b"Helvetica")
    obj = raw.FPDFPageObj_CreateTextObj(pdf.raw, font, 12.0)
    encoded = (text + "\x00").encode("utf-16-le")
    raw.FPDFText_SetText(obj, (raw.FPDF_WCHAR * (len(encoded) // 2)).from_buffer_copy(encoded))
    raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 50, 750)
    raw.FPDFPage_InsertObject(page.raw, obj)
    raw.FPDFPage_GenerateContent(page.raw)
    path = tmp_path / "typed.pdf"
    pdf.save(path)
    pages = ocr_file(path)
    assert pages[0].engine == "pdf-text"
    assert pages[0].text == text


def test_text_layer_of_a_few_stray_characters_is_not_usable():
    assert not usable_text("第1页")
    assert not usable_text("\ufffd" * 30)
    assert usable_text("试用科室：脊柱外科，试用产品：椎弓根螺钉系统，试用例数8例。")


def test_ascii_punctuation_inside_chinese_becomes_full_width():
    assert normalise_punctuation("葛文博(副主任医师)") == "葛文博（副主任医师）"
    assert normalise_punctuation("问题:锁钉滑丝;器械重") == "问题：锁钉滑丝；器械重"
    assert normalise_punctuation("9:30 HG-PS600 (A) 1.") == "9:30 HG-PS600 (A) 1."
    assert normalise_punctuation("缪俊 (主任医师)") == "缪俊（主任医师）"
    assert normalise_punctuation("1. 万向钉 HIS 接口") == "1. 万向钉 HIS 接口"


def _frag(text: str, x0: float, y0: float, x1: float, y1: float) -> Fragment:
    return Fragment(text, 0.9, (x0, y0, x1, y1))


def test_strings_side_by_side_on_one_baseline_are_two_lines_left_first():
    lines = reading_order([
        _frag("信息科：工程师 柏松", 900, 1600, 1210, 1634),
        _frag("护士长签字：解红梅", 130, 1601, 440, 1635),
        _frag("日期：2026年8月21日", 130, 1670, 460, 1704),
    ])
    assert [line.text for line in lines] == ["护士长签字：解红梅", "信息科：工程师 柏松", "日期：2026年8月21日"]


def test_fragments_of_one_string_split_at_a_blank_are_joined():
    lines = reading_order([_frag("反馈医师：副主任医师", 100, 100, 440, 134),
                           _frag("计文涛", 452, 100, 554, 134)])
    assert [line.text for line in lines] == ["反馈医师：副主任医师 计文涛"]


def test_no_space_is_added_before_a_full_width_bracket():
    lines = reading_order([_frag("缪俊", 100, 100, 168, 134), _frag("（主任医师）", 178, 100, 380, 134)])
    assert [line.text for line in lines] == ["缪俊（主任医师）"]


def test_text_on_both_sides_of_a_ruled_line_stays_apart():
    fragments = [_frag("科主任", 100, 100, 202, 134), _frag("章立群", 250, 100, 352, 134)]
    assert len(reading_order(fragments)) == 1
    assert [line.text for line in reading_order(fragments, vertical=[(226, 80, 160)])] == ["科主任", "章立群"]


def test_dev_form_reads_close_to_its_drawn_text(shared_dev: Path):
    import json

    row = json.loads((shared_dev / "ocr" / "manifest.jsonl").read_text(encoding="utf-8").splitlines()[0])
    page = ocr_image(shared_dev / "ocr" / row["image"], "rapidocr")
    assert _cer(page.text, row["text"]) <= 0.05
    assert np.mean([line.confidence for line in page.lines]) > 0.8
