"""OCR: turn a page image into text lines with boxes, in reading order.

Importing this package is cheap: the ML runtime is imported only when `get_engine()`
builds an engine for the first time.
"""

from docscan.ocr.engine import OcrEngine, get_engine

__all__ = ["OcrEngine", "get_engine"]
