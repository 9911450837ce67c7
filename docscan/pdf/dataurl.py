"""The base64 `data:` URL in which the published backend returns a PDF."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote_to_bytes

from docscan.errors import BackendError, DocscanError

from .reader import is_pdf

_ACCEPTED_TYPES = {"", "application/pdf", "application/x-pdf", "application/octet-stream"}
_WHITESPACE = re.compile(rb"\s+")


def decode_data_url(url: str, *, error: type[DocscanError] = BackendError) -> bytes:
    """The PDF in a `data:application/pdf;base64,...` URL.

    Raises `error` (BackendError by default: the URL comes from the backend; pass
    BadInputError for a URL the user gave) if the URL is malformed or does not hold a PDF.
    Percent-encoded (non-base64) data URLs are accepted too.
    """
    if not isinstance(url, str):
        raise error(f"expected a data: URL, got {type(url).__name__}")
    head, comma, payload = url.strip().partition(",")
    if head[:5].lower() != "data:" or not comma:
        raise error(f"not a data: URL: {_preview(url)}")
    params = [part.strip() for part in head[5:].split(";")]
    media_type = params[0].lower()
    is_base64 = any(part.lower() == "base64" for part in params[1:])
    if media_type not in _ACCEPTED_TYPES:
        raise error(f"expected a PDF data: URL, got media type {media_type}")
    if is_base64:
        raw = _WHITESPACE.sub(b"", payload.encode("ascii", "replace"))
        if b"-" in raw or b"_" in raw:  # URL-safe alphabet
            raw = raw.translate(bytes.maketrans(b"-_", b"+/"))
        raw += b"=" * (-len(raw) % 4)
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise error(f"PDF data: URL has invalid base64 data ({exc})") from exc
    else:
        data = unquote_to_bytes(payload)
    if not data:
        raise error("PDF data: URL is empty")
    if not is_pdf(data):
        raise error(f"data: URL does not hold a PDF (it starts with {data[:8]!r})")
    return data


def _preview(text: str, limit: int = 40) -> str:
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")
