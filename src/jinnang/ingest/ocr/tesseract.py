"""Tesseract (chi_sim+eng, Debian packages) through pytesseract.

Tesseract gets an upright, deskewed page (OSD for quarter turns, projection
profile for small skew); its words are grouped into its own lines and then put
in reading order by the same layout code as the other engine.
"""
from __future__ import annotations

import logging
import os
import re

import cv2
import numpy as np

from jinnang.core.records import OcrLine
from jinnang.ingest.ocr.marks import apply_checkboxes, erase_rules, find_checkboxes, option_boxes, ruled_lines
from jinnang.ingest.ocr.reading_order import Fragment, reading_order, text_unit
from jinnang.ingest.ocr.skew import deskew_image, rotate_quarter, skew_from_projection

log = logging.getLogger(__name__)

LANGS = "chi_sim+eng"
PSM = 11  # sparse text: forms are cells and fields, not one uniform block
MIN_CONFIDENCE = 30  # tesseract's 0-100 word confidence; below it is mostly speckle
RULE_LENGTH = 1.8
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


class TesseractEngine:
    name = "tesseract"

    def __init__(self, langs: str = LANGS, psm: int = PSM):
        self.langs = langs
        self.psm = psm
        # OpenMP threads fight each other on a shared 2-core machine: one page took 6-8 s
        # instead of 1 s (and a noisy page minutes) without this
        os.environ["OMP_THREAD_LIMIT"] = "1"

    def load(self) -> None:
        import pytesseract

        pytesseract.get_tesseract_version()  # fails early when the binary is missing

    @staticmethod
    def _osd_turns(gray: np.ndarray) -> int | None:
        """Counter-clockwise quarter turns to upright per tesseract's OSD; None when it cannot tell."""
        import pytesseract

        try:
            osd = pytesseract.image_to_osd(gray, config="--psm 0", output_type=pytesseract.Output.DICT)
        except pytesseract.TesseractError:
            # the usual cause is too few characters: an expected answer, so not logged as an error
            log.debug("tesseract OSD cannot tell the page's orientation", exc_info=True)
            return None
        if float(osd.get("orientation_conf", 0)) < 1.0:
            return None
        return (-int(osd.get("rotate", 0)) // 90) % 4  # "rotate" is clockwise degrees to upright

    def _words(self, gray: np.ndarray) -> dict:
        import pytesseract

        page = erase_rules(gray)
        if _speckled(page):
            page = cv2.medianBlur(page, 3)  # tesseract reads dust as glyphs; on a clean page it only blurs
        return pytesseract.image_to_data(page, lang=self.langs, config=f"--psm {self.psm}",
                                         output_type=pytesseract.Output.DICT)

    def read(self, rgb: np.ndarray) -> list[OcrLine]:
        os.environ["OMP_THREAD_LIMIT"] = "1"
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        turns = self._osd_turns(gray)
        if turns is None:
            # OSD needs a fair amount of text: on a short page, lines run along the sharper
            # ink profile, and of the two ways up the one read with more confidence wins
            sideways = _profile_sharpness(gray.T) > _profile_sharpness(gray)
            candidates = []
            for turn in ((1, 3) if sideways else (0, 2)):
                upright = rotate_quarter(gray, turn)
                upright = deskew_image(upright, skew_from_projection(upright))
                data = self._words(upright)
                confs = [float(c) for c, t in zip(data["conf"], data["text"]) if t.strip()]
                candidates.append((sum(confs) / len(confs) if confs else -1.0, turn, upright, data))
            _, _, gray, data = max(candidates, key=lambda c: c[0])
        else:
            gray = rotate_quarter(gray, turns) if turns else gray
            gray = deskew_image(gray, skew_from_projection(gray))
            data = self._words(gray)
        lines: dict[tuple[int, int, int], list[int]] = {}
        for i, word in enumerate(data["text"]):
            if word.strip() and float(data["conf"][i]) >= MIN_CONFIDENCE:
                lines.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(i)
        fragments = []
        for words in lines.values():
            words.sort(key=lambda i: data["left"][i])
            text = ""
            for i in words:
                word = data["text"][i].strip()
                # tesseract splits Chinese into one "word" per glyph; Chinese is set without spaces,
                # also next to digits and punctuation, so only two Latin words get one between them
                if text and not (_CJK.match(text[-1]) or _CJK.match(word[0])):
                    text += " "
                text += word
            x0 = min(data["left"][i] for i in words)
            y0 = min(data["top"][i] for i in words)
            x1 = max(data["left"][i] + data["width"][i] for i in words)
            y1 = max(data["top"][i] + data["height"][i] for i in words)
            confidence = sum(float(data["conf"][i]) for i in words) / len(words) / 100
            fragments.append(Fragment(text, confidence, (x0, y0, x1, y1)))
        if not fragments:
            return []
        unit = text_unit(fragments)
        fragments = apply_checkboxes(fragments, option_boxes(find_checkboxes(gray, unit), unit), unit)
        return reading_order(fragments, *ruled_lines(gray, RULE_LENGTH * unit))


def _profile_sharpness(gray: np.ndarray) -> float:
    """How strongly ink rows alternate with blank rows (high when text lines run across)."""
    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA) if min(gray.shape) > 400 else gray
    ink = (small < 128).astype(np.float32)
    return float(np.square(np.diff(ink.sum(axis=1))).sum())


def _speckled(gray: np.ndarray) -> bool:
    """A scan sprinkled with dust: most of its ink blobs are a few pixels."""
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    specks = int((stats[1:, cv2.CC_STAT_AREA] <= 6).sum())
    return specks >= 500 and specks > 0.5 * (count - 1)
