"""Tesseract (chi_sim+eng, Debian packages) through pytesseract.

Tesseract gets an upright, deskewed page (OSD for quarter turns, projection
profile for small skew); its words are grouped into its own lines and then put
in reading order by the same layout code as the other engine.
"""
from __future__ import annotations

import os
import re

import cv2
import numpy as np

from ingest.ocr.layout import (
    Fragment,
    apply_checkboxes,
    deskew_image,
    erase_rules,
    find_checkboxes,
    option_boxes,
    reading_order,
    rotate_quarter,
    skew_from_projection,
    text_unit,
    ruled_lines,
)
from jinnang.records import OcrLine

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
    def _quarter_turns(gray: np.ndarray) -> int:
        import pytesseract

        try:
            osd = pytesseract.image_to_osd(gray, config="--psm 0", output_type=pytesseract.Output.DICT)
        except pytesseract.TesseractError:
            return 0  # too little text to tell: leave the page as it is
        if float(osd.get("orientation_conf", 0)) < 1.0:
            return 0
        return (-int(osd.get("rotate", 0)) // 90) % 4  # "rotate" is clockwise degrees to upright

    def read(self, rgb: np.ndarray) -> list[OcrLine]:
        import pytesseract

        os.environ["OMP_THREAD_LIMIT"] = "1"
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        turns = self._quarter_turns(gray)
        if turns:
            gray = rotate_quarter(gray, turns)
        gray = deskew_image(gray, skew_from_projection(gray))
        data = pytesseract.image_to_data(erase_rules(gray), lang=self.langs, config=f"--psm {self.psm}",
                                         output_type=pytesseract.Output.DICT)
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
