"""PDF pages: the text layer when it is usable, else the rasterised page through OCR."""
from __future__ import annotations

from pathlib import Path

from jinnang.core.errors import InputError
from jinnang.core.records import OcrLine, OcrPage
from jinnang.ingest.ocr.engines import OcrEngine
from jinnang.ingest.ocr.image import ocr_image

RENDER_DPI = 200  # what the OCR engines are tuned on (A4 → 1654×2339)
MIN_TEXT_CHARS = 20  # fewer letters than this on a page: a scan with a stray caption, OCR it


def usable_text(text: str) -> bool:
    """A text layer worth trusting: enough letters and little mojibake."""
    letters = [c for c in text if c.isalnum()]
    if len(letters) < MIN_TEXT_CHARS:
        return False
    broken = sum(1 for c in text if c == "\ufffd" or ("\ue000" <= c <= "\uf8ff"))
    return broken <= 0.05 * len(letters)


def ocr_pdf(path: Path, engine: str | OcrEngine | None, field: str = "image", *, max_pixels: int) -> list[OcrPage]:
    """Each page's text layer when usable, else the page rendered (within `max_pixels`) and OCR'd."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise InputError(field, f"cannot read PDF {path.name}: {exc}") from None
    pages: list[OcrPage] = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            text = textpage.get_text_bounded().replace("\r\n", "\n").replace("\r", "\n")
            textpage.close()
            if usable_text(text):
                lines = [OcrLine(text=line.strip(), confidence=1.0) for line in text.split("\n") if line.strip()]
                pages.append(OcrPage(page=index + 1, engine="pdf-text", lines=lines))
                continue
            width, height = page.get_size()
            scale = RENDER_DPI / 72
            if width * scale * height * scale > max_pixels:
                scale = (max_pixels / (width * height)) ** 0.5 * 0.99  # a huge page is rendered smaller, not refused
            image = page.render(scale=scale).to_pil()
            pages.append(ocr_image(image, engine, page=index + 1, field=field, max_pixels=max_pixels))
    finally:
        pdf.close()
    return pages
