"""Marks on a form that are not text: ruled lines, check boxes and red stamps."""
from __future__ import annotations

import cv2
import numpy as np

from jinnang.ingest.ocr.reading_order import Fragment

# ---------------------------------------------------------------- ruled lines

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
CHOSEN, NOT_CHOSEN = "●", "○"  # round option marks (radio buttons)
# what recognisers return for a box glyph at the start of an option (or nothing at all)
_BOX_LOOKALIKES = set("■□●○◯〇口回日1Il|[]OoD0")

Mark = tuple[tuple[float, float, float, float], str]  # (x0, y0, x1, y1), one of ■ □ ● ○


def _mark_shape(contour: np.ndarray, w: int, h: int, unit: float) -> str | None:
    """"square", "round" or None for the outline of something about one text height wide.

    A square fills nearly all of its bounding box; a disc fills pi/4 of it and is rounder
    (4πA/P² near 1); small round letters (o in "Pro") are under `0.7 × unit`.
    """
    area, perimeter = cv2.contourArea(contour), cv2.arcLength(contour, True)
    fill, roundness = area / (w * h), (4 * np.pi * area / perimeter ** 2 if perimeter else 0.0)
    if fill >= 0.8 and 0.7 <= roundness < 0.86 and len(cv2.approxPolyDP(contour, 0.08 * perimeter, True)) == 4:
        return "square"
    if 0.68 <= fill < 0.8 and roundness >= 0.85 and min(w, h) >= 0.7 * unit:
        return "round"
    return None


def find_checkboxes(gray: np.ndarray, unit: float) -> list[Mark]:
    """Square boxes and round option marks about one text height wide, with what they show (■ □ ● ○)."""
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    found: list[Mark] = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if not (0.45 * unit <= w <= 1.3 * unit and 0.45 * unit <= h <= 1.3 * unit):
            continue
        if abs(w - h) > 0.15 * max(w, h):
            continue
        shape = _mark_shape(contour, w, h, unit)
        if shape is None:
            continue
        inset = max(2, int(0.25 * w))
        inner = ink[y + inset:y + h - inset, x + inset:x + w - inset]
        if inner.size == 0:
            continue
        fill = float((inner > 0).mean())
        if fill > 0.85:  # a filled mark is solid; a glyph framed like a box (图, 国) is not
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
        if shape == "square":
            found.append((box, CHECKED if ticked else UNCHECKED))
        else:
            found.append((box, CHOSEN if ticked else NOT_CHOSEN))
    # an outlined square gives an outer and an inner contour: keep the outer one
    def inside(a, b):
        return a is not b and b[0] <= (a[0] + a[2]) / 2 <= b[2] and b[1] <= (a[1] + a[3]) / 2 <= b[3] \
            and (a[2] - a[0]) <= (b[2] - b[0])
    return [(box, mark) for box, mark in found
            if not any(inside(box, other) for other, _ in found if other != box)]


def option_boxes(boxes: list[Mark], unit: float) -> list[Mark]:
    """Boxes that come in a row of two or more: a lone square is as likely the glyph 口 (口腔科)."""
    return [b for b in boxes
            if any(other is not b and abs(other[0][0] - b[0][0]) > unit
                   and min(b[0][3], other[0][3]) - max(b[0][1], other[0][1]) > 0.5 * (b[0][3] - b[0][1])
                   for other in boxes)]


def apply_checkboxes(fragments: list[Fragment], boxes: list[Mark], unit: float) -> list[Fragment]:
    """Put ■ □ ● ○ (from `option_boxes`) where the recogniser dropped or misread them."""
    out = list(fragments)
    for (x0, y0, x1, y1), symbol in boxes:
        cy = (y0 + y1) / 2
        owner = None
        for i, frag in enumerate(out):
            # the label's box may start inside the mark: its ink trimmed to part of the mark
            if frag.box[1] <= cy <= frag.box[3] and (frag.box[0] - 0.3 * unit <= x0 or x0 < frag.box[0] < x1) \
                    and x1 <= frag.box[2] + 0.3 * unit:
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


# ---------------------------------------------------------------- stamps

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
