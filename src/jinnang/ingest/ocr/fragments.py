"""A recognised string with its box: what engines hand to reading order."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Fragment:
    text: str
    confidence: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in upright deskewed page pixels
    parts: int = field(default=1)

    @property
    def height(self) -> float:
        return max(1.0, self.box[3] - self.box[1])

    @property
    def width(self) -> float:
        return max(0.0, self.box[2] - self.box[0])
