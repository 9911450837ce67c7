"""The OCR engine protocol and the process-wide engine cache."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from docscan.errors import OcrError

if TYPE_CHECKING:
    from PIL import Image

    from docscan.models import OcrResult

DEFAULT_ENGINE = "rapidocr"


class OcrEngine(Protocol):
    """Reads one page image.

    `recognize` takes an image in any Pillow mode and returns its lines in reading order,
    with boxes in the coordinates of the upright page (see `OcrResult.rotation`). It raises
    `OcrError` when the page cannot be read.
    """

    name: str

    def recognize(self, image: Image.Image) -> OcrResult: ...


_engines: dict[str, OcrEngine] = {}
_lock = threading.Lock()


def get_engine(name: str = DEFAULT_ENGINE) -> OcrEngine:
    """The engine called `name`, built on first use and then shared by the whole process.

    Loading models takes about a second and a few hundred MB, so it happens once.
    """
    engine = _engines.get(name)
    if engine is not None:
        return engine
    with _lock:
        engine = _engines.get(name)
        if engine is None:
            engine = _build(name)
            _engines[name] = engine
        return engine


def _build(name: str) -> OcrEngine:
    if name == "rapidocr":
        from docscan.ocr.rapid import RapidOcrEngine

        return RapidOcrEngine()
    raise OcrError(f"unknown OCR engine {name!r}; available: rapidocr")
