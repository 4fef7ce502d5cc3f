"""A phone photo's EXIF time and GPS place, read as the visit's evidence; photos without them read as none."""
from __future__ import annotations

import datetime as dt
import io

from PIL import Image

from jinnang.ingest.exif import photo_evidence


def _jpeg(taken: str | None = "2026:03:10 15:42:07", lat=("N", (29.0, 4.0, 44.76)), lon=("E", (119.0, 38.0, 50.64)),
          offset: str | None = "+08:00") -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "HUAWEI", "P60"
    sub = exif.get_ifd(0x8769)
    if taken:
        sub[0x9003] = taken
    if offset:
        sub[0x9011] = offset
    gps = exif.get_ifd(0x8825)
    if lat:
        gps[1], gps[2] = lat
    if lon:
        gps[3], gps[4] = lon
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_time_place_and_camera_of_a_phone_photo():
    found = photo_evidence(_jpeg())
    assert found.taken_at == dt.datetime(2026, 3, 10, 15, 42, 7)
    assert found.utc_offset == "+08:00"
    assert abs(found.latitude - (29 + 4 / 60 + 44.76 / 3600)) < 1e-5
    assert abs(found.longitude - (119 + 38 / 60 + 50.64 / 3600)) < 1e-5
    assert found.camera == "HUAWEI P60"
    assert found.as_meta()["taken_at"] == "2026-03-10T15:42:07"


def test_southern_and_western_places_are_negative():
    found = photo_evidence(_jpeg(lat=("S", (33.0, 52.0, 0.0)), lon=("W", (70.0, 30.0, 0.0))))
    assert found.latitude < 0 and found.longitude < 0


def test_a_photo_without_exif_or_with_a_broken_time_gives_nothing():
    plain = io.BytesIO()
    Image.new("RGB", (32, 32), "white").save(plain, "PNG")
    assert photo_evidence(plain.getvalue()).empty
    assert photo_evidence(plain.getvalue()).as_meta() == {}
    broken = photo_evidence(_jpeg(taken="not a time", lat=None, lon=None, offset=None))
    assert broken.taken_at is None and broken.latitude is None
    assert photo_evidence(b"not an image at all").empty
