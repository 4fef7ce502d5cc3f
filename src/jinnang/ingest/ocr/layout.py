"""Page geometry shared by the OCR engines: skew, orientation and reading order.

Engines hand over `Fragment`s (a recognised string with its box in upright,
deskewed page pixels); `reading_order` turns them into the page's lines in the
order a person reads them: titles top to bottom, tables row by row with cells
left to right (a wrapped cell stays together), and side-by-side columns one
after the other. It works on box geometry only, so it is the same for any engine.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from statistics import median

import cv2
import numpy as np

from jinnang.core.records import OcrLine

# Gaps are measured in units of the page's median text height, so the rules hold at any dpi.
ROW_GAP = 0.8  # a horizontal blank band at least this tall separates rows / paragraphs
COLUMN_GAP = 1.2  # a vertical blank band at least this wide separates cells / columns
TEXT_COLUMN_GAP = 2.0  # columns of running text are at least this far apart ...
TEXT_LINE_WIDTH = 8.0  # ... and their lines at least this long (a form's labels are shorter)
SAME_LINE_GAP = 1.5  # fragments on one baseline closer than this are one drawn string


@dataclass
class Fragment:
    text: str
    confidence: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in upright deskewed page pixels
    parts: int = field(default=1)

    @property
    def height(self) -> float:
        return max(1.0, self.box[3] - self.box[1])


# ---------------------------------------------------------------- skew and rotation

def skew_from_quads(quads: list[np.ndarray]) -> float:
    """Page skew in degrees (counter-clockwise positive, image y down) from text-line quads.

    Uses the top edge of lines clearly wider than tall: their angle is the text baseline's.
    """
    angles: list[float] = []
    weights: list[float] = []
    for quad in quads:
        (x0, y0), (x1, y1) = quad[0], quad[1]
        width = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(*(quad[3] - quad[0]))
        if width < 3 * height or width < 40:
            continue  # short boxes give noisy angles
        angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
        if abs(angle) > 15:
            continue
        angles.append(angle)
        weights.append(width)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cumulative = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def rotate_points(points: np.ndarray, degrees: float, center: tuple[float, float]) -> np.ndarray:
    """Rotate points by -degrees about center: undoes a page skew of `degrees`."""
    theta = math.radians(-degrees)
    cos, sin = math.cos(theta), math.sin(theta)
    cx, cy = center
    shifted = points - np.array([cx, cy])
    rotated = np.stack([shifted[..., 0] * cos - shifted[..., 1] * sin,
                        shifted[..., 0] * sin + shifted[..., 1] * cos], axis=-1)
    return rotated + np.array([cx, cy])


def deskew_image(gray: np.ndarray, degrees: float) -> np.ndarray:
    """The page rotated so that text lines are horizontal (white fill at the corners)."""
    if abs(degrees) < 0.1:
        return gray
    h, w = gray.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def skew_from_projection(gray: np.ndarray, max_degrees: float = 5.0, step: float = 0.1) -> float:
    """Page skew by the angle that makes row ink profiles sharpest (for engines without boxes)."""
    scale = 800 / max(gray.shape[:2])
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    ink = cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15).astype(np.float32)
    h, w = ink.shape
    best, best_score = 0.0, -1.0
    for degrees in np.arange(-max_degrees, max_degrees + step / 2, step):
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), float(degrees), 1.0)
        rotated = cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        profile = rotated.sum(axis=1)
        score = float(np.square(np.diff(profile)).sum())
        if score > best_score:
            best, best_score = float(degrees), score
    return best


def rotate_quarter(image: np.ndarray, quarters: int) -> np.ndarray:
    """Rotate by quarters × 90° counter-clockwise."""
    return np.ascontiguousarray(np.rot90(image, quarters % 4))


# ---------------------------------------------------------------- reading order

def _vertical_overlap(a: Fragment, b: Fragment) -> float:
    top, bottom = max(a.box[1], b.box[1]), min(a.box[3], b.box[3])
    return max(0.0, bottom - top) / min(a.height, b.height)


_OWN_BLANK_AFTER = set(" \u3000，。、：；！？）」』”》(（")
_OWN_BLANK_BEFORE = set(" \u3000，。、：；！？）」』”》（「『“《,.;:!?()")


def _join(left: Fragment, right: Fragment, unit: float) -> Fragment:
    gap = right.box[0] - left.box[2]
    # a visible blank inside one drawn string is a space (CJK text has none between glyphs);
    # a blank a full glyph wide is the ideographic space forms put between options
    sep = ""
    # full-width marks carry their own blank: none is added next to them
    if left.text[-1:] not in _OWN_BLANK_AFTER and right.text[:1] not in _OWN_BLANK_BEFORE:
        sep = "\u3000" if gap > 0.75 * unit else " " if gap > 0.25 * unit else ""
    n = left.parts + right.parts
    confidence = min(left.confidence, right.confidence)
    box = (min(left.box[0], right.box[0]), min(left.box[1], right.box[1]),
           max(left.box[2], right.box[2]), max(left.box[3], right.box[3]))
    return Fragment(left.text + sep + right.text, confidence, box, n)


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


def _text_columns(items: list[Fragment], unit: float, horizontal, x_lo: float, x_hi: float) -> bool:
    """Side-by-side columns of running text (read column by column even where their
    paragraph breaks line up), as opposed to a table's label and value columns."""
    if _crossing(horizontal, x_lo, x_hi):
        return False  # ruled rows: a table
    cuts = _gaps([(f.box[0], f.box[2]) for f in items], TEXT_COLUMN_GAP * unit)
    if not cuts:
        return False
    for group in _split(items, cuts, 0):
        if len(group) < 3 or median(f.box[2] - f.box[0] for f in group) < TEXT_LINE_WIDTH * unit:
            return False
    return True


def _xy_cut(items: list[Fragment], unit: float, vertical=None, horizontal=None, depth: int = 0) -> list[Fragment]:
    if len(items) <= 1 or depth > 40:
        return _lines_top_down(items)
    x_lo, x_hi = min(f.box[0] for f in items), max(f.box[2] for f in items)
    y_lo, y_hi = min(f.box[1] for f in items), max(f.box[3] for f in items)
    if _text_columns(items, unit, horizontal, x_lo, x_hi):
        column_cuts = _gaps([(f.box[0], f.box[2]) for f in items], TEXT_COLUMN_GAP * unit)
        return [f for group in _split(items, column_cuts, 0)
                for f in _xy_cut(group, unit, vertical, horizontal, depth + 1)]
    # rows first: a table is read row by row, and a wrapped cell has no row-sized blank inside
    row_cuts = _gaps([(f.box[1], f.box[3]) for f in items], ROW_GAP * unit, _crossing(horizontal, x_lo, x_hi))
    if row_cuts:
        return [f for group in _split(items, row_cuts, 1)
                for f in _xy_cut(group, unit, vertical, horizontal, depth + 1)]
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


def ruled_lines(gray: np.ndarray, min_length: float) -> tuple[list[tuple[float, float, float]],
                                                             list[tuple[float, float, float]]]:
    """Vertical (x, y0, y1) and horizontal (y, x0, x1) ruled lines of a deskewed page."""
    vertical = vertical_rules(gray, min_length)
    horizontal = [(y, x0, x1) for y, x0, x1 in vertical_rules(np.ascontiguousarray(gray.T), min_length)]
    return vertical, horizontal


def vertical_rules(gray: np.ndarray, min_length: float) -> list[tuple[float, float, float]]:
    """Vertical ruled lines (x, y0, y1) of a deskewed page, e.g. table cell borders.

    `min_length` should be well over a glyph's height, or glyph strokes count as rules.
    """
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    length = max(10, int(min_length))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (1, length))
    lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    count, _, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    rules = []
    for i in range(1, count):
        x, y, w, h, _area = stats[i]
        if h >= length and w <= max(8, h // 10):
            rules.append((x + w / 2, float(y), float(y + h)))
    return rules


def erase_rules(gray: np.ndarray) -> np.ndarray:
    """The page with long ruled lines painted white (tesseract reads table borders as text)."""
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    h, w = gray.shape[:2]
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(40, w // 25), 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(40, h // 25))))
    mask = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((3, 3), np.uint8))
    cleaned = gray.copy()
    cleaned[mask > 0] = 255
    return cleaned


# ---------------------------------------------------------------- check boxes

CHECKED, UNCHECKED = "■", "□"
# what recognisers return for a box glyph at the start of an option (or nothing at all)
_BOX_LOOKALIKES = set("■□口回日1Il|[]OoD0")


def find_checkboxes(gray: np.ndarray, unit: float) -> list[tuple[tuple[float, float, float, float], bool]]:
    """Square boxes about one text height wide: ((x0, y0, x1, y1), ticked)."""
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    found: list[tuple[tuple[float, float, float, float], bool]] = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if not (0.45 * unit <= w <= 1.3 * unit and 0.45 * unit <= h <= 1.3 * unit):
            continue
        if abs(w - h) > 0.15 * max(w, h) or cv2.contourArea(contour) < 0.8 * w * h:
            continue
        if len(cv2.approxPolyDP(contour, 0.08 * cv2.arcLength(contour, True), True)) != 4:
            continue
        inset = max(2, int(0.25 * w))
        inner = ink[y + inset:y + h - inset, x + inset:x + w - inset]
        if inner.size == 0:
            continue
        fill = float((inner > 0).mean())
        if fill > 0.6:
            ticked = True
        elif fill < 0.12:
            ticked = False
        else:
            continue  # a glyph with strokes inside (国, 回, 田), not a box
        # a glyph's square part (日 in 智, 口 in 中) has strokes just above or below it; a box has none
        pad = max(2, int(0.3 * h))
        above = ink[max(0, y - pad):max(0, y - 1), x + 1:x + w - 1]
        below = ink[y + h + 1:y + h + pad, x + 1:x + w - 1]
        if (above.size and (above > 0).mean() > 0.03) or (below.size and (below > 0).mean() > 0.03):
            continue
        box = (float(x), float(y), float(x + w), float(y + h))
        found.append((box, ticked))
    # an outlined square gives an outer and an inner contour: keep the outer one
    def inside(a, b):
        return a is not b and b[0] <= (a[0] + a[2]) / 2 <= b[2] and b[1] <= (a[1] + a[3]) / 2 <= b[3] \
            and (a[2] - a[0]) <= (b[2] - b[0])
    return [(box, ticked) for box, ticked in found
            if not any(inside(box, other) for other, _ in found if other != box)]


def option_boxes(boxes: list[tuple[tuple[float, float, float, float], bool]],
                 unit: float) -> list[tuple[tuple[float, float, float, float], bool]]:
    """Boxes that come in a row of two or more: a lone square is as likely the glyph 口 (口腔科)."""
    return [b for b in boxes
            if any(other is not b and abs(other[0][0] - b[0][0]) > unit
                   and min(b[0][3], other[0][3]) - max(b[0][1], other[0][1]) > 0.5 * (b[0][3] - b[0][1])
                   for other in boxes)]


def apply_checkboxes(fragments: list[Fragment],
                     boxes: list[tuple[tuple[float, float, float, float], bool]], unit: float) -> list[Fragment]:
    """Put ■/□ (from `option_boxes`) where the recogniser dropped or misread them."""
    out = list(fragments)
    for (x0, y0, x1, y1), ticked in boxes:
        symbol = CHECKED if ticked else UNCHECKED
        cy = (y0 + y1) / 2
        owner = None
        for i, frag in enumerate(out):
            if frag.box[1] <= cy <= frag.box[3] and frag.box[0] - 0.3 * unit <= x0 and x1 <= frag.box[2] + 0.3 * unit:
                owner = i
                break
        if owner is None:
            out.append(Fragment(symbol, 0.9, (x0, y0, x1, y1)))
            continue
        frag = out[owner]
        if x0 - frag.box[0] > 0.5 * unit:
            continue  # a square inside the text is a glyph the recogniser already read
        text = frag.text[1:] if frag.text[:1] in _BOX_LOOKALIKES else frag.text
        out[owner] = Fragment(symbol + text, frag.confidence, (min(frag.box[0], x0), frag.box[1], frag.box[2], frag.box[3]),
                              frag.parts)
    return out


def drop_red_ink(rgb: np.ndarray, min_share: float = 0.002) -> np.ndarray:
    """A page with red stamps (公章) removed: red ink vanishes in the red channel, black and blue stay.

    Only when the page has a noticeable amount of red, so that ordinary pages pass untouched.
    """
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        return rgb
    r, g, b = (rgb[..., i].astype(np.int16) for i in range(3))
    red = (r > 120) & (r - g > 50) & (r - b > 50)
    if red.mean() < min_share:
        return rgb
    # the red channel keeps black (and blue) strokes crossing the stamp; red ink itself goes white
    page = rgb[..., 0].copy()
    page[red] = 255
    return np.repeat(page[..., None], 3, axis=2)
