"""OCR of scanned forms and PDFs into `jinnang.records.OcrPage`.

Two engines sit behind one small protocol: RapidOCR (PP-OCR models inside the
wheel, the default) and tesseract (chi_sim+eng). Both load lazily, once per
process. Orientation, skew and reading order are handled in `layout`.
"""
from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from jinnang.core.errors import InputError
from jinnang.core.records import OcrLine, OcrPage
from jinnang.core.settings import get_settings
from jinnang.ingest.ocr.layout import drop_red_ink

ENGINES = ("rapidocr", "tesseract")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"}


class OcrEngine(Protocol):
    name: str

    def load(self) -> None:
        """Load models now (they otherwise load on the first page)."""

    def read(self, rgb: np.ndarray) -> list[OcrLine]:
        """Lines of one upright-or-not page (H×W×3 uint8 RGB) in reading order."""


_engines: dict[str, OcrEngine] = {}
_engines_lock = threading.Lock()


def get_ocr_engine(name: str | None = None) -> OcrEngine:
    """The named engine (default: settings.ocr_engine), created once per process."""
    name = name or get_settings().ocr_engine
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


def _pixel_limit() -> int:
    return get_settings().max_image_pixels


def open_image(source: str | Path | Image.Image, field: str = "image") -> Image.Image:
    """An RGB Pillow image, upright per EXIF; bad or oversized files raise InputError(field)."""
    if isinstance(source, Image.Image):
        image = source
        if image.width * image.height > _pixel_limit():
            raise InputError(field, f"image is {image.width}×{image.height} pixels, over the limit of "
                                    f"{_pixel_limit()} (settings.max_image_pixels)")
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(field, f"image not found: {path}", path=field)
        Image.MAX_IMAGE_PIXELS = _pixel_limit()
        try:
            with warnings.catch_warnings():
                # Pillow only warns between 1× and 2× the limit; an oversized page is refused either way
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(path)
                image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise InputError(field, f"image {path.name} is too large to OCR safely "
                                    f"(over {_pixel_limit()} pixels, settings.max_image_pixels): {exc}") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise InputError(field, f"cannot read image {path.name}: {exc}") from None
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # broken EXIF must not stop OCR of a readable page
        pass
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    if image.mode in ("RGBA", "LA", "P"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.split()[-1])
        return background
    if image.mode == "I;16" or image.mode == "I":
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def ocr_image(image: str | Path | Image.Image, engine: str | OcrEngine | None = None, page: int = 1,
              field: str = "image") -> OcrPage:
    """OCR one image (a path or a Pillow image) into an OcrPage."""
    ocr = engine if engine is not None and not isinstance(engine, str) else get_ocr_engine(engine)
    rgb = drop_red_ink(np.asarray(open_image(image, field)))
    started = time.perf_counter()
    lines = ocr.read(rgb)
    return OcrPage(page=page, engine=ocr.name, lines=lines, seconds=round(time.perf_counter() - started, 3))


def ocr_file(path: str | Path, engine: str | OcrEngine | None = None, field: str = "image") -> list[OcrPage]:
    """OCR an image or a PDF; a PDF page's own text layer is used when it has a usable one."""
    path = Path(path)
    if not path.is_file():
        raise InputError(field, f"file not found: {path}", path=field)
    if path.suffix.lower() == ".pdf" or path.read_bytes()[:5] == b"%PDF-":
        from jinnang.ingest.ocr.pdf import ocr_pdf

        return ocr_pdf(path, engine, field)
    return [ocr_image(path, engine, field=field)]


__all__ = ["ENGINES", "OcrEngine", "get_ocr_engine", "ocr_file", "ocr_image", "open_image"]
