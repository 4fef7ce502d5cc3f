"""Phone photos of a page: the page found, straightened and evenly lit before OCR.

A flatbed scan is handed back untouched; a photo is recognised by what a scan
never has: a page lying on a darker background (its outline a quadrilateral
inside the frame), or light that falls off strongly across the page.
EXIF orientation is settled earlier, when the image is opened (`image.open_image`).
"""
from __future__ import annotations

import logging

import cv2
import numpy as np

log = logging.getLogger(__name__)

WORK_SIDE = 640  # the page outline and the lighting are judged on an image this size
MIN_PAGE_SHARE = 0.2  # a page outline smaller than this share of the frame is something on the page
MAX_PAGE_SHARE = 0.92  # ... and one larger than this is the frame itself: nothing to straighten
BACKGROUND_CONTRAST = 40  # the page is this many grey levels brighter than what lies around it
UNEVEN_LIGHT = 0.62  # the darkest part of the paper under this share of the brightest: uneven light (scans: 0.73+)
BORDER_SHARE = 0.5  # ... and lies on a background that makes up at least this share of the frame's edge
SHARP_EDGE = 40  # grey levels between neighbouring pixels of the bare paper: an edge of print, not of light
OUTPUT_SIDE = 2400  # a straightened page's longer side at most (A4 at ~200 dpi, what OCR is tuned on)


def _small(gray: np.ndarray) -> tuple[np.ndarray, float]:
    scale = WORK_SIDE / max(gray.shape[:2])
    if scale >= 1:
        return gray, 1.0
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), scale


def _order_corners(quad: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    sums, diffs = quad.sum(axis=1), np.diff(quad, axis=1).ravel()
    return np.array([quad[np.argmin(sums)], quad[np.argmin(diffs)], quad[np.argmax(sums)], quad[np.argmax(diffs)]],
                    dtype=np.float32)


def _quad(mask: np.ndarray) -> np.ndarray | None:
    """Four corners fitted to the largest region of `mask`, when it has a page's size."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    frame = mask.shape[0] * mask.shape[1]
    if not MIN_PAGE_SHARE * frame <= cv2.contourArea(hull) <= MAX_PAGE_SHARE * frame:
        return None
    perimeter = cv2.arcLength(hull, True)
    for epsilon in (0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, epsilon * perimeter, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
    # a thumb or a curled corner: the tightest rectangle still straightens the page
    return cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)


def _enclosed_by_edges(paper: np.ndarray) -> np.ndarray:
    """What the border cannot reach without crossing an edge: the page even where shadow darkens it."""
    edges = cv2.dilate(cv2.Canny(paper, 20, 60), np.ones((5, 5), np.uint8))
    h, w = paper.shape
    reach = np.zeros((h + 2, w + 2), np.uint8)
    free = (edges == 0).astype(np.uint8)
    for x, y in [(x, 0) for x in range(0, w, 8)] + [(x, h - 1) for x in range(0, w, 8)] + \
            [(0, y) for y in range(0, h, 8)] + [(w - 1, y) for y in range(0, h, 8)]:
        if free[y, x] and not reach[y + 1, x + 1]:
            cv2.floodFill(free, reach, (x, y), 2, flags=8 | cv2.FLOODFILL_MASK_ONLY | (1 << 8))
    return np.where(reach[1:-1, 1:-1] == 0, 255, 0).astype(np.uint8)


def _sharp_outline(paper: np.ndarray, quad: np.ndarray) -> bool:
    """Whether the paper steps down sharply across the sides of `quad` that lie inside the frame
    (all but one, which a thumb may cover): a page's edge on a desk, not a shadow's soft boundary."""
    h, w = paper.shape
    centre = quad.mean(axis=0)
    checked = sharp = 0
    for a, b in zip(quad, np.roll(quad, -1, axis=0)):
        along = (b - a) / max(float(np.linalg.norm(b - a)), 1.0)
        normal = np.array([along[1], -along[0]])
        if np.dot(normal, (a + b) / 2 - centre) < 0:
            normal = -normal  # pointing out of the page
        steps = []
        for t in np.linspace(0.1, 0.9, 17):
            point = a + t * (b - a)
            (xi, yi), (xo, yo) = np.rint(point - 5 * normal).astype(int), np.rint(point + 5 * normal).astype(int)
            if 0 <= xo < w and 0 <= yo < h and 0 <= xi < w and 0 <= yi < h:
                steps.append(float(paper[yi, xi]) - float(paper[yo, xo]))
        if len(steps) >= 5:
            checked += 1
            sharp += int(np.median(steps) >= BACKGROUND_CONTRAST / 2)
    return sharp >= max(2, checked - 1)


def find_page(gray: np.ndarray) -> np.ndarray | None:
    """The four corners (full-resolution pixels, TL TR BR BL) of a page lying on a darker background."""
    small, scale = _small(gray)
    # the paper with its print closed over: text must not cut the page into pieces
    paper = cv2.morphologyEx(cv2.GaussianBlur(small, (5, 5), 0), cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    _, bright = cv2.threshold(paper, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    best, best_area = None, 0.0
    edge = np.ones(paper.shape, bool)
    rim = max(2, int(0.02 * max(paper.shape)))
    edge[rim:-rim, rim:-rim] = False
    # brightness alone loses a shadowed corner; edges alone leak through a gap in the outline
    for mask in (_enclosed_by_edges(paper), bright):
        quad = _quad(mask)
        if quad is None:
            continue
        inside = np.zeros_like(mask)
        cv2.fillConvexPoly(inside, quad.astype(np.int32), 255)
        # a photo's page lies on the desk, which runs round the frame; a dark block inside a
        # scanned page (a photo, a black header) leaves most of the frame's edge to the page
        around = paper[edge & (inside == 0)]
        if around.size < BORDER_SHARE * edge.sum() \
                or float(np.median(paper[inside > 0])) - float(np.median(around)) < BACKGROUND_CONTRAST \
                or not _sharp_outline(paper, quad):
            continue
        area = cv2.contourArea(quad)
        if area > best_area:
            best, best_area = quad, area
    return None if best is None else _order_corners(best) / scale


def straighten(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The quadrilateral `corners` (TL TR BR BL) warped to an upright rectangle."""
    tl, tr, br, bl = corners
    width = float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = float(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    fit = min(1.0, OUTPUT_SIDE / max(width, height))
    w, h = int(round(width * fit)), int(round(height * fit))
    target = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def _closed(image: np.ndarray) -> tuple[np.ndarray, int]:
    """The image at the small working scale with its print closed over, and the kernel size used."""
    small, _ = _small(image)
    size = max(15, (max(small.shape[:2]) // 30) | 1)  # wider than a glyph, narrower than a shadow's fall-off
    return cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))), size


def _paper_light(image: np.ndarray) -> np.ndarray:
    """How bright the bare paper is at each point (print closed over), at the small working scale."""
    paper, size = _closed(image)
    return cv2.GaussianBlur(paper, (0, 0), size / 2)


def unevenly_lit(gray: np.ndarray) -> bool:
    """Light falling off across the paper; dark areas with a sharp edge are print (a black header,
    a photograph on the form), not shadow."""
    paper, size = _closed(gray)
    light = cv2.GaussianBlur(paper, (0, 0), size / 2)
    dark, bright = np.percentile(light, [2, 98])
    if not (bright > 0 and dark < UNEVEN_LIGHT * bright):
        return False
    step = cv2.morphologyEx(paper, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    return bool((step > SHARP_EDGE).mean() < 0.001)


def even_light(rgb: np.ndarray) -> np.ndarray:
    """Each channel divided by the paper's own brightness in it: shadows, fall-off and a colour cast
    lifted to white paper."""
    light = cv2.resize(_paper_light(rgb), (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(rgb, np.maximum(light, 1), scale=255)


def prepare_photo(rgb: np.ndarray) -> np.ndarray:
    """A photographed page straightened and evenly lit; any other image (a scan) returned as it is."""
    if rgb.ndim != 3 or min(rgb.shape[:2]) < 64:
        return rgb
    try:
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        corners = find_page(gray)
        if corners is not None:
            rgb = straighten(rgb, corners)
            gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if corners is not None or unevenly_lit(gray):
            return even_light(rgb)
        return rgb
    except cv2.error:  # an odd image must still be read as it is
        log.exception("photo correction failed; reading the image as it is")
        return rgb
