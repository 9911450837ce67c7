"""Plain data shared by every layer: projects, pages and OCR lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

Point = tuple[float, float]
Box = tuple[Point, Point, Point, Point]  # clockwise from top-left, in page-image pixels


class PageStatus(StrEnum):
    PENDING = "pending"  # stored, OCR not finished yet
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Line:
    text: str
    box: Box
    confidence: float

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "box": [list(p) for p in self.box],
            "confidence": round(self.confidence, 4),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Line:
        box = tuple((float(x), float(y)) for x, y in data["box"])
        return cls(text=str(data["text"]), box=box, confidence=float(data["confidence"]))  # type: ignore[arg-type]


@dataclass
class Page:
    project: str
    number: int
    status: PageStatus
    lines: list[Line] = field(default_factory=list)
    width: int = 0
    height: int = 0
    error: str | None = None
    # Text as the backend stores it; derived from lines when we have them.
    stored_text: str | None = None

    @property
    def text(self) -> str:
        """Every line followed by a newline, the format the AWS backend stores."""
        if self.lines:
            return "".join(line.text + "\n" for line in self.lines)
        return self.stored_text or ""

    def to_dict(self) -> dict[str, object]:
        return {
            "project": self.project,
            "page": self.number,
            "status": str(self.status),
            "text": self.text,
            "width": self.width,
            "height": self.height,
            "error": self.error,
            "lines": [line.to_dict() for line in self.lines],
        }


@dataclass
class Project:
    name: str
    created_ms: int | None = None  # epoch milliseconds, as the AWS backend stores it
    page_count: int | None = None
    pages_pending: int | None = None
    pages_failed: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "created_ms": self.created_ms,
            "page_count": self.page_count,
            "pages_pending": self.pages_pending,
            "pages_failed": self.pages_failed,
        }


@dataclass(frozen=True)
class OcrResult:
    """What an OCR engine returns for one page.

    `rotation` is the angle in degrees (0, 90, 180 or 270), counter-clockwise as
    `PIL.Image.rotate(rotation, expand=True)` takes it, that turns the input image
    upright; line boxes are in the coordinates of that upright image.
    """

    lines: list[Line]
    rotation: int = 0


def page_ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5', for messages about many pages."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)
