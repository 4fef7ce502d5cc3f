"""Render the demo's scanned trial feedback forms (run once; the PNG/PDF are committed).

    .venv/bin/python training/render_demo_forms.py
"""
from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
OUT = Path(__file__).resolve().parents[1] / "src" / "jinnang" / "service" / "demo_documents"

FORM_1 = [
    ("title", "金华市人民医院"),
    ("title", "医疗器械临床试用反馈表"),
    ("row", "试用科室", "关节外科"),
    ("row", "试用产品", "人工髋关节系统 HG-THA300"),
    ("row", "试用时间", "2026年4月13日至2026年5月15日"),
    ("row", "试用例数", "9例"),
    ("row", "临床效果", "假体稳定，术后功能恢复良好。"),
    ("row", "存在问题", "髋臼锉手柄偏重；器械送达偶有延迟。"),
    ("row", "科室意见", "同意提交设备科组织多科室评审。"),
    ("row", "评价医师", "方志远（主治医师）"),
    ("row", "科主任", "吴国栋"),
    ("row", "日期", "2026年5月20日"),
]
FORM_2 = [
    ("title", "宁波市第二医院 手术室智能耗材柜试用反馈（中期）"),
    ("line", "试用时间：2026年5月6日至2026年6月30日"),
    ("line", "使用科室：手术室"),
    ("line", "1. 柜门识别速度较慢，高峰期护士需要排队。"),
    ("line", "2. 与HIS的计费接口仍在调试，部分耗材需手工补录。"),
    ("line", "3. 总体满意，继续试用。"),
    ("line", "填表人：孙丽华（护士长）"),
    ("line", "日期：2026年6月3日"),
]


def render(rows: list[tuple[str, ...]], seed: int) -> Image.Image:
    rng = random.Random(seed)
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    title_font = ImageFont.truetype(FONT, 52)
    body_font = ImageFont.truetype(FONT, 36)
    y = 160
    for row in rows:
        if row[0] == "title":
            width = draw.textlength(row[1], font=title_font)
            draw.text(((1654 - width) / 2, y), row[1], font=title_font, fill=0)
            y += 110
        elif row[0] == "row":  # a boxed two-cell table row
            draw.rectangle((150, y - 20, 1504, y + 70), outline=0, width=2)
            draw.line((480, y - 20, 480, y + 70), fill=0, width=2)
            draw.text((180, y), row[1], font=body_font, fill=0)
            draw.text((510, y), row[2], font=body_font, fill=0)
            y += 90
        else:
            draw.text((180, y), row[1], font=body_font, fill=0)
            y += 80
    # a light scan: slight blur and speckle, as a real copier leaves
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    pixels = page.load()
    for _ in range(3000):
        pixels[rng.randrange(1654), rng.randrange(2339)] = rng.choice((0, 255))
    return page


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    render(FORM_1, 1).save(OUT / "form-01-jinhua.png", optimize=True)
    render(FORM_2, 2).save(OUT / "form-02-ningbo.pdf", resolution=200)  # an image-only scan, no text layer
    print("written", sorted(p.name for p in OUT.iterdir()))
