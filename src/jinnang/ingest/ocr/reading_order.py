"""Reading order: the page's recognised strings as lines, in the order a person reads them.

Engines hand over `Fragment`s (a recognised string with its box in upright,
deskewed page pixels); `reading_order` turns them into the page's lines:
titles top to bottom, tables row by row with cells left to right (a wrapped
cell stays together), and side-by-side columns one after the other. It works
on box geometry only, so it is the same for any engine.
"""
from __future__ import annotations

import re
from statistics import median

from jinnang.core.records import OcrLine
from jinnang.ingest.ocr.columns import column_blocks
from jinnang.ingest.ocr.fragments import Fragment

# Gaps are measured in units of the page's median text height, so the rules hold at any dpi.
ROW_GAP = 0.8  # a horizontal blank band at least this tall separates rows / paragraphs
COLUMN_GAP = 1.2  # a vertical blank band at least this wide separates cells / columns
SAME_LINE_GAP = 1.5  # fragments on one baseline closer than this are one drawn string


def _vertical_overlap(a: Fragment, b: Fragment) -> float:
    top, bottom = max(a.box[1], b.box[1]), min(a.box[3], b.box[3])
    return max(0.0, bottom - top) / min(a.height, b.height)


_OWN_BLANK_AFTER = set(" \u3000，。、：；！？）」』”》(（")
_OPTION_MARKS = set("■□●○")
_OWN_BLANK_BEFORE = set(" \u3000，。、：；！？）」』”》（「『“《,.;:!?()")


def _join(left: Fragment, right: Fragment, unit: float) -> Fragment:
    gap = right.box[0] - left.box[2]
    # a visible blank inside one drawn string is a space (CJK text has none between glyphs);
    # a blank a full glyph wide is the ideographic space forms put between options
    sep = ""
    text = left.text
    if right.text[:1] in _OPTION_MARKS and not 0 <= gap <= 0.25 * unit:
        # options are set apart by the ideographic space; the blank around a box is measured
        # unreliably (the recogniser reads part of it as a space, boxes overlap by a pixel or two)
        text, sep = text.rstrip(), "\u3000"
    # full-width marks carry their own blank: none is added next to them
    elif left.text[-1:] not in _OWN_BLANK_AFTER and right.text[:1] not in _OWN_BLANK_BEFORE:
        sep = "\u3000" if gap > 0.75 * unit else " " if gap > 0.25 * unit else ""
    n = left.parts + right.parts
    confidence = min(left.confidence, right.confidence)
    box = (min(left.box[0], right.box[0]), min(left.box[1], right.box[1]),
           max(left.box[2], right.box[2]), max(left.box[3], right.box[3]))
    return Fragment(text + sep + right.text, confidence, box, n)


def merge_same_line(fragments: list[Fragment], unit: float,
                    separators: list[tuple[float, float, float]] | None = None) -> list[Fragment]:
    """Join fragments of one drawn string that the detector split at a blank.

    `separators` are vertical ruled lines (x, y0, y1): text on both sides of one is never joined.
    """
    rest = sorted(fragments, key=lambda f: f.box[0])
    out: list[Fragment] = []
    while rest:
        current = rest.pop(0)
        merged = True
        while merged:
            merged = False
            for i, other in enumerate(rest):
                gap = other.box[0] - current.box[2]
                if gap > SAME_LINE_GAP * unit:
                    break  # sorted by x0: the rest start further right
                if gap < -0.3 * unit or _vertical_overlap(current, other) < 0.6:
                    continue
                if abs(current.height - other.height) > 0.35 * max(current.height, other.height):
                    continue  # a title beside body text is another string
                if separators and any(current.box[2] - 2 <= x <= other.box[0] + 2
                                      and y0 <= (other.box[1] + other.box[3]) / 2 <= y1
                                      for x, y0, y1 in separators):
                    continue
                current = _join(current, rest.pop(i), unit)
                merged = True
                break
        out.append(current)
    return out


def _gaps(intervals: list[tuple[float, float]], min_gap: float,
          ruled: list[float] | None = None) -> list[float]:
    """Cut positions in the middle of blank stretches at least min_gap long,
    or of any blank stretch a ruled line runs through (tight table rows and cells)."""
    cuts: list[float] = []
    intervals = sorted(intervals)
    reach = intervals[0][1]
    for start, end in intervals[1:]:
        if start - reach >= min_gap or (start > reach and any(reach - 2 <= r <= start + 2 for r in ruled or ())):
            cuts.append((start + reach) / 2)
        reach = max(reach, end)
    return cuts


def _crossing(rules: list[tuple[float, float, float]] | None, lo: float, hi: float) -> list[float]:
    """Positions of rules that run along most of the span lo..hi of a region."""
    span = max(1.0, hi - lo)
    return [pos for pos, a, b in rules or () if min(b, hi) - max(a, lo) >= 0.6 * span]


def _split(items: list[Fragment], cuts: list[float], axis: int) -> list[list[Fragment]]:
    groups: list[list[Fragment]] = [[] for _ in range(len(cuts) + 1)]
    for item in items:
        center = (item.box[axis] + item.box[axis + 2]) / 2
        groups[sum(center > c for c in cuts)].append(item)
    return [g for g in groups if g]


def _lines_top_down(items: list[Fragment]) -> list[Fragment]:
    """A block with no blank band: strings on one baseline left to right, baselines top down."""
    rows: list[list[Fragment]] = []
    for item in sorted(items, key=lambda f: (f.box[1] + f.box[3]) / 2):
        if rows and any(_vertical_overlap(item, other) >= 0.5 for other in rows[-1]):
            rows[-1].append(item)
        else:
            rows.append([item])
    return [item for row in rows for item in sorted(row, key=lambda f: f.box[0])]


def _xy_cut(items: list[Fragment], unit: float, vertical=None, horizontal=None, depth: int = 0) -> list[Fragment]:
    if len(items) <= 1 or depth > 40:
        return _lines_top_down(items)
    x_lo, x_hi = min(f.box[0] for f in items), max(f.box[2] for f in items)
    y_lo, y_hi = min(f.box[1] for f in items), max(f.box[3] for f in items)
    # rows first: a table is read row by row, and a wrapped cell has no row-sized blank inside;
    # then runs of rows that share a gutter and read as text columns are read column by column
    row_cuts = _gaps([(f.box[1], f.box[3]) for f in items], ROW_GAP * unit, _crossing(horizontal, x_lo, x_hi))
    if row_cuts:
        out: list[Fragment] = []
        for block, gutter in column_blocks(_split(items, row_cuts, 1), unit, horizontal):
            groups = _split(block, [(gutter[0] + gutter[1]) / 2], 0) if gutter else [block]
            for group in groups:
                out.extend(_xy_cut(group, unit, vertical, horizontal, depth + 1))
        return out
    column_cuts = _gaps([(f.box[0], f.box[2]) for f in items], COLUMN_GAP * unit, _crossing(vertical, y_lo, y_hi))
    if column_cuts:
        return [f for group in _split(items, column_cuts, 0)
                for f in _xy_cut(group, unit, vertical, horizontal, depth + 1)]
    return _lines_top_down(items)


def text_unit(fragments: list[Fragment]) -> float:
    """The page's typical text height (median of single-line fragment heights)."""
    heights = [f.height for f in fragments if f.box[2] - f.box[0] > f.height]
    return float(median(heights)) if heights else float(median(f.height for f in fragments))


_CJK = re.compile(r"[\u3400-\u9fff\uff08\uff09\u3001\u3002\uff0c\uff1a\uff1b]")
_FULL_WIDTH = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}


_FULL_WIDTH_MARKS = set("，。、：；！？（）「」『』“”《》")


def normalise_punctuation(text: str) -> str:
    """ASCII punctuation the recogniser returns inside Chinese text, as the full-width form drawn.

    Only next to a CJK character: "9:30", "HG-PS600 (A)" and "1." keep their ASCII forms.
    """
    chars = list(text)
    for i, char in enumerate(chars):
        if char not in _FULL_WIDTH:
            continue
        before = chars[i - 1] if i else ""
        after = chars[i + 1] if i + 1 < len(chars) else ""
        if char in "(":
            cjk = bool(_CJK.match(after) or _CJK.match(before))
        elif char in ")":
            cjk = bool(_CJK.match(before) or _CJK.match(after))
        else:
            cjk = bool(_CJK.match(before))
        if cjk:
            chars[i] = _FULL_WIDTH[char]
    # a full-width mark carries its own blank, so a space the recogniser saw beside it is not drawn
    return "".join(c for i, c in enumerate(chars)
                   if not (c == " " and ((i and chars[i - 1] in _FULL_WIDTH_MARKS)
                                         or (i + 1 < len(chars) and chars[i + 1] in _FULL_WIDTH_MARKS))))


def reading_order(fragments: list[Fragment],
                  vertical: list[tuple[float, float, float]] | None = None,
                  horizontal: list[tuple[float, float, float]] | None = None) -> list[OcrLine]:
    """The page's lines, one per drawn string, in reading order.

    `vertical` rules are (x, y0, y1) and `horizontal` ones (y, x0, x1), from `ruled_lines`.
    """
    fragments = [f for f in fragments if f.text.strip()]
    if not fragments:
        return []
    unit = text_unit(fragments)
    merged = merge_same_line(fragments, unit, vertical)
    ordered = _xy_cut(merged, unit, vertical, horizontal)
    return [OcrLine(text=normalise_punctuation(f.text.strip()), confidence=round(float(f.confidence), 4),
                    box=tuple(int(round(v)) for v in f.box))  # type: ignore[arg-type]
            for f in ordered]
