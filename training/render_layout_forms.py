"""Render the OCR-by-layout evaluation sets (eval/data/ocr_layouts/{tune,holdout}/).

Invented trial feedback forms, acceptance sheets and visit records, drawn with Noto Sans CJK SC in
five layout kinds: single_column, two_columns, table, checkboxes and photo (a phone photograph of a
freshly invented form of one of the other kinds). Every string is drawn by one `Sheet.text` call, which
also appends it to the page's gold text, so the gold is exactly what was drawn, in reading order.
Conventions are in eval/data/ocr_layouts/README.md.

Re-run (deterministic: fixed seeds, output folders are rewritten):

    cd /work/main && .venv/bin/python training/render_layout_forms.py
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = "/usr/share/fonts/opentype/noto/"
SC = 2  # face index of "Noto Sans CJK SC" in the .ttc (index 0 is the Japanese face)
OUT = Path(__file__).resolve().parents[1] / "eval" / "data" / "ocr_layouts"
W, H = 1240, 1754  # A4 at 150 dpi
SETS = {"tune": 1401, "holdout": 2402, "holdout2": 3403}  # holdout2: made after holdout was retired
PLAN = ["single_column"] * 3 + ["two_columns"] * 5 + ["table"] * 3 + ["checkboxes"] * 3  # the scans of a set
PHOTO_BASES = ["two_columns", "table", "checkboxes", "single_column", "two_columns", "checkboxes"]  # new forms, photographed

# ---- invented content; sentence pools are split by position, even items for tune, odd for holdout ----
CITIES = "台州|湖州|嘉兴|丽水|衢州|舟山|芜湖|蚌埠|安庆|滁州|赣州|九江|上饶|宜春|株洲|岳阳|常德|衡阳|襄阳|宜昌|荆州|十堰|洛阳|新乡|淄博|潍坊|威海|日照|保定|邯郸|柳州|桂林|遵义|曲靖|绵阳|南充|宝鸡|天水"
HOSPITALS = ["{c}市第{n}人民医院", "{c}市中心医院", "{c}市中医院", "{c}市妇幼保健院", "{c}医学院附属医院", "{c}市人民医院{b}院区", "{c}市第{n}医院"]
DEPARTMENTS = [tuple(d.split("/")) for d in "检验科/全自动化学发光免疫分析仪/CL|超声医学科/便携式彩色多普勒超声诊断仪/UP|麻醉科/一次性使用可视喉镜/VL|消化内镜中心/电子上消化道内窥镜/GE|重症医学科/经鼻高流量湿化氧疗仪/HF|泌尿外科/钬激光治疗机/HL|眼科/光学生物测量仪/OB|康复医学科/上肢康复训练机器人/RA|血液净化中心/血液透析滤过机/HD|病理科/全自动免疫组化染色机/IH|急诊科/除颤监护仪/DM|心血管内科/血管内超声成像系统/IV|呼吸与危重症医学科/一次性电子支气管镜/BR|放射科/双筒高压注射器/CT|神经外科/光学手术导航系统/NV|口腔科/口腔颌面锥形束CT/CB|产科/中央胎儿监护系统/FM|新生儿科/经皮黄疸测试仪/TB|手术室/超声切割止血刀/US|内分泌科/持续葡萄糖监测系统/CG".split("|")]  # department/product/model prefix
SURNAMES = "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨朱秦许何吕施张孔曹严华金魏姜谢邹柏窦苏潘范彭鲁韦马方俞任袁柳鲍史唐费岑薛雷贺倪汤殷罗毕郝安常乐于傅卞齐康伍余顾孟黄穆尹姚邵汪毛戴宋庞熊舒屈祝董梁杜阮蓝季贾江童颜郭梅盛林钟徐邱骆高夏蔡田樊胡凌霍万柯卢"
GIVEN = "晓明建国志强海燕红梅雪婷俊杰文斌立新春华静丽伟敏秀英宏宇振东晨阳佳琪欣怡凯磊鹏涛涵瑶思远嘉慧博毅辉亮霞玲娟勇军平健峰雯蕾倩颖"
CLINICAL_TITLES = "主任医师|副主任医师|主治医师|护士长|主管技师|副主任技师|科主任".split("|")
EFFECTS = "试用期间设备运行稳定，未出现死机或报错。|图像分辨率高，细小结构显示清楚，医生反馈较好。|单次检测时间较在用设备缩短约三分之一。|开机到可用约需五分钟，基本满足急诊需求。|术中操作顺手，年轻医生跟台两次后即可独立使用。|结果与在用方法比对一致性良好，相关系数0.98。|耗材安装简单，护士经一次培训即可掌握。|患者耐受性好，未见与器械相关的不良事件。|报告自动生成，节省了手工录入时间。|体积小巧，可推至床旁使用，转运方便。|夜班使用频率高，电池续航能够支撑一个班次。|数据可通过U盘导出，便于科研统计。|报警提示清楚，音量可调，病房环境下干扰小。|软件中文界面完整，菜单层级清晰。|光源亮度充足，视野明亮，镜下操作无明显延迟。|连续工作八小时未见温度异常，稳定性好于预期。".split("|")
ISSUES = "开机自检时间偏长，急诊时需提前预热。|部分菜单仍为英文，年长护士使用不习惯。|报告模板不能按我院格式调整，打印后需手工补充。|与院内LIS系统尚未对接，结果需人工录入，容易出错。|与HIS收费项目未对应，暂时无法计费。|与PACS的接口仍在调试，图像需刻盘传输。|单次耗材价格高于在用品牌约两成，科室成本压力较大。|设备运行噪音偏大，夜间病房有患者反映。|探头线缆偏短，床旁操作时需移动病床。|售后工程师从省会出发，到场通常需要两天。|培训只安排了一次，轮转医生和进修医生没有覆盖到。|试剂开瓶后稳定期只有七天，小批量检测浪费明显。|主机较重，楼层之间转运需要两人配合。|说明书缺少中文故障代码对照表。|电池满电后仅能连续使用约三小时。|手柄握持处偏粗，长时间操作容易疲劳。|消毒流程未在说明书中写明，院感科要求补充验证资料。|一次性附件需单独采购，尚未进入医院耗材目录。|屏幕在无影灯下反光，读数不够清楚。|数据导出为厂家私有格式，统计科无法直接读取。|打印纸规格特殊，需要专门订购。|偶有通讯中断，重启后恢复，原因尚未查明。|注册证上的适用范围与我科拟开展项目不完全一致，需厂家书面说明。|物价部门尚无对应收费编码，患者无法单独收费。|配送周期不稳定，有两次手术前一天才送到。|触摸屏戴手套操作时识别不灵敏。|与同类进口产品相比，配件种类偏少。|机器占地面积较大，现有台面需要改造。|设备科要求补充近三年的维修记录和备件价格清单。|医保目录尚未覆盖该项检查，患者自费意愿不高。|校准周期短，每周需要一次，工作量增加。|软件升级需厂家远程操作，信息科对外网连接有顾虑。".split("|")
SUGGESTIONS = "建议厂家提供中文版快速操作卡，贴在设备旁。|希望增加一次面向夜班护士的现场培训。|请厂家协调信息科尽快完成接口联调。|建议提供备用主机，维修期间不影响临床使用。|希望耗材价格参照省联盟集采价格下调。|建议将报告模板改为我院统一格式。|请在正式采购前提供同级医院的使用证明。|建议配备移动台车，方便病区之间转运。".split("|")
OPINIONS = "同意继续试用一个月后再作评价。|科室讨论后同意申请采购，提交设备科论证。|效果肯定，但价格需进一步谈判，暂缓申请。|建议纳入明年设备购置计划。|同意提交院设备管理委员会审议。|暂不考虑采购，待接口问题解决后再议。|同意在日间手术中心扩大试用范围。|请设备科组织招标前的市场调研。".split("|")
TALKS = "向主任介绍了新一代产品的主要参数和临床数据。|了解到科室今年计划新增床位二十张，设备需求随之增加。|主任关心耗材价格和医保收费情况。|护士长提出希望安排一次操作培训。|设备科表示年内预算已基本用完，需等明年预算。|信息科询问了数据接口标准和网络安全资质。|演示了样机，主任亲自操作了约二十分钟。|科室正在准备省级重点专科评审，对新技术有兴趣。|了解到另一家厂商上月已在科室做过演示。|副院长办公室表示需要先看到院内论证材料。".split("|")
PLANS = "下周三前提交收费编码和物价资料。|安排工程师上门完成接口联调。|约设备科科长当面沟通采购流程。|准备同级医院的使用案例和专家共识材料。|月底前组织一次夜班护士培训。|邀请主任参加下月的区域学术会议。|跟进院内论证会的时间安排。|提交报价单和三年维保方案。".split("|")
ACCEPTANCE = "外包装完好，开箱后设备外观无划痕。|随机附件与装箱单核对一致。|通电自检通过，各项功能测试正常。|厂家工程师已完成安装调试并现场培训。|序列号与合同及注册证信息一致。|技术资料、合格证、保修卡齐全。".split("|")
CONCLUSIONS = "验收合格，同意入库并交付临床使用。|主要功能合格，附件补齐后办理入库。|暂缓验收，待厂家更换显示屏后复验。|验收合格，资料归档备查。".split("|")
SUPPLIERS = "华岳|蓝湾|启衡|泽康|同舟|瑞楷|中屹|安澜|北辰|明途"
NOTES = "注：本表一式两份，科室与设备科各存一份。|注：试用结束后七个工作日内交设备科。|注：请如实填写，作为采购论证依据。|注：此表由拜访人当天填写，次日交区域经理。".split("|")
TITLES = {"trial": "医疗器械临床试用反馈表|新产品试用评价表|临床试用情况反馈单|设备试用意见表|耗材试用评价记录|试用期满总结表".split("|"),
          "visit": "客户拜访记录表|医院拜访情况记录|拜访记录单".split("|"), "accept": "设备科验收单|医用设备到货验收记录|医疗设备安装验收报告".split("|")}
HEADINGS = {"trial": ("试用信息", "评价项目"), "visit": ("拜访信息", "拜访情况"), "accept": ("设备信息", "验收项目")}  # info block, check block
# check rows: "label:option/option/…"
CHECK_ITEMS = {variant: [(row.split(":")[0], row.split(":")[1].split("/")) for row in rows.split("|")] for variant, rows in {
    "trial": "操作便捷性:满意/基本满意/不满意|临床效果:满意/基本满意/不满意|图像清晰度:好/较好/一般/差|检测速度:快/一般/慢|配送及时性:及时/偶有延迟/经常延迟|售后响应:满意/基本满意/不满意|培训效果:好/一般/差|价格接受度:可接受/偏高/过高|是否建议采购:是/否",
    "accept": "外包装:完好/破损|设备外观:合格/不合格|随机附件:齐全/缺少|通电自检:通过/未通过|技术资料:齐全/不齐全|注册证复印件:已提供/未提供|安装调试:已完成/未完成|操作培训:已完成/未完成",
    "visit": "客户态度:积极/中立/消极|是否演示样机:是/否|是否留下资料:是/否|决策人是否到场:是/否|是否约定下次拜访:是/否|同类产品是否在用:是/否|拜访方式:面谈/电话/微信"}.items()}


@dataclass
class Content:
    variant: str
    hospital: str
    title: str
    number: str
    info: list[tuple[str, str]]
    sections: list[tuple[str, list[str]]]
    signature: list[str]
    note: str
    reference_date: date
    marks: tuple[str, str] = ("□", "■")  # empty, ticked


def invent(rng: random.Random, set_name: str) -> Content:
    def half(pool: list[str] | str) -> list[str]:
        return list((pool.split("|") if isinstance(pool, str) else pool)[0 if set_name == "tune" else 1::2])

    def person() -> str:
        return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2, 2])))

    style = rng.choice(["{0.year}年{0.month}月{0.day}日", "{0:%Y-%m-%d}", "{0.year}.{0.month}.{0.day}"])
    day = style.format

    variant = rng.choices(["trial", "visit", "accept"], weights=[6, 2, 2])[0]
    hospital = rng.choice(HOSPITALS).format(c=rng.choice(half(CITIES)), n=rng.choice("一二三四五六"), b=rng.choice("东西南北"))
    dept, product, prefix = rng.choice(DEPARTMENTS)
    model = f"{prefix}-{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.choice(['0', '5', '60', '80'])}{rng.choice(['', 'A', 'Pro', 'S'])}"
    start = date(2026, rng.randint(1, 9), rng.randint(1, 28))
    end = start + timedelta(weeks=rng.randint(3, 10))
    filled = end + timedelta(days=rng.randint(1, 9))
    issues = rng.sample(half(ISSUES), rng.randint(2, 4))
    signer = f"{person()}（{rng.choice(CLINICAL_TITLES)}）"
    if variant == "trial":
        info = [(rng.choice(["试用科室", "使用科室", "申请科室"]), dept), (rng.choice(["试用产品", "产品名称", "设备名称"]), product),
                (rng.choice(["规格型号", "型号"]), model), (rng.choice(["试用时间", "试用期", "试用期限"]), f"{day(start)}至{day(end)}"),
                (rng.choice(["试用例数", "完成例数"]), f"{rng.randint(6, 60)}例")]
        if rng.random() < 0.5:
            info.insert(0, (rng.choice(["医院名称", "使用单位"]), hospital))
        if rng.random() < 0.4:
            issues.append(rng.choice(half(SUGGESTIONS)))
        sections = [(rng.choice(["使用情况", "临床效果", "试用效果"]), rng.sample(half(EFFECTS), rng.randint(1, 3))),
                    (rng.choice(["存在问题", "问题与建议"]), issues), ("科室意见", [rng.choice(half(OPINIONS))])]
        signature = [f"{rng.choice(['评价医师', '反馈人', '填表人'])}：{signer}", f"{rng.choice(['日期', '填表日期'])}：{day(filled)}"]
    elif variant == "visit":
        info = [("客户单位", hospital), ("拜访科室", dept), ("拜访对象", signer), ("拜访日期", day(filled)), ("涉及产品", f"{product}（{model}）")]
        sections = [("沟通内容", rng.sample(half(TALKS), rng.randint(2, 3))), (rng.choice(["客户反馈", "客户意见"]), issues[:3]),
                    ("下一步计划", rng.sample(half(PLANS), rng.randint(1, 3)))]
        signature = [f"记录人：{person()}", f"日期：{day(filled)}"]
    else:
        info = [("使用科室", dept), ("设备名称", product), ("规格型号", model), ("数量", f"{rng.randint(1, 3)}台"),
                (rng.choice(["出厂编号", "序列号"]), f"SN{rng.randint(10**7, 10**8 - 1)}"), ("到货日期", day(end)),
                ("供货单位", f"{rng.choice(half(SUPPLIERS))}医疗科技有限公司")]
        sections = [("验收情况", rng.sample(half(ACCEPTANCE), rng.randint(2, 3))), ("遗留问题", issues[:2]),
                    ("验收结论", [rng.choice(half(CONCLUSIONS))])]
        signature = [f"验收人：{person()}（设备科）", f"验收日期：{day(filled)}"]
    return Content(variant, hospital, rng.choice(TITLES[variant]), f"{prefix}{filled:%y%m}-{rng.randint(1, 299):03d}",
                   info, sections, signature, rng.choice(half(NOTES)), filled)


@lru_cache(maxsize=None)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc"
    return ImageFont.truetype(FONT_DIR + name, size, index=SC)


@lru_cache(maxsize=None)
def _has_glyph(char: str) -> bool:
    missing = bytes(font(30).getmask("\U0001F600"))  # what the font draws for a character it lacks
    return char.isspace() or bytes(font(30).getmask(char)) != missing


@dataclass
class Sheet:
    """A white page that records every string drawn on it, in drawing (= reading) order."""
    image: Image.Image = field(default_factory=lambda: Image.new("L", (W, H), 255))
    lines: list[str] = field(default_factory=list)
    bottom: int = 0  # lowest pixel row with ink, so a photo's thumb can be kept off the text

    def __post_init__(self) -> None:
        self.draw = ImageDraw.Draw(self.image)

    def text(self, x: float, y: float, s: str, f: ImageFont.FreeTypeFont) -> None:
        lacking = [c for c in s if not _has_glyph(c)]
        if lacking:
            raise ValueError(f"the font has no glyph for {lacking} in {s!r}")
        if x + f.getlength(s) > W - 40:
            raise ValueError(f"text runs off the page: {s!r}")
        self.draw.text((x, y), s, font=f, fill=0)
        self.lines.append(s)
        self.bottom = max(self.bottom, int(y + f.size * 1.4))

    def rule(self, y: float) -> None:
        self.draw.line((90, y, W - 90, y), fill=0, width=2)


def wrap(s: str, f: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy line breaks by character; closing punctuation never starts a line (as Word lays out Chinese)."""
    lines, current = [], ""
    for char in s:
        if current and f.getlength(current + char) > width:
            carry = char in "，。；、：）％" and len(current) > 1  # carry the last character down with it
            lines.append(current[:-1] if carry else current)
            current = current[-1] if carry else ""
        current += char
    return lines + [current] if current else lines


def numbered(sheet: Sheet, x: float, y: float, items: list[str], f: ImageFont.FreeTypeFont, width: float, step: int) -> float:
    """"1. …" items, continuation lines indented under the item's text; a lone item is a paragraph instead."""
    if len(items) == 1:  # first-line indent of two characters
        for k, part in enumerate(wrap(items[0], f, width - 2 * f.size)):
            sheet.text(x + (2 * f.size if k == 0 else 0), y, part, f)
            y += step
        return y
    for i, item in enumerate(items, 1):
        indent = f.getlength(f"{i}. ")
        for k, part in enumerate(wrap(item, f, width - indent)):
            sheet.text(x if k == 0 else x + indent, y, f"{i}. {part}" if k == 0 else part, f)
            y += step
    return y


def fields(sheet: Sheet, x: float, y: float, info: list[tuple[str, str]], f: ImageFont.FreeTypeFont, width: float,
           step: int) -> float:
    """"label：value" lines; a value too long for the line goes on, indented two characters."""
    for label, value in info:
        for k, part in enumerate(wrap(f"{label}：{value}", f, width)):
            sheet.text(x if k == 0 else x + 2 * f.size, y, part, f)
            y += step
    return y


def signed(sheet: Sheet, y: float, lines: list[str], f: ImageFont.FreeTypeFont, step: int, x: float | None = None) -> None:
    for line in lines:  # right-aligned unless told where to start
        sheet.text(W - 110 - f.getlength(line) if x is None else x, y, line, f)
        y += step


def header(sheet: Sheet, c: Content, rng: random.Random, y: float = 110) -> float:
    for line, f in ([(c.hospital, font(38, True))] if rng.random() < 0.6 else []) + [(c.title, font(44, True))]:
        sheet.text((W - f.getlength(line)) / 2, y, line, f)
        y += f.size * 1.7
    if rng.random() < 0.5:
        tag = f"编号：{c.number}"
        sheet.text(W - 90 - font(24).getlength(tag), y, tag, font(24))
        y += 44
    return y


def draw_single_column(c: Content, rng: random.Random) -> Sheet:
    sheet, body, step = Sheet(), font(29), 50
    y = header(sheet, c, rng)
    sheet.rule(y)
    y = fields(sheet, 110, y + 28, c.info, body, W - 220, step)
    sheet.rule(y + 6)
    y += 34
    for n, (heading, items) in enumerate(c.sections):
        sheet.text(110, y, f"{'一二三四五'[n]}、{heading}", font(31, True))
        y = numbered(sheet, 130 if len(items) == 1 else 150, y + step + 4, items, body, W - 280, step) + 14
    signed(sheet, y + 30, c.signature, body, step)
    return sheet


def draw_two_columns(c: Content, rng: random.Random) -> Sheet:
    sheet, body, step = Sheet(), font(27), 46
    y = header(sheet, c, rng)
    sheet.rule(y)
    top = y + 30
    gutter = rng.randint(44, 80)
    col_w = (W - 180 - gutter) / 2
    lx, rx = 90, 90 + col_w + gutter
    split = 1 if len(c.sections) < 3 or rng.random() < 0.5 else 2  # the info block and `split` sections go left
    blocks: list[tuple[str, list[str] | None]] = [(HEADINGS[c.variant][0], None), *c.sections]

    def column(x: float, y: float, first: int, last: int) -> float:
        for n, (heading, items) in enumerate(blocks[first:last], first):
            sheet.text(x, y, f"{'一二三四五六'[n]}、{heading}", font(29, True))
            y = (fields(sheet, x, y + step + 4, c.info, body, col_w, step) if items is None
                 else numbered(sheet, x, y + step + 4, items, body, col_w, step)) + 16
        return y

    left_end, right_end = column(lx, top, 0, split + 1), column(rx, top, split + 1, len(blocks))
    if rng.random() < 0.4:  # some forms rule the gutter
        sheet.draw.line((lx + col_w + gutter / 2, top, lx + col_w + gutter / 2, max(left_end, right_end) - 10), fill=0, width=1)
    y = max(left_end, right_end) + 20
    sheet.rule(y)
    signed(sheet, y + 30, c.signature, body, step, x=lx)
    return sheet


def draw_table(c: Content, rng: random.Random) -> Sheet:
    """A ruled grid of label/value cells: short fields two to a row, long values and sections in one wide cell."""
    sheet, body, step, label_w, x0, x1 = Sheet(), font(27), 42, 190, 90, W - 90
    y = top = header(sheet, c, rng)
    half, wide = (x1 - x0) / 2 - label_w, x1 - x0 - label_w

    def pair(*cells: list[str]) -> list[tuple[list[str], float]]:  # cells alternate label, value
        return [cell for label, value in cells for cell in (([label], float(label_w)), ([value], half))]

    short = [[k, v] for k, v in c.info if body.getlength(v) < 300]
    long = [(k, v) for k, v in c.info if body.getlength(v) >= 300] + ([tuple(short.pop())] if len(short) % 2 else [])
    rows = [pair(a, b) for a, b in zip(short[::2], short[1::2])]
    rows += [[([k], label_w), (wrap(v, body, wide - 30), wide)] for k, v in long]
    for heading, items in c.sections:
        value = [part for i, item in enumerate(items, 1)
                 for part in wrap(f"{i}. {item}" if len(items) > 1 else item, body, wide - 30)]
        rows.append([([heading] if len(heading) <= 4 else [heading[:3], heading[3:]], label_w), (value, wide)])
    rows.append(pair(*(line.split("：", 1) for line in c.signature)))
    for row in rows:
        height = max(len(lines) for lines, _ in row) * step + 26
        x: float = x0
        for k, (lines, width) in enumerate(row):
            sheet.draw.rectangle((x, y, x + width, y + height), outline=0, width=2)
            f = font(27, bold=k % 2 == 0)  # labels are bold and centred, values start at the cell's left
            for n, line in enumerate(lines):
                tx = x + (width - f.getlength(line)) / 2 if k % 2 == 0 else x + 15
                sheet.text(tx, y + (height - len(lines) * step) / 2 + 4 + n * step, line, f)
            x += width
        y += height
    sheet.draw.rectangle((x0, top, x1, y), outline=0, width=3)
    sheet.text(x0, y + 24, c.note, font(22))
    return sheet


def draw_checkboxes(c: Content, rng: random.Random) -> Sheet:
    sheet, body, step = Sheet(), font(28), 52
    empty, ticked = c.marks
    y = header(sheet, c, rng)
    sheet.rule(y)
    y = fields(sheet, 110, y + 28, c.info[:5], body, W - 220, step) + 10
    sheet.text(110, y, f"一、{HEADINGS[c.variant][1]}", font(30, True))
    y += step + 6
    for label, options in rng.sample(CHECK_ITEMS[c.variant], k=6):
        chosen = rng.randrange(len(options))
        marks = "\u3000".join((ticked if i == chosen else empty) + o for i, o in enumerate(options))
        sheet.text(140, y, f"{label}\u3000{marks}", body)  # one full-width space between every part
        y += step
    heading, items = c.sections[-1]
    sheet.text(110, y + 10, f"二、{heading}", font(30, True))
    y = numbered(sheet, 140, y + step + 16, items, body, W - 260, step)
    signed(sheet, y + 40, c.signature, body, step)
    return sheet


DRAW = {"single_column": draw_single_column, "two_columns": draw_two_columns, "table": draw_table,
        "checkboxes": draw_checkboxes}


def scan(sheet: Sheet, rng: random.Random) -> Image.Image:
    """A flatbed scan: a touch of blur, a faint grey cast and a few specks of dust."""
    page = sheet.image.filter(ImageFilter.GaussianBlur(rng.uniform(0.35, 0.6)))
    page = page.point(lambda v: min(255, int(v * 0.94 + 10)))
    pixels = page.load()
    assert pixels is not None
    for _ in range(rng.randint(60, 200)):
        pixels[rng.randrange(W), rng.randrange(H)] = rng.randint(90, 170)
    return page


def photograph(sheet: Sheet, rng: random.Random, thumb: bool) -> Image.Image:
    """A phone photo of the page lying on a desk: perspective, tilt, uneven light, a shadow, blur, noise."""
    noise = np.random.default_rng(rng.randrange(2**32))
    out_w, out_h = 1350, 1800
    tint = np.array([rng.uniform(0.95, 1.0), rng.uniform(0.93, 0.98), rng.uniform(0.86, 0.95)], dtype=np.float32)
    paper = np.asarray(sheet.image.convert("RGB"), dtype=np.float32) * tint
    base = np.array(rng.choice([(96, 70, 48), (60, 62, 66), (128, 104, 82), (40, 46, 58)]), dtype=np.float32)
    grain = cv2.resize(noise.normal(0, 14, (18, 14)).astype(np.float32), (out_w, out_h), interpolation=cv2.INTER_CUBIC)
    desk = base + grain[..., None] + noise.normal(0, 4, (out_h, out_w, 1)).astype(np.float32)
    scale = rng.uniform(0.78, 0.92) * out_h / H
    angle = np.radians(rng.uniform(-6, 6))
    keystone = rng.uniform(0.03, 0.09) * W * scale  # the far (top) edge looks narrower
    src = np.array([[0, 0], [W, 0], [W, H], [0, H]], dtype=np.float32)
    corners = (src - [W / 2, H / 2]) * scale + [[keystone, 0], [-keystone, 0], [0, 0], [0, 0]]
    corners += np.array([[rng.uniform(-18, 18), rng.uniform(-18, 18)] for _ in range(4)])
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = [out_w / 2 + rng.uniform(-30, 30), out_h / 2 + rng.uniform(-25, 25)]
    matrix = cv2.getPerspectiveTransform(src, (corners @ turn.T + centre).astype(np.float32))
    warped = cv2.warpPerspective(paper, matrix, (out_w, out_h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones((H, W), np.float32), matrix, (out_w, out_h))[..., None]
    scene = desk * (1 - mask) + warped * mask
    if thumb:  # over the bottom margin if it is free, else over a side margin, never over text
        bottom = H - sheet.bottom > 170 and rng.random() < 0.6
        at = (rng.uniform(0.35, 0.65) * W, H + 20) if bottom else (rng.choice([-55, W + 55]), rng.uniform(0.4, 0.6) * H)
        cx, cy = cv2.perspectiveTransform(np.array([[at]], dtype=np.float32), matrix)[0, 0]
        axes = (int(62 * scale), int(100 * scale)) if bottom else (int(100 * scale), int(60 * scale))
        layer = np.zeros((out_h, out_w), np.float32)
        cv2.ellipse(layer, (int(cx), int(cy)), axes, float(np.degrees(angle)), 0, 360, 1.0, -1)
        soft = cv2.GaussianBlur(layer, (0, 0), 4)[..., None]
        skin = np.array([rng.uniform(190, 215), rng.uniform(140, 160), rng.uniform(115, 135)], np.float32)
        scene = scene * (1 - soft) + skin * soft
    ys, xs = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    u, v = xs / out_w - 0.5, ys / out_h - 0.5
    light = 0.92 + rng.uniform(-0.25, 0.25) * u + rng.uniform(-0.3, 0.3) * v - 0.22 * (u ** 2 + v ** 2)  # slope, vignette
    sx, sy = rng.choice([(-0.5, -0.5), (0.5, -0.5), (-0.5, 0.5), (0.5, 0.5)])  # a soft shadow across one corner
    reach = np.hypot(u - sx, v - sy) / np.sqrt(2)
    light *= 1 - rng.uniform(0.2, 0.4) / (1 + np.exp((reach - rng.uniform(0.25, 0.4)) / 0.04))
    scene = cv2.GaussianBlur(scene * np.clip(light, 0.45, 1.05)[..., None], (0, 0), rng.uniform(0.8, 1.3))
    scene = scene + noise.normal(0, rng.uniform(1.5, 3.0), scene.shape)
    return Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8))


def write_set(name: str, seed: int) -> list[dict[str, str]]:
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*.png"), *folder.glob("*.jpg")]:
        old.unlink()
    rng = random.Random(seed)
    rows = []
    jobs = [(kind, kind) for kind in PLAN] + [("photo", base) for base in PHOTO_BASES]
    for n, (subset, kind) in enumerate(jobs, 1):
        page_rng = random.Random(rng.randrange(2**32))
        content = invent(page_rng, name)
        if kind == "checkboxes":  # squares on two check-box forms in three, circles on the other
            content.marks = ("○", "●") if sum(k == "checkboxes" for _, k in jobs[:n]) % 3 == 2 else ("□", "■")
        sheet = DRAW[kind](content, page_rng)
        page_id = f"layout-{name}-{n:02d}"
        if subset == "photo":
            image = photograph(sheet, page_rng, thumb=n % 2 == 1)
            target, exif = f"{page_id}.jpg", Image.Exif()
            if n % 3 == 0:  # stored sideways, as phones do, with the EXIF tag that turns it upright
                image = image.transpose(Image.Transpose.ROTATE_90)
                exif[0x0112] = 6  # "rotate 90° clockwise to display"
            image.save(folder / target, quality=page_rng.randint(74, 86), exif=exif.tobytes())
        else:
            target = f"{page_id}.png"
            scan(sheet, page_rng).save(folder / target, optimize=True)
        rows.append({"id": page_id, "image": target, "text": "\n".join(sheet.lines), "subset": subset,
                     "kind": "trial_feedback", "reference_date": content.reference_date.isoformat()})
    with (folder / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        for row in rows:
            manifest.write(json.dumps(row, ensure_ascii=False) + "\n")
    return rows


if __name__ == "__main__":
    for set_name, set_seed in SETS.items():
        written = write_set(set_name, set_seed)
        print(set_name, len(written), "pages")
