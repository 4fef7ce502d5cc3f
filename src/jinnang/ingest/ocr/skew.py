"""Page geometry before reading: skew angle, deskewing and quarter turns."""
from __future__ import annotations

import math

import cv2
import numpy as np


def skew_from_quads(quads: list[np.ndarray]) -> float:
    """Page skew in degrees (counter-clockwise positive, image y down) from text-line quads.

    Uses the top edge of lines clearly wider than tall: their angle is the text baseline's.
    """
    angles: list[float] = []
    weights: list[float] = []
    for quad in quads:
        (x0, y0), (x1, y1) = quad[0], quad[1]
        width = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(*(quad[3] - quad[0]))
        if width < 3 * height or width < 40:
            continue  # short boxes give noisy angles
        angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
        if abs(angle) > 15:
            continue
        angles.append(angle)
        weights.append(width)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cumulative = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def rotate_points(points: np.ndarray, degrees: float, center: tuple[float, float]) -> np.ndarray:
    """Rotate points by -degrees about center: undoes a page skew of `degrees`."""
    theta = math.radians(-degrees)
    cos, sin = math.cos(theta), math.sin(theta)
    cx, cy = center
    shifted = points - np.array([cx, cy])
    rotated = np.stack([shifted[..., 0] * cos - shifted[..., 1] * sin,
                        shifted[..., 0] * sin + shifted[..., 1] * cos], axis=-1)
    return rotated + np.array([cx, cy])


def deskew_image(gray: np.ndarray, degrees: float) -> np.ndarray:
    """The page rotated so that text lines are horizontal (white fill at the corners)."""
    if abs(degrees) < 0.1:
        return gray
    h, w = gray.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def skew_from_projection(gray: np.ndarray, max_degrees: float = 5.0, step: float = 0.1) -> float:
    """Page skew by the angle that makes row ink profiles sharpest (for engines without boxes)."""
    scale = 800 / max(gray.shape[:2])
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    ink = cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15).astype(np.float32)
    h, w = ink.shape
    best, best_score = 0.0, -1.0
    for degrees in np.arange(-max_degrees, max_degrees + step / 2, step):
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), float(degrees), 1.0)
        rotated = cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        profile = rotated.sum(axis=1)
        score = float(np.square(np.diff(profile)).sum())
        if score > best_score:
            best, best_score = float(degrees), score
    return best


def rotate_quarter(image: np.ndarray, quarters: int) -> np.ndarray:
    """Rotate by quarters × 90° counter-clockwise."""
    return np.ascontiguousarray(np.rot90(image, quarters % 4))
