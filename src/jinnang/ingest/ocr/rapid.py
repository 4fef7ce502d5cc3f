"""RapidOCR (PP-OCRv4 det + rec, ONNX models shipped inside the wheel).

We drive the three models ourselves instead of `RapidOCR.__call__`, because
(1) detection runs on a downscaled page while recognition crops come from the
full-resolution one (speed without losing small print), and (2) orientation
and skew are settled once per page here, so the per-line angle classifier is
only used to vote whether the page is upside down.
"""
from __future__ import annotations

import threading
from unittest.mock import patch

import cv2
import numpy as np

from jinnang.core.records import OcrLine
from jinnang.ingest.ocr.marks import apply_checkboxes, find_checkboxes, option_boxes, ruled_lines
from jinnang.ingest.ocr.reading_order import Fragment, reading_order, text_unit
from jinnang.ingest.ocr.skew import rotate_points, rotate_quarter, skew_from_quads
from jinnang.ingest.threads import configured_threads

DET_SIDE = 960  # longest side fed to the detector; A4 at 200 dpi keeps ~14 px glyphs
MIN_CONFIDENCE = 0.3  # below this a "line" is speckle or a ruled-line fragment
VOTE_LINES = 12  # widest lines that vote on upside-down pages
SPACE_WIDTH = 0.3  # a blank this many glyph heights wide inside a line is a typed space
RULE_LENGTH = 1.8  # a ruled line is longer than this many text heights (glyph strokes are shorter)


class RapidOcrEngine:
    name = "rapidocr"

    def __init__(self, det_side: int = DET_SIDE, threads: int | None = None):
        self.det_side = det_side
        self.threads = threads or configured_threads()  # 1 a process unless JINNANG_THREADS says more
        self._ocr = None
        self._lock = threading.Lock()

    def _models(self):
        with self._lock:
            if self._ocr is None:
                from rapidocr_onnxruntime import RapidOCR
                from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess
                from rapidocr_onnxruntime.utils.infer_engine import OrtInferSession

                # the library builds its own session options (arena off, threads spinning): swap ours in
                with patch.object(OrtInferSession, "_init_sess_opts", staticmethod(self._session_options)):
                    ocr = RapidOCR(rec_batch_num=4, print_verbose=False)
                det = ocr.text_det
                # the library picks 2000 px for any page over 1500 px whatever the config says;
                # detection is the costliest step and a smaller page finds the same lines
                det.get_preprocess = lambda _max_wh: DetPreProcess(self.det_side, "max", det.mean, det.std)
                self._ocr = ocr
        return self._ocr

    def _session_options(self, _config=None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 4
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = True  # the library turns it off; reallocating per line costs time
        # spinning worker threads burn the CPU that other processes (and our other thread) need:
        # on a busy 2-core machine it nearly doubled the CPU time per page
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return options

    def load(self) -> None:
        self._models()

    def _detect(self, bgr: np.ndarray) -> np.ndarray:
        boxes, _ = self._models().text_det(bgr)
        if boxes is None or len(boxes) == 0:
            return np.zeros((0, 4, 2), dtype=np.float32)
        return np.asarray(boxes, dtype=np.float32)

    @staticmethod
    def _mostly_vertical(boxes: np.ndarray) -> bool:
        widths = np.linalg.norm(boxes[:, 1] - boxes[:, 0], axis=1)
        heights = np.linalg.norm(boxes[:, 3] - boxes[:, 0], axis=1)
        long = np.maximum(widths, heights) > 2.5 * np.minimum(widths, heights)
        if not long.any():
            return False  # single glyphs only: nothing tells the text direction
        lengths = np.maximum(widths, heights)[long]
        return bool(lengths[heights[long] > widths[long]].sum() > 0.6 * lengths.sum())

    def _upside_down(self, crops: list[np.ndarray]) -> bool:
        widest = sorted(crops, key=lambda c: c.shape[1], reverse=True)[:VOTE_LINES]
        if not widest:
            return False
        _, votes, _ = self._models().text_cls(widest)
        flipped = sum(score for label, score in votes if label == "180")
        upright = sum(score for label, score in votes if label == "0")
        return flipped > upright

    def read(self, rgb: np.ndarray) -> list[OcrLine]:
        """The page's lines in reading order; `rgb` is an H×W×3 uint8 array."""
        ocr = self._models()
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        boxes = self._detect(bgr)
        if len(boxes) and self._mostly_vertical(boxes):
            bgr = rotate_quarter(bgr, 1)  # which quarter turn is right is settled by the vote below
            boxes = self._detect(bgr)
        if not len(boxes):
            return []
        crops = ocr.get_crop_img_list(bgr, list(boxes))
        if self._upside_down(crops):
            bgr = rotate_quarter(bgr, 2)
            boxes = self._detect(bgr)
            crops = ocr.get_crop_img_list(bgr, list(boxes))
        recognised = self._recognise(crops)

        h, w = bgr.shape[:2]
        skew = skew_from_quads(list(boxes))
        upright = rotate_points(boxes, skew, (w / 2, h / 2))
        lines = []  # (box in deskewed page, crop, text, score)
        for quad, crop, (text, score) in zip(upright, crops, recognised):
            if float(score) >= MIN_CONFIDENCE and text.strip():
                x0, y0 = quad.min(axis=0)
                x1, y1 = quad.max(axis=0)
                lines.append(((float(x0), float(y0), float(x1), float(y1)), crop, text, float(score)))
        if not lines:
            return []
        fragments = [_trimmed(*line) for line in lines]
        unit = text_unit(fragments)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        checkboxes = []
        for (bx0, by0, bx1, by1), mark in find_checkboxes(gray, unit):
            corners = rotate_points(np.array([[bx0, by0], [bx1, by1]], dtype=np.float32), skew, (w / 2, h / 2))
            (cx, cy), half = corners.mean(axis=0), (bx1 - bx0) / 2
            checkboxes.append(((cx - half, cy - half, cx + half, cy + half), mark))
        checkboxes = option_boxes(checkboxes, unit)
        if checkboxes:
            fragments = self._split_at_checkboxes(lines, fragments, checkboxes, unit)
            fragments = apply_checkboxes(fragments, checkboxes, unit)
        return reading_order(fragments, *self._rules(gray, skew, RULE_LENGTH * unit))

    def _recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """(text, confidence) per line crop, with the blanks the recogniser drops put back."""
        results, _ = self._models().text_rec(crops, True)
        out = []
        for crop, (text, score, info) in zip(crops, results):
            columns = [c for word in info[2] for c in word]
            out.append((restore_spaces(text, columns, float(info[0]), crop), float(score)))
        return out

    def _split_at_checkboxes(self, lines, fragments, checkboxes, unit) -> list[Fragment]:
        """Re-read a line that runs over option boxes as one piece per option.

        The recogniser drops an empty box in the middle of a line together with the blank
        around it, so "□满意 □不满意" would come back as "满意不满意".
        """
        out: list[Fragment] = []
        for (box, crop, _text, _score), frag in zip(lines, fragments):
            x0, _, x1, _ = box
            cuts = sorted(cb[0] - 0.15 * unit for cb, _ in checkboxes
                          if frag.box[1] <= (cb[1] + cb[3]) / 2 <= frag.box[3]
                          and cb[0] > frag.box[0] + 0.5 * unit and cb[2] <= frag.box[2] + 0.3 * unit)
            if not cuts:
                out.append(frag)
                continue
            edges = [0] + [int(round((c - x0) / (x1 - x0) * crop.shape[1])) for c in cuts] + [crop.shape[1]]
            pieces = [(a, b) for a, b in zip(edges, edges[1:]) if b - a > 4]
            read = self._recognise([np.ascontiguousarray(crop[:, a:b]) for a, b in pieces])
            for (a, b), (piece_text, piece_score) in zip(pieces, read):
                if piece_text.strip():
                    piece_box = (x0 + a / crop.shape[1] * (x1 - x0), box[1], x0 + b / crop.shape[1] * (x1 - x0), box[3])
                    out.append(_trimmed(piece_box, crop[:, a:b], piece_text, float(piece_score)))
        return out

    @staticmethod
    def _rules(gray: np.ndarray, skew: float, min_length: float):
        """Ruled lines of the deskewed page, found at half resolution."""
        scale = 0.5
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        h, w = small.shape
        if abs(skew) >= 0.1:
            matrix = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
            small = cv2.warpAffine(small, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
        vertical, horizontal = ruled_lines(small, min_length * scale)
        return ([(a / scale, b / scale, c / scale) for a, b, c in vertical],
                [(a / scale, b / scale, c / scale) for a, b, c in horizontal])


def _ink_extent(crop: np.ndarray) -> tuple[float, float, float, float]:
    """Fractions (top, bottom, left, right) of a line crop that hold ink."""
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    if gray.size == 0 or gray.shape[0] < 4 or gray.shape[1] < 4:
        return 0.0, 1.0, 0.0, 1.0
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    rows = np.flatnonzero(ink.sum(axis=1) >= max(1, 0.01 * ink.shape[1]))
    cols = np.flatnonzero(ink.sum(axis=0) >= 1)
    if len(rows) < 2 or len(cols) < 2:
        return 0.0, 1.0, 0.0, 1.0
    h, w = ink.shape
    return rows[0] / h, (rows[-1] + 1) / h, cols[0] / w, (cols[-1] + 1) / w


def _trimmed(box: tuple[float, float, float, float], crop: np.ndarray, text: str, score: float) -> Fragment:
    """A fragment whose box is the ink inside the detector's box.

    The detector pads boxes by an amount that varies with resolution; the ink's own
    extent makes the blank-band rules of reading order measure real gaps.
    """
    x0, y0, x1, y1 = box
    top, bottom, left, right = _ink_extent(crop)
    w_box, h_box = x1 - x0, y1 - y0
    return Fragment(text, score, (x0 + left * w_box, y0 + top * h_box, x0 + right * w_box, y0 + bottom * h_box))


# full-width marks carry their own blank, and no space goes before punctuation or inside brackets
_BLANK_AFTER = set("，。、：；！？）」』”》(（")
_BLANK_BEFORE = set("，。、：；！？）」』”》（「『“《,.;:!?()")


def restore_spaces(text: str, columns: list[int], steps: float, crop: np.ndarray) -> str:
    """Put back the spaces drawn inside a line (手术室护士长 郁芳), which the recogniser drops.

    A blank run in the crop's ink wider than ~0.3 glyph heights lies between two characters
    whose CTC positions straddle it; CJK glyphs alone never leave such a blank.
    """
    if len(columns) != len(text) or len(text) < 2 or steps <= 0:
        return text
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    rows = np.flatnonzero(ink.sum(axis=1) >= max(1, 0.01 * ink.shape[1]))
    if len(rows) < 2:
        return text
    glyph = rows[-1] - rows[0] + 1
    inked = ink[rows[0]:rows[-1] + 1].sum(axis=0) > 0
    width = crop.shape[1]
    centres = [(c + 0.5) / steps * width for c in columns]
    runs: list[tuple[int, int]] = []  # blank stretches between inked columns
    x = 0
    while x < width:
        if inked[x]:
            x += 1
            continue
        start = x
        while x < width and not inked[x]:
            x += 1
        if start > 0 and x < width:
            runs.append((start, x))
    inserts: set[int] = set()
    for start, x in runs:
        if x - start < SPACE_WIDTH * glyph:
            continue
        middle = (start + x) / 2
        for i in range(len(text) - 1):
            if centres[i] < middle < centres[i + 1]:
                a, b = text[i], text[i + 1]
                if not (a.isspace() or b.isspace() or a in _BLANK_AFTER or b in _BLANK_BEFORE
                        or (a.isdigit() and b.isdigit())):
                    inserts.add(i + 1)
                break
    return "".join((" " if i in inserts else "") + ch for i, ch in enumerate(text))
