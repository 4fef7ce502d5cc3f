"""Phone photos of a page: found on the desk, straightened, evenly lit and read upright.

The photographs are made here: a page rendered with Noto CJK, warped into a
perspective on a dark desk, shaded, blurred, with a thumb at its edge, and
saved as JPEG. Flatbed scans must pass through untouched.
"""
from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from jinnang.ingest.ocr import ocr_file, ocr_image
from jinnang.ingest.ocr.image import open_image
from jinnang.ingest.ocr.photo import find_page, prepare_photo

FONTS = Path("/usr/share/fonts/opentype/noto")
LINES = ["超声刀系统试用情况说明", "使用科室：普外科", "试用产品：超声切割止血刀", "试用时间：2026年5月6日至6月5日",
         "1. 止血效果可靠，术中出血明显减少。", "2. 刀头更换较慢，接台时间偏长。", "3. 希望厂家增加一次护士培训。",
         "科主任：俞海东", "日期：2026年6月8日"]


def _page() -> tuple[Image.Image, str]:
    path = FONTS / "NotoSansCJK-Regular.ttc"
    if not path.is_file():
        pytest.skip("Noto Sans CJK is not installed")
    font = ImageFont.truetype(str(path), 34)
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(LINES):
        draw.text((140, 160 + 80 * i), line, font=font, fill=0)
    return page, "\n".join(LINES)


def _photograph(page: Image.Image, seed: int = 3, size: tuple[int, int] = (2448, 3264)) -> tuple[Image.Image, np.ndarray]:
    """The page photographed on a dark desk: perspective, warm light falling off, a thumb, blur,
    noise and JPEG. Returns the photo and where the page's corners landed (TL TR BR BL)."""
    rng = np.random.default_rng(seed)
    w, h = page.size
    width, height = size
    corners = np.array([[0.12, 0.08], [0.88, 0.08], [0.88, 0.92], [0.12, 0.92]]) * [width, height]
    corners = (corners + rng.uniform(-0.06, 0.06, (4, 2)) * [width, height]).astype(np.float32)
    warp = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), corners)
    paper = cv2.warpPerspective(np.asarray(page.convert("RGB")), warp, size, flags=cv2.INTER_LINEAR)
    on_page = cv2.warpPerspective(np.full((h, w), 255, np.uint8), warp, size) > 0
    desk = np.full((height, width, 3), (70, 60, 50), np.float32) + rng.normal(0, 8, (height, width, 1))
    photo = np.where(on_page[..., None], paper.astype(np.float32), desk)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    fall_off = np.clip(np.hypot(xx - 0.3 * width, yy - 0.25 * height) / np.hypot(width, height) * 1.6, 0, 1)
    photo *= (1 - 0.6 * fall_off)[..., None] * np.array([1.0, 0.96, 0.88])
    thumb = (int(corners[3][0] + 40), int(corners[3][1] - 150))
    cv2.ellipse(photo, thumb, (70, 150), 20, 0, 360, (150, 110, 90), -1)
    photo = cv2.GaussianBlur(photo, (0, 0), 1.4) + rng.normal(0, 4, photo.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=85)
    return Image.open(io.BytesIO(buffer.getvalue())), corners


def _cer(text: str, gold: str) -> float:
    return Levenshtein.distance(text, gold) / len(gold)


def test_the_page_is_found_on_the_desk_at_its_corners():
    page, _ = _page()
    photo, corners = _photograph(page)
    found = find_page(np.asarray(photo.convert("L")))
    assert found is not None
    assert np.abs(found - corners).max() < 0.015 * max(photo.size)


def test_a_warped_shaded_photo_of_a_page_is_straightened_and_read(tmp_path):
    page, gold = _page()
    photo, _ = _photograph(page)
    path = tmp_path / "photo.jpg"
    photo.save(path, quality=90)
    photo_pixels = np.asarray(open_image(path))
    straightened = prepare_photo(photo_pixels)
    assert straightened.shape[0] > straightened.shape[1] and straightened.shape != photo_pixels.shape
    assert np.percentile(straightened, 5) > 235  # desk and fall-off of the light gone: the paper is white
    result = ocr_file(path)[0]
    assert _cer(result.text, gold) <= 0.03


def test_a_photo_turned_by_its_exif_orientation_is_read_upright(tmp_path):
    page, gold = _page()
    photo, _ = _photograph(page, seed=5, size=(1836, 2448))
    # the camera stored the pixels sideways and the tag says "turn 90° clockwise to view"
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "sideways.jpg"
    photo.transpose(Image.Transpose.ROTATE_90).save(path, quality=90, exif=exif.tobytes())
    assert Image.open(path).width > Image.open(path).height
    upright = open_image(path)
    assert upright.height > upright.width
    assert _cer(ocr_image(path, "rapidocr").text, gold) <= 0.03


@pytest.mark.parametrize("shade", [0.0, 0.25])
def test_a_flatbed_scan_is_left_untouched(shade):
    page, _ = _page()
    scan = np.asarray(page.convert("RGB")).astype(np.float32)
    # a scanner lid left ajar darkens one side a little (as the degraded dev scans do)
    scan *= np.linspace(1.0, 1.0 - shade, scan.shape[1], dtype=np.float32)[None, :, None]
    scan_u8 = np.ascontiguousarray(scan.astype(np.uint8))
    assert prepare_photo(scan_u8) is scan_u8


def test_a_page_filling_the_frame_is_not_cropped():
    page, _ = _page()
    assert find_page(np.asarray(page)) is None


def test_a_scan_with_a_dark_block_at_its_foot_is_not_cropped_to_the_white_part():
    page, _ = _page()
    scan = np.asarray(page.convert("RGB")).copy()
    scan[-500:, :] = 40  # a dark photograph printed across the bottom of the form
    assert find_page(cv2.cvtColor(scan, cv2.COLOR_RGB2GRAY)) is None
    assert prepare_photo(scan) is scan


def test_a_close_up_photo_without_desk_is_evenly_lit_and_read():
    page, gold = _page()
    top = np.asarray(page.convert("RGB"))[:1000].astype(np.float32)
    height, width = top.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    # light from the top left corner, the far side in the shadow of the phone
    top *= (1 - 0.55 * np.clip(np.hypot(xx, yy) / np.hypot(width, height), 0, 1))[..., None]
    photo = np.ascontiguousarray(cv2.GaussianBlur(top, (0, 0), 1.0).astype(np.uint8))
    evened = prepare_photo(photo)
    assert evened is not photo and np.percentile(evened, 10) > 230
    assert _cer(ocr_image(Image.fromarray(photo), "rapidocr").text, gold) <= 0.03
