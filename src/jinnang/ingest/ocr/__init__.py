"""OCR of scanned forms and PDFs into `jinnang.records.OcrPage`.

Two engines sit behind one small protocol (`engines`): RapidOCR (PP-OCR models
inside the wheel, the default) and tesseract (chi_sim+eng). Both load lazily,
once per process. Phone photos are found on the desk, straightened and
evenly lit in `photo` (scans pass untouched); orientation and skew are handled
in `skew`, the order of lines in `reading_order` (side-by-side text columns in
`columns`), ruled lines, check boxes, round option marks and stamps in `marks`.

Nothing here reads the global settings: callers hand over the engine name and
the pixel limit (`settings.ocr_engine`, `settings.max_image_pixels`).
"""
from __future__ import annotations

from pathlib import Path

from jinnang.core.errors import InputError
from jinnang.core.records import OcrPage
from jinnang.ingest.ocr.engines import DEFAULT_ENGINE, ENGINES, OcrEngine, get_ocr_engine
from jinnang.ingest.ocr.image import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, ocr_image, open_image
from jinnang.ingest.ocr.pdf import ocr_pdf


def ocr_file(path: str | Path, engine: str | OcrEngine | None = None, field: str = "image", *,
             max_pixels: int = DEFAULT_MAX_PIXELS) -> list[OcrPage]:
    """OCR an image or a PDF; a PDF page's own text layer is used when it has a usable one."""
    path = Path(path)
    if not path.is_file():
        raise InputError(field, f"file not found: {path}", path=field)
    with path.open("rb") as head:
        is_pdf = head.read(5) == b"%PDF-"
    if path.suffix.lower() == ".pdf" or is_pdf:
        return ocr_pdf(path, engine, field, max_pixels=max_pixels)
    return [ocr_image(path, engine, field=field, max_pixels=max_pixels)]


__all__ = ["DEFAULT_ENGINE", "DEFAULT_MAX_PIXELS", "ENGINES", "IMAGE_SUFFIXES", "OcrEngine", "get_ocr_engine",
           "ocr_file", "ocr_image", "open_image"]
