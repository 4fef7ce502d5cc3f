"""The OCR engines behind one small protocol, each created once per process."""
from __future__ import annotations

import threading
from typing import Protocol

import numpy as np

from jinnang.core.errors import InputError
from jinnang.core.records import OcrLine
from jinnang.core.settings import Settings

ENGINES = ("rapidocr", "tesseract")
# the default of `settings.ocr_engine`, for callers that have no settings to hand
DEFAULT_ENGINE: str = Settings.model_fields["ocr_engine"].default


class OcrEngine(Protocol):
    name: str

    def load(self) -> None:
        """Load models now (they otherwise load on the first page)."""

    def read(self, rgb: np.ndarray) -> list[OcrLine]:
        """Lines of one upright-or-not page (H×W×3 uint8 RGB) in reading order."""


_engines: dict[str, OcrEngine] = {}
_engines_lock = threading.Lock()


def get_ocr_engine(name: str | None = None) -> OcrEngine:
    """The named engine (pass `settings.ocr_engine`; None is DEFAULT_ENGINE), created once per process."""
    name = name or DEFAULT_ENGINE
    if name not in ENGINES:
        raise InputError("engine", f"unknown OCR engine {name!r}; choose one of {', '.join(ENGINES)}")
    with _engines_lock:
        if name not in _engines:
            if name == "rapidocr":
                from jinnang.ingest.ocr.rapid import RapidOcrEngine

                _engines[name] = RapidOcrEngine()
            else:
                from jinnang.ingest.ocr.tesseract import TesseractEngine

                _engines[name] = TesseractEngine()
        return _engines[name]
