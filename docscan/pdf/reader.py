"""Reading PDFs: what is a PDF, and the text of each page."""

from __future__ import annotations

import io
from pathlib import Path

from docscan.errors import BadInputError, NotFoundError

PDF_MAGIC = b"%PDF-"


def is_pdf(data: bytes | bytearray | memoryview) -> bool:
    """Whether `data` starts like a PDF file (`%PDF-`)."""
    return bytes(data[: len(PDF_MAGIC)]) == PDF_MAGIC


def extract_pages_text(pdf: bytes | Path) -> list[str]:
    """The text of each page, in page order, as pypdf extracts it.

    Each page's text is normalized to the format the backend stores: lines without
    trailing blanks, joined with '\\n', the whole ending with '\\n' unless it is empty
    (blank lines at the start and end are dropped, those in between kept).
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if isinstance(pdf, (str, Path)):
        try:
            data = Path(pdf).read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"PDF not found: {pdf}") from exc
        except OSError as exc:
            raise BadInputError(f"cannot read {pdf}: {exc.strerror or exc}") from exc
        name = str(pdf)
    else:
        data, name = bytes(pdf), "the PDF"
    if PDF_MAGIC not in data[:1024]:  # readers accept a header anywhere in the first 1 KiB
        raise BadInputError(f"{name} is not a PDF")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise BadInputError(f"{name} is password-protected")
        return [normalize_page_text(page.extract_text()) for page in reader.pages]
    except BadInputError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise BadInputError(f"{name} is damaged or unsupported: {exc}") from exc


def normalize_page_text(text: str) -> str:
    """Lines without trailing blanks, blank lines trimmed at both ends, '\\n' after each."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "".join(line + "\n" for line in lines)
