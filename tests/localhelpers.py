"""Helpers for local-profile tests: page images and a deterministic OCR engine."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from docscan.errors import OcrError
from docscan.models import Line, OcrResult


def make_page(path: Path, width: int, fmt: str | None = None, height: int = 400) -> Path:
    """A blank page whose width identifies it (the test engine reads it back)."""
    Image.new("RGB", (width, height), "white").save(path, format=fmt)
    return path


def text_for(width: int) -> str:
    return f"Page of width {width} “quoted” — Straße"


class WidthEngine:
    """Reads a line whose text names the page width; fails on widths in `fail`."""

    name = "width"

    def __init__(self, fail: set[int] | None = None) -> None:
        self.fail = fail or set()
        self.calls = 0

    def recognize(self, image: Image.Image) -> OcrResult:
        self.calls += 1
        width = image.size[0]
        if width in self.fail:
            raise OcrError(f"engine failed on a page {width} wide")
        box = ((10.0, 10.0), (width - 10.0, 10.0), (width - 10.0, 40.0), (10.0, 40.0))
        return OcrResult([Line(text_for(width), box, 0.97)])
