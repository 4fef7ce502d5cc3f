"""The OCR-by-layout sets (eval/data/ocr_layouts/{tune,holdout}) stay loadable and complete.

Cheap checks only, no OCR: `jinnang eval ocr` reports CER per layout kind from these manifests,
so a page with a missing image, a duplicate id or an unknown kind would skew or break the figures.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from jinnang.eval.ocr import read_manifest

SETS = Path(__file__).resolve().parents[2] / "eval" / "data" / "ocr_layouts"
KINDS = {"single_column", "two_columns", "table", "checkboxes", "photo"}


@pytest.fixture(scope="module", params=["tune", "holdout"])
def layout_set(request) -> tuple[Path, list[dict]]:
    folder = SETS / request.param
    return folder, read_manifest(folder)


def test_every_page_has_a_unique_id_an_image_and_drawn_text(layout_set):
    folder, rows = layout_set
    assert len({row["id"] for row in rows}) == len(rows) >= 15
    for row in rows:
        assert (folder / row["image"]).is_file(), row["image"]
        assert row["text"].strip() and "\n" in row["text"], row["id"]
        assert row["kind"] == "trial_feedback"
        date.fromisoformat(row["reference_date"])


def test_every_layout_kind_is_present_and_no_other(layout_set):
    _, rows = layout_set
    assert {row["subset"] for row in rows} == KINDS


def test_scans_are_png_and_photos_jpeg_that_stand_upright_after_exif(layout_set):
    folder, rows = layout_set
    for row in rows:
        with Image.open(folder / row["image"]) as image:
            assert image.format == ("JPEG" if row["subset"] == "photo" else "PNG"), row["id"]
            upright = ImageOps.exif_transpose(image)
            assert upright.height > upright.width, f"{row['id']} is not a portrait page once EXIF is applied"


def test_some_photos_are_stored_sideways_with_an_exif_orientation(layout_set):
    folder, rows = layout_set
    tags = [Image.open(folder / row["image"]).getexif().get(0x0112) for row in rows if row["subset"] == "photo"]
    assert 6 in tags and len(tags) >= 5


def test_tune_and_holdout_are_different_forms():
    tune, holdout = (read_manifest(SETS / name) for name in ("tune", "holdout"))
    assert not {r["id"] for r in tune} & {r["id"] for r in holdout}
    assert not {r["text"] for r in tune} & {r["text"] for r in holdout}
    # sentences (not form labels) come from disjoint pools, so no long line is shared
    long_lines = [{line for r in rows for line in r["text"].split("\n") if len(line) >= 16} for rows in (tune, holdout)]
    assert not long_lines[0] & long_lines[1]


def test_the_sets_stay_small_enough_to_keep_in_the_repository():
    assert sum(p.stat().st_size for p in SETS.rglob("*") if p.is_file()) < 12 * 1024 * 1024
