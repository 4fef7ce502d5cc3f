"""The door check reads every byte of a phone photo but holds an eighth of its pixels in the web process."""
import io

import numpy as np
import pytest
from PIL import Image

from jinnang.core.errors import InputError
from jinnang.ingest.sniff import check_image_size

WIDTH, HEIGHT = 4032, 3024  # a 12-megapixel phone photo


def _jpeg(mode: str = "RGB", progressive: bool = False) -> bytes:
    rng = np.random.default_rng(5)
    shape = (HEIGHT, WIDTH) if mode == "L" else (HEIGHT, WIDTH, 3)
    image = Image.fromarray(rng.integers(60, 200, shape, dtype=np.uint8))
    if mode == "CMYK":
        image = image.convert("CMYK")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=50, progressive=progressive)
    return out.getvalue()


PHOTO = _jpeg()


def _blocks_allocated(data: bytes) -> int:
    before = Image.core.get_stats()["allocated_blocks"]
    check_image_size(data, max_pixels=60_000_000)
    return Image.core.get_stats()["allocated_blocks"] - before


def test_a_phone_photo_passes_the_door_holding_one_small_block_not_its_36_mb_of_pixels():
    assert WIDTH * HEIGHT * 3 > Image.core.get_block_size()  # a full decode would need several blocks
    assert _blocks_allocated(PHOTO) <= 1


@pytest.mark.parametrize("mode,progressive", [("L", False), ("CMYK", False), ("RGB", True)],
                         ids=["grey", "cmyk", "progressive"])
def test_grey_cmyk_and_progressive_jpegs_pass_the_door(mode, progressive):
    check_image_size(_jpeg(mode, progressive), max_pixels=60_000_000)


@pytest.mark.parametrize("share", [0.3, 0.9, 0.999])
def test_a_photo_cut_anywhere_is_still_refused_though_decoded_small(share):
    with pytest.raises(InputError) as refused:
        check_image_size(PHOTO[: int(len(PHOTO) * share)], max_pixels=60_000_000)
    assert refused.value.field == "file" and "truncated" in refused.value.message


def test_a_png_is_still_decoded_whole_and_a_cut_one_refused():
    rng = np.random.default_rng(6)
    out = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (600, 800, 3), dtype=np.uint8)).save(out, "PNG")
    check_image_size(out.getvalue(), max_pixels=60_000_000)
    with pytest.raises(InputError):
        check_image_size(out.getvalue()[: len(out.getvalue()) * 2 // 3], max_pixels=60_000_000)
