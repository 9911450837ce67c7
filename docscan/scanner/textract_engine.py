"""The AWS OCR engine: Amazon Textract DetectDocumentText (synchronous).

Textract gives every LINE block a Polygon and a BoundingBox as fractions of the page and
a confidence in percent; docscan keeps pixel boxes in the coordinates of the stored
image and a confidence in 0..1. Textract reads rotated text in place, so the boxes are
on the image as stored and `rotation` is always 0.

Throttling and server errors are retried by botocore (give the client a `Config` with
retries, see `textract_client_config`); what still fails is raised as a `BackendError`,
so the caller can retry later (the OCR Lambda leaves the message to SQS). A page that
Textract refuses for good (not a readable image, too large) raises `OcrError`, which the
scanner service records on the page as `failed`.
"""

from __future__ import annotations

import io
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image

from docscan.errors import BackendError, OcrError
from docscan.models import Box, Line, OcrResult

MAX_BYTES = 10 * 1024 * 1024  # synchronous Textract: 10 MB per document
MAX_SIDE = 10_000  # and 10,000 px per side

# Errors that the same request will meet again: the page is failed, not retried.
PERMANENT_ERRORS = frozenset(
    {
        "InvalidParameterException",
        "UnsupportedDocumentException",
        "BadDocumentException",
        "DocumentTooLargeException",
        "InvalidS3ObjectException",
    }
)


def textract_client_config(max_attempts: int = 8, mode: str = "standard") -> Config:
    """Client settings: botocore's retry with exponential backoff and jitter, giving up
    after `max_attempts` calls in all.

    "standard" retries throttling (ThrottlingException, ProvisionedThroughputExceeded,
    LimitExceeded) and 5xx errors; "adaptive" adds client-side rate limiting on top.
    """
    # total_max_attempts counts the first call too (max_attempts would count retries only).
    return Config(retries={"total_max_attempts": max_attempts, "mode": mode})


class TextractEngine:
    """`OcrEngine` on Textract.

    With `bucket` and `key`, Textract reads the page straight from S3 (the image passed
    to `recognize` only gives the page size); otherwise the image is sent as PNG bytes.
    """

    name = "textract"

    def __init__(self, client: Any, bucket: str | None = None, key: str | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key

    def recognize(self, image: Image.Image) -> OcrResult:
        width, height = image.size
        if max(width, height) > MAX_SIDE:
            raise OcrError(
                f"the page is {width}x{height} px; Textract reads at most {MAX_SIDE} px per side"
            )
        if self.bucket and self.key:
            document: dict[str, Any] = {"S3Object": {"Bucket": self.bucket, "Name": self.key}}
        else:
            document = {"Bytes": _png_bytes(image)}
        try:
            response = self.client.detect_document_text(Document=document)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", "Unknown"), error.get("Message", "")
            if code in PERMANENT_ERRORS:
                raise OcrError(f"Textract refused the page: {code}: {message}") from None
            raise BackendError(f"Textract failed: {code}: {message}") from exc
        except BotoCoreError as exc:
            raise BackendError(f"Textract could not be reached: {exc}") from exc
        return OcrResult(lines=lines_from_blocks(response.get("Blocks", []), width, height))


def lines_from_blocks(blocks: list[dict[str, Any]], width: int, height: int) -> list[Line]:
    """Textract LINE blocks, in the order Textract returns them, as pixel-box `Line`s."""
    lines = []
    for block in blocks:
        if block.get("BlockType") != "LINE":
            continue
        lines.append(
            Line(
                text=str(block.get("Text", "")),
                box=_box(block.get("Geometry", {}), width, height),
                confidence=min(1.0, max(0.0, float(block.get("Confidence", 0.0)) / 100.0)),
            )
        )
    return lines


def _box(geometry: dict[str, Any], width: int, height: int) -> Box:
    polygon = geometry.get("Polygon") or []
    if len(polygon) == 4:
        points = [(float(p["X"]), float(p["Y"])) for p in polygon]
    else:
        bb = geometry.get("BoundingBox") or {}
        left, top = float(bb.get("Left", 0.0)), float(bb.get("Top", 0.0))
        right, bottom = left + float(bb.get("Width", 0.0)), top + float(bb.get("Height", 0.0))
        points = [(left, top), (right, top), (right, bottom), (left, bottom)]
    tl, tr, br, bl = (
        (round(_clamp(x) * width, 1), round(_clamp(y) * height, 1)) for x, y in points
    )
    return (tl, tr, br, bl)


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    data = buffer.getvalue()
    if len(data) > MAX_BYTES:
        raise OcrError(f"the page is {len(data) / 1e6:.1f} MB as PNG; Textract reads at most 10 MB")
    return data


__all__ = ["TextractEngine", "lines_from_blocks", "textract_client_config"]
