"""A deterministic engine without any model, for tests of the code around OCR."""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import TYPE_CHECKING

from docscan.errors import OcrError
from docscan.models import Line, OcrResult

if TYPE_CHECKING:
    from PIL import Image


class FixedEngine:
    """Returns whatever `lines_for(image)` gives, instantly.

    `fail_on`: image sizes `(width, height)` on which `recognize` raises `OcrError`, or a
    predicate on the image. `rotation` is reported as is in every result. `calls` counts
    the calls to `recognize`.
    """

    name = "fixed"

    def __init__(
        self,
        lines_for: Callable[[Image.Image], list[Line]],
        *,
        fail_on: Container[tuple[int, int]] | Callable[[Image.Image], bool] = (),
        rotation: int = 0,
    ) -> None:
        self.lines_for = lines_for
        self.fail_on = fail_on
        self.rotation = rotation
        self.calls = 0

    def recognize(self, image: Image.Image) -> OcrResult:
        self.calls += 1
        failing = (
            self.fail_on(image) if callable(self.fail_on) else tuple(image.size) in self.fail_on
        )
        if failing:
            raise OcrError(f"OCR failed on a {image.width}x{image.height} page")
        return OcrResult(lines=list(self.lines_for(image)), rotation=self.rotation)
