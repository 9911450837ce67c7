"""PDF output and input: searchable and text-only PDFs, page text, data URLs."""

from .dataurl import decode_data_url
from .reader import extract_pages_text, is_pdf
from .writer import PdfPage, render_text_pdf_bytes, write_searchable_pdf, write_text_pdf

__all__ = [
    "PdfPage",
    "decode_data_url",
    "extract_pages_text",
    "is_pdf",
    "render_text_pdf_bytes",
    "write_searchable_pdf",
    "write_text_pdf",
]
