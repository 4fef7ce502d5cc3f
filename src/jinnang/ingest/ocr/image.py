"""One page image: opened safely within a pixel limit, then read by an engine."""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from jinnang.core.errors import InputError, TooLarge
from jinnang.core.records import OcrPage
from jinnang.core.settings import Settings
from jinnang.ingest.ocr.engines import OcrEngine, get_ocr_engine
from jinnang.ingest.ocr.marks import drop_red_ink
from jinnang.ingest.ocr.photo import prepare_photo

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"}
# the default of `settings.max_image_pixels`, for callers that have no settings to hand
DEFAULT_MAX_PIXELS: int = Settings.model_fields["max_image_pixels"].default


def _check_pixels(image: Image.Image, name: str, field: str, max_pixels: int) -> None:
    if image.width * image.height > max_pixels:
        raise TooLarge(field, f"image {name} is {image.width}×{image.height} pixels, too large to OCR safely "
                              f"(the limit is {max_pixels}, settings.max_image_pixels)")


def open_image(source: str | Path | Image.Image, field: str = "image", *,
               max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """An RGB Pillow image, upright per EXIF; bad files raise InputError(field), oversized ones TooLarge.

    The size is checked from the header before any pixel is decoded, so a decompression bomb
    costs nothing; Pillow's process-wide limit is left as it is.
    """
    if isinstance(source, Image.Image):
        image = source
        _check_pixels(image, "(in memory)", field, max_pixels)
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(field, f"image not found: {path}", path=field)
        try:
            image = Image.open(path)  # reads the header only
            try:
                _check_pixels(image, path.name, field, max_pixels)
                image.load()
            except BaseException:
                image.close()
                raise
        except Image.DecompressionBombError as exc:  # over twice Pillow's own limit, e.g. inside a TIFF
            raise TooLarge(field, f"image {path.name} is too large to OCR safely: {exc}") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise InputError(field, f"cannot read image {path.name}: {exc}") from None
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # broken EXIF must not stop OCR of a readable page
        log.exception("ignoring the broken EXIF orientation of %s",
                      "an in-memory image" if isinstance(source, Image.Image) else source)
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
              field: str = "image", *, max_pixels: int = DEFAULT_MAX_PIXELS) -> OcrPage:
    """OCR one image (a path or a Pillow image) into an OcrPage; a phone photo is straightened first."""
    ocr = engine if engine is not None and not isinstance(engine, str) else get_ocr_engine(engine)
    started = time.perf_counter()
    rgb = drop_red_ink(prepare_photo(np.asarray(open_image(image, field, max_pixels=max_pixels))))
    lines = ocr.read(rgb)
    return OcrPage(page=page, engine=ocr.name, lines=lines, seconds=round(time.perf_counter() - started, 3))
