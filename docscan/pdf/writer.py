"""Searchable and text-only PDFs, written a few pages at a time.

Pages are rendered with fpdf2 in small chunks (up to `SEARCHABLE_PAGES_PER_PART` pages or
`PART_IMAGE_BYTES` of images for searchable PDFs, `TEXT_PAGES_PER_PART` for text-only
ones), each chunk with its own font subset; page images are attached as stored with
pikepdf, and each chunk is written to a part file that `_assemble` concatenates with
qpdf. Memory stays about flat whatever the page count.
"""

from __future__ import annotations

import gc
import io
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.enums import TextMode
from fpdf.fonts import TTFFont

from docscan.errors import BadInputError
from docscan.models import Box, Line

from ._assemble import PartAssembler, assemble_bytes, retag_subsets, write_atomically
from ._fonts import FONT_FAMILY, font_file
from .images import PageImage, image_xobject, load_page_image

if TYPE_CHECKING:
    import pikepdf

log = logging.getLogger(__name__)

TEXT_FONT_SIZE = 11.0  # pt, text-only pages before shrinking to fit
LINE_SPACING = 1.25  # line height / font size on text-only pages
MIN_FONT_SIZE = 0.5  # pt, we stop shrinking here
DEFAULT_PAGE_SIZE = (595.28, 841.89)  # A4 in pt, for a text page of unknown size
TEXT_PAGES_PER_PART = 100  # text-only pages per fpdf2 document (one font subset each)
SEARCHABLE_PAGES_PER_PART = 20  # searchable pages per fpdf2 document...
PART_IMAGE_BYTES = 8 << 20  # ...or fewer, once their images add up to this many bytes
MAX_PAGE_PT = 14400.0  # 200 inches: the largest page Acrobat shows without UserUnit
MIN_PAGE_PT = 3.0  # the smallest page the PDF spec allows
_MIN_LINE_PT = 0.1  # boxes thinner than this carry no usable text position
_FAR_AWAY_PT = 1000.0  # see _break_line()


@dataclass
class PdfPage:
    """One scanned page to put in a PDF."""

    width: int  # page image size in px
    height: int
    lines: list[Line] = field(default_factory=list)  # OCR lines with boxes in px (may be empty)
    text: str = ""  # plain text for pages without lines (a backend that stores only text)
    image_path: Path | None = None  # the stored page image, for searchable PDFs
    dpi: float = 300.0  # page size in pt = size in px / dpi * 72


def write_searchable_pdf(pages: Iterable[PdfPage], out: Path) -> int:
    """Write each page as its image with an invisible text layer at the line boxes.

    The image is embedded as stored (a PNG's compressed data is copied, not re-encoded)
    and fills the page; each OCR line becomes invisible text whose baseline, size, width
    and angle follow its box, so that searching and selecting in a viewer highlight the
    right place, and text extraction gives each line on its own line, in order. A page
    without lines but with plain text gets that text, invisible, stacked from the top.
    A page without an image shows its text instead. Returns the number of pages written.
    """
    missing: set[str] = set()
    with font_file() as font:
        count = write_atomically(out, lambda parts: _add_searchable(pages, parts, font, missing))
    _warn_missing(missing)
    return count


def write_text_pdf(pages: Iterable[PdfPage], out: Path) -> int:
    """Write one text-only PDF page per scanned page: its lines top to bottom.

    Long lines wrap; a page whose text does not fit is set in a smaller font rather than
    continued on another page. Returns the number of pages written.
    """
    missing: set[str] = set()
    with font_file() as font:
        count = write_atomically(out, lambda parts: _add_text_pages(pages, parts, font, missing))
    _warn_missing(missing)
    return count


def render_text_pdf_bytes(pages: Iterable[PdfPage]) -> bytes:
    """The document write_text_pdf() writes, as bytes."""
    missing: set[str] = set()
    with font_file() as font:
        data = assemble_bytes(lambda parts: _add_text_pages(pages, parts, font, missing))
    _warn_missing(missing)
    return data


# --- searchable pages ---------------------------------------------------------------


class _SearchableChunk:
    """A few searchable pages: their text layers in one fpdf2 document (one font subset),
    their images kept aside (encoded, as stored) until the chunk is written."""

    def __init__(self, font: Path) -> None:
        self.doc = _new_document(font)
        self.images: list[tuple[int, PageImage, float, float]] = []
        self.image_bytes = 0

    @property
    def full(self) -> bool:
        return self.doc.page >= SEARCHABLE_PAGES_PER_PART or self.image_bytes >= PART_IMAGE_BYTES

    def add(self, page: PdfPage, number: int) -> None:
        _check_page(page, number)
        image = load_page_image(page.image_path) if page.image_path is not None else None
        width = page.width or (image.width if image else 0)
        height = page.height or (image.height if image else 0)
        doc = self.doc
        if image is None and (width <= 0 or height <= 0):
            # Nothing tells us the page's size or where its lines are: a plain text page.
            _add_text_page(doc, page)
            return
        scale = _points_per_pixel(width, height, page.dpi)
        page_width, page_height = width * scale, height * scale
        doc.add_page(format=(page_width, page_height))
        invisible = image is not None
        if page.lines:
            _draw_lines(doc, page.lines, scale, invisible=invisible)
        else:
            margin = _margin(page_width, page_height)
            _draw_text_block(
                doc,
                _clean_block(page.text),
                margin,
                margin,
                page_width - 2 * margin,
                page_height - 2 * margin,
                invisible=invisible,
            )
        if image is not None:
            self.images.append((doc.page - 1, image, page_width, page_height))
            self.image_bytes += len(image.data)

    def write(self, parts: PartAssembler, missing: set[str]) -> None:
        data = _output(self.doc, missing)
        tag = parts.subset_tag()
        with parts.part() as path:
            if not self.images and tag is None:
                path.write_bytes(data)
                return
            import pikepdf

            with pikepdf.open(io.BytesIO(data)) as pdf:
                sixteen_bits = False
                while self.images:  # pikepdf copies the data: drop ours as we go
                    index, image, width, height = self.images.pop()
                    _put_image_under(pdf, index, image, width, height)
                    sixteen_bits = sixteen_bits or image.bits == 16
                if tag is not None:
                    retag_subsets(pdf, tag)
                pdf.save(path, min_version="1.5" if sixteen_bits else "")


def _add_searchable(
    pages: Iterable[PdfPage], parts: PartAssembler, font: Path, missing: set[str]
) -> int:
    count = 0
    chunk: _SearchableChunk | None = None
    for count, page in enumerate(pages, start=1):
        if chunk is None:
            chunk = _SearchableChunk(font)
        chunk.add(page, count)
        if chunk.full:
            chunk.write(parts, missing)
            chunk = None
            gc.collect()  # fpdf2 documents hold reference cycles: free each one now
    if chunk is not None and chunk.doc.page:
        chunk.write(parts, missing)
    return count


def _put_image_under(
    pdf: pikepdf.Pdf, index: int, image: PageImage, width: float, height: float
) -> None:
    """Draw `image` over the whole of page `index`, under what the page already shows."""
    import pikepdf
    from pikepdf import Name, Operator

    page = pdf.pages[index]
    # A name of its own, should pages share their resources dictionary
    name = page.add_resource(image_xobject(pdf, image), Name.XObject, Name(f"/Im{index}"))
    drawing = pikepdf.unparse_content_stream(
        [
            ([], Operator("q")),
            ([width, 0, 0, height, 0, 0], Operator("cm")),  # type: ignore[list-item]
            ([name], Operator("Do")),
            ([], Operator("Q")),
        ]
    )
    page.contents_add(drawing, prepend=True)


@dataclass(frozen=True)
class _Placement:
    """A line box in pt, top-down: bottom-left corner, size and clockwise angle."""

    x: float
    y: float
    width: float
    height: float
    angle: float  # degrees, clockwise on the page


def _placement(box: Box, scale: float) -> _Placement | None:
    try:
        points = [(float(x) * scale, float(y) * scale) for x, y in box]
    except (TypeError, ValueError):
        return None
    if len(points) != 4 or not all(math.isfinite(v) for point in points for v in point):
        return None
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    width = (math.hypot(x1 - x0, y1 - y0) + math.hypot(x2 - x3, y2 - y3)) / 2
    height = (math.hypot(x3 - x0, y3 - y0) + math.hypot(x2 - x1, y2 - y1)) / 2
    # Clockwise from top-left in y-down coordinates: the top edge turns right into the
    # right edge, a positive cross product. Anything else: use the bounding box.
    clockwise = (x1 - x0) * (y2 - y1) - (y1 - y0) * (x2 - x1) > 0
    if clockwise and width >= _MIN_LINE_PT and height >= _MIN_LINE_PT:
        angle = math.degrees(math.atan2((y1 - y0) + (y2 - y3), (x1 - x0) + (x2 - x3)))
        return _Placement(x3, y3, width, height, angle)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    if width < _MIN_LINE_PT or height < _MIN_LINE_PT:
        return None
    return _Placement(min(xs), max(ys), width, height, 0.0)


def _draw_lines(doc: FPDF, lines: list[Line], scale: float, *, invisible: bool) -> None:
    """Each line's text, fitted to its box: descender at the box's bottom, ascender at its top."""
    doc.text_mode = TextMode.INVISIBLE if invisible else TextMode.FILL
    font = doc.current_font
    assert isinstance(font, TTFFont)
    ascent, descent = font.desc.ascent / 1000, -font.desc.descent / 1000  # per pt of size
    for line in lines:
        text = _clean_line(line.text)
        placement = _placement(line.box, scale) if text else None
        if placement is None:
            continue
        size = max(placement.height / (ascent + descent), MIN_FONT_SIZE)
        doc.set_font_size(size)
        natural = doc.get_string_width(text) * 100 / doc.font_stretching
        if natural <= 0:
            continue
        doc.set_stretching(min(max(placement.width / natural * 100, 1.0), 10000.0))
        _break_line(doc)
        baseline = placement.y - descent * size
        if abs(placement.angle) < 0.01:
            doc.text(placement.x, baseline, text)
        else:
            with doc.rotation(-placement.angle, x=placement.x, y=placement.y):
                doc.text(placement.x, baseline, text)
    doc.set_stretching(100)


def _break_line(doc: FPDF) -> None:
    """Make text extractors start a new line here, wherever the next line is.

    Extractors such as pypdf decide between "same line" and "new line" from how far the
    text position moved; lines side by side (table cells) or overlapping (skewed lines)
    would run together. An empty string shown far off the page, between two lines,
    forces the break and draws nothing.
    """
    doc.text(0, -(doc.h + _FAR_AWAY_PT), "")


# --- text pages ---------------------------------------------------------------------


def _add_text_pages(
    pages: Iterable[PdfPage], parts: PartAssembler, font: Path, missing: set[str]
) -> int:
    count = 0
    doc: FPDF | None = None
    for count, page in enumerate(pages, start=1):
        _check_page(page, count)
        if doc is None:
            doc = _new_document(font)
        _add_text_page(doc, page)
        if doc.page >= TEXT_PAGES_PER_PART:
            _write_text_part(doc, parts, missing)
            doc = None
            gc.collect()  # fpdf2 documents hold reference cycles: free each one now
    if doc is not None:
        _write_text_part(doc, parts, missing)
    return count


def _write_text_part(doc: FPDF, parts: PartAssembler, missing: set[str]) -> None:
    data = _output(doc, missing)
    tag = parts.subset_tag()
    with parts.part() as path:
        if tag is None:
            path.write_bytes(data)
            return
        import pikepdf

        with pikepdf.open(io.BytesIO(data)) as pdf:
            retag_subsets(pdf, tag)
            pdf.save(path)


def _add_text_page(doc: FPDF, page: PdfPage) -> None:
    if page.width > 0 and page.height > 0:
        scale = _points_per_pixel(page.width, page.height, page.dpi)
        width, height = page.width * scale, page.height * scale
    else:
        width, height = DEFAULT_PAGE_SIZE
    doc.add_page(format=(width, height))
    if page.lines:
        text = "\n".join(_clean_line(line.text) for line in page.lines)
    else:
        text = _clean_block(page.text)
    margin = _margin(width, height)
    _draw_text_block(
        doc, text, margin, margin, width - 2 * margin, height - 2 * margin, invisible=False
    )


def _draw_text_block(
    doc: FPDF, text: str, x: float, y: float, width: float, height: float, *, invisible: bool
) -> None:
    """Lines top to bottom from (x, y), wrapped to `width`, in a font small enough to fit."""
    paragraphs = text.rstrip().split("\n")
    if not paragraphs[-1]:
        return
    doc.text_mode = TextMode.INVISIBLE if invisible else TextMode.FILL
    doc.set_stretching(100)
    measure = _UnitWidths(doc)
    size = TEXT_FONT_SIZE
    for _ in range(100):
        lines = _wrap(paragraphs, width / size, measure)
        needed = len(lines) * size * LINE_SPACING
        if needed <= height or size <= MIN_FONT_SIZE:
            break
        # The text's area shrinks with the square of the size: aim straight at the fit,
        # then creep down, as wrapping makes the line count move in steps.
        size = max(MIN_FONT_SIZE, size * min(0.97, math.sqrt(height / needed)))
    doc.set_font_size(size)
    font = doc.current_font
    assert isinstance(font, TTFFont)
    first_baseline = y + size * font.desc.ascent / 1000
    for number, line in enumerate(lines):
        if line.strip():
            doc.text(x, first_baseline + number * size * LINE_SPACING, line)


class _UnitWidths:
    """Width of a string in the current font at a size of 1 pt (no kerning: widths add up)."""

    def __init__(self, doc: FPDF) -> None:
        self._doc = doc
        self._widths: dict[str, float] = {}

    def __call__(self, text: str) -> float:
        total = 0.0
        for char in text:
            width = self._widths.get(char)
            if width is None:
                width = self._doc.get_string_width(char) / self._doc.font_size
                self._widths[char] = width
            total += width
        return total


def _wrap(paragraphs: list[str], width: float, measure: _UnitWidths) -> list[str]:
    """Greedy word wrap to `width` (in 1-pt units); words longer than a line are cut."""
    lines: list[str] = []
    space = measure(" ")
    for paragraph in paragraphs:
        if measure(paragraph) <= width:
            lines.append(paragraph)
            continue
        current: str | None = None
        current_width = 0.0
        for word in paragraph.split(" "):
            word_width = measure(word)
            if current is not None and current_width + space + word_width <= width:
                current += " " + word
                current_width += space + word_width
                continue
            if current is not None:
                lines.append(current)
            while word_width > width and len(word) > 1:
                head = _longest_prefix(word, width, measure)
                lines.append(head)
                word = word[len(head) :]
                word_width = measure(word)
            current, current_width = word, word_width
        if current is not None:
            lines.append(current)
    return lines


def _longest_prefix(word: str, width: float, measure: _UnitWidths) -> str:
    total = 0.0
    for end, char in enumerate(word):
        total += measure(char)
        if total > width:
            return word[: max(end, 1)]
    return word


# --- shared helpers -----------------------------------------------------------------


def _new_document(font: Path) -> FPDF:
    doc = FPDF(unit="pt")
    doc.set_auto_page_break(False)
    doc.set_margin(0)
    doc.c_margin = 0
    doc.set_creator("docscan")
    doc.add_font(FONT_FAMILY, fname=font)
    doc.set_font(FONT_FAMILY, size=TEXT_FONT_SIZE)
    return doc


def _output(doc: FPDF, missing: set[str]) -> bytes:
    data = bytes(doc.output())
    for font in doc.fonts.values():
        missing.update(chr(code) for code in getattr(font, "missing_glyphs", ()))
    return data


def _check_page(page: PdfPage, number: int) -> None:
    if not (isinstance(page.dpi, (int, float)) and math.isfinite(page.dpi) and page.dpi > 0):
        raise BadInputError(f"page {number}: invalid resolution {page.dpi!r} dpi")
    if page.width < 0 or page.height < 0:
        raise BadInputError(f"page {number}: invalid size {page.width}x{page.height} px")


def _points_per_pixel(width: int, height: int, dpi: float) -> float:
    """72/dpi, unless that makes the page larger or smaller than PDF viewers allow."""
    scale = 72.0 / dpi
    longest, shortest = max(width, height), min(width, height)
    if longest * scale > MAX_PAGE_PT:
        scale = MAX_PAGE_PT / longest
    if shortest * scale < MIN_PAGE_PT:
        scale = min(MIN_PAGE_PT / shortest, MAX_PAGE_PT / longest)
    return scale


def _margin(width: float, height: float) -> float:
    return min(36.0, 0.06 * min(width, height))


# C0 and C1 control characters (but newlines) become spaces; lone surrogates U+FFFD.
_CONTROLS = {code: " " for code in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if code != 0x0A}


def _clean_block(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return "\n".join(line.rstrip() for line in text.translate(_CONTROLS).split("\n"))


def _clean_line(text: str) -> str:
    return _clean_block(text).replace("\n", " ").strip()


class _DropGlyphWarnings(logging.Filter):
    """fpdf2 warns about missing glyphs once per output; we sum them up per document."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "is missing the following glyphs" not in str(record.msg)


logging.getLogger("fpdf.output").addFilter(_DropGlyphWarnings())


def _warn_missing(missing: set[str]) -> None:
    if missing:
        sample = "".join(sorted(missing)[:20])
        log.warning(
            "%d character(s) are not in the bundled font and were left out of the PDF: %s",
            len(missing),
            sample,
        )
