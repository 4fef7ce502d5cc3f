"""When and where a phone photo was taken, from its EXIF: the evidence that a visit happened on site.

    photo_evidence(jpeg_bytes)
    # → PhotoEvidence(taken_at=datetime(2026, 3, 10, 15, 42, 7), latitude=29.0791, longitude=119.6474, …)

A photo without EXIF (a screenshot, a scan, a picture a messenger stripped) gives an empty
PhotoEvidence; a broken EXIF block is logged and read as none, never an upload refused for it.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import asdict, dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)

# EXIF tag numbers (the EXIF 2.3 standard)
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME, DATETIME_ORIGINAL, DATETIME_DIGITIZED = 0x0132, 0x9003, 0x9004
OFFSET_TIME_ORIGINAL = 0x9011
MAKE, MODEL = 0x010F, 0x0110
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4


@dataclass(frozen=True)
class PhotoEvidence:
    taken_at: dt.datetime | None = None  # the camera's wall-clock time (naive, as phones write it)
    utc_offset: str | None = None        # "+08:00" when the phone wrote one
    latitude: float | None = None
    longitude: float | None = None
    camera: str | None = None

    @property
    def empty(self) -> bool:
        return self.taken_at is None and self.latitude is None

    def as_meta(self) -> dict[str, Any]:
        """JSON-ready, only what was found (a document's meta)."""
        values = asdict(self)
        if self.taken_at is not None:
            values["taken_at"] = self.taken_at.isoformat(timespec="seconds")
        return {k: v for k, v in values.items() if v is not None}


def _exif_time(value: Any) -> dt.datetime | None:
    text = str(value or "").strip().rstrip("\x00")
    try:
        return dt.datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _degrees(value: Any, ref: Any) -> float | None:
    """(deg, min, sec) rationals and a N/S/E/W reference → signed decimal degrees."""
    try:
        deg, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    decimal = deg + minutes / 60 + seconds / 3600
    if str(ref or "").strip().upper() in ("S", "W"):
        decimal = -decimal
    return round(decimal, 6)


def photo_evidence(data: bytes) -> PhotoEvidence:
    """The time and place a photo was taken, as far as its EXIF says."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            sub = exif.get_ifd(EXIF_IFD)
            gps = exif.get_ifd(GPS_IFD)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return PhotoEvidence()
    except Exception:  # a malformed EXIF block must not refuse the photo
        log.exception("ignoring a photo's unreadable EXIF")
        return PhotoEvidence()
    taken = _exif_time(sub.get(DATETIME_ORIGINAL)) or _exif_time(sub.get(DATETIME_DIGITIZED)) \
        or _exif_time(exif.get(DATETIME))
    offset = str(sub.get(OFFSET_TIME_ORIGINAL) or "").strip().rstrip("\x00") or None
    lat = _degrees(gps.get(GPS_LAT), gps.get(GPS_LAT_REF)) if gps.get(GPS_LAT) else None
    lon = _degrees(gps.get(GPS_LON), gps.get(GPS_LON_REF)) if gps.get(GPS_LON) else None
    if lat is not None and not -90 <= lat <= 90 or lon is not None and not -180 <= lon <= 180:
        lat = lon = None
    camera = " ".join(str(exif.get(tag) or "").strip().rstrip("\x00") for tag in (MAKE, MODEL)).strip() or None
    return PhotoEvidence(taken_at=taken, utc_offset=offset, latitude=lat, longitude=lon, camera=camera)
