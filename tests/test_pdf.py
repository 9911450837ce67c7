"""PDF output and input: searchable and text-only PDFs, page text, data URLs."""

from __future__ import annotations

import base64
import io
import logging
import math
import zlib
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops
from pypdf import PageObject, PdfReader

from docscan.errors import BackendError, BadInputError, NotFoundError
from docscan.models import Line
from docscan.pdf import (
    PdfPage,
    _assemble,
    decode_data_url,
    extract_pages_text,
    is_pdf,
    render_text_pdf_bytes,
    write_searchable_pdf,
    write_text_pdf,
    writer,
)
from docscan.pdf.images import parse_png
from docscan.pdf.reader import normalize_page_text

NON_LATIN_1 = [
    "“curly quotes” — em dash",
    "Straße café",
    "Ελληνικά",
    "Кириллица",
]


def box(left: float, top: float, right: float, bottom: float) -> tuple:
    return ((left, top), (right, top), (right, bottom), (left, bottom))


def stacked_lines(texts: list[str], *, left: float = 50, top: float = 40) -> list[Line]:
    """One line per text, 30 px high, 50 px apart."""
    return [
        Line(text, box(left, top + i * 50, left + 20 * len(text), top + i * 50 + 30), 0.9)
        for i, text in enumerate(texts)
    ]


def page_image(path: Path, size: tuple[int, int] = (600, 400), mode: str = "L") -> Path:
    image = Image.new(mode, size, "white")
    image.paste("black" if mode != "1" else 0, (10, 10, 60, 30))
    image.save(path)
    return path


def read_pages(path: Path | bytes) -> PdfReader:
    return PdfReader(io.BytesIO(path) if isinstance(path, bytes) else path)


def pdf_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def embedded_image(page: pikepdf.Page) -> Image.Image:
    (stream,) = page.Resources.XObject.values()
    assert isinstance(stream, pikepdf.Stream)
    return pikepdf.PdfImage(stream).as_pil_image()


# --- searchable PDFs ----------------------------------------------------------------


def test_searchable_pdf_round_trip(tmp_path: Path) -> None:
    first = ["First page, first line", *NON_LATIN_1]
    second = ["Second page", "with two lines"]
    images = [page_image(tmp_path / "1.png"), page_image(tmp_path / "2.png", mode="RGB")]
    pages = [
        PdfPage(600, 400, stacked_lines(first), image_path=images[0], dpi=150),
        PdfPage(600, 400, stacked_lines(second), image_path=images[1], dpi=150),
    ]
    out = tmp_path / "out.pdf"

    assert write_searchable_pdf(pages, out) == 2

    assert extract_pages_text(out) == [
        "".join(t + "\n" for t in first),
        "".join(t + "\n" for t in second),
    ]
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 2
        for page, image in zip(pdf.pages, images, strict=True):
            assert float(page.mediabox[2]) == pytest.approx(600 / 150 * 72)
            assert float(page.mediabox[3]) == pytest.approx(400 / 150 * 72)
            xobjects = page.Resources.XObject
            assert [xobject.Subtype for _, xobject in xobjects.items()] == ["/Image"]
            assert embedded_image(page).tobytes() == Image.open(image).tobytes()


def test_searchable_pdf_embeds_the_png_data_unchanged(tmp_path: Path) -> None:
    image = page_image(tmp_path / "page.png", size=(300, 200))
    out = tmp_path / "out.pdf"
    write_searchable_pdf([PdfPage(300, 200, [], image_path=image)], out)

    with pikepdf.open(out) as pdf:
        (stream,) = pdf.pages[0].Resources.XObject.values()
        assert stream.Filter == pikepdf.Name.FlateDecode
        assert stream.read_raw_bytes() == parse_png(image.read_bytes()).data
        decoded = embedded_image(pdf.pages[0])
    assert ImageChops.difference(decoded, Image.open(image)).getbbox() is None


@pytest.mark.parametrize("mode", ["1", "L", "RGB", "P", "I;16", "RGBA", "LA"])
def test_searchable_pdf_keeps_the_pixels_of_every_image_mode(tmp_path: Path, mode: str) -> None:
    gradient = Image.linear_gradient("L").resize((64, 48))
    source = Image.merge("RGB", [gradient, gradient.rotate(90), gradient.rotate(180)])
    image = {
        "1": source.convert("1"),
        "L": source.convert("L"),
        "RGB": source,
        "P": source.convert("P"),
        "I;16": source.convert("L").convert("I").point(lambda v: v * 257).convert("I;16"),
        "RGBA": source.convert("RGBA"),
        "LA": source.convert("LA"),
    }[mode]
    path = tmp_path / "page.png"
    image.save(path)
    out = tmp_path / "out.pdf"

    write_searchable_pdf([PdfPage(0, 0, [], image_path=path, dpi=72)], out)

    with pikepdf.open(out) as pdf:
        page = pdf.pages[0]
        assert [float(v) for v in page.mediabox] == [0, 0, 64, 48]
        decoded = embedded_image(page)
    expected: Image.Image = Image.open(path)
    if mode in ("RGBA", "LA"):  # opaque alpha: flattened onto white changes nothing
        expected = expected.convert(mode[:-1])
    assert decoded.size == expected.size
    assert decoded.mode == expected.mode
    assert decoded.tobytes() == expected.tobytes()


def test_searchable_pdf_keeps_a_matching_icc_profile(tmp_path: Path) -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    rgb, grey = tmp_path / "rgb.png", tmp_path / "grey.png"
    Image.new("RGB", (8, 8), "red").save(rgb, icc_profile=srgb)
    Image.new("L", (8, 8), 128).save(grey, icc_profile=srgb)  # wrong kind of profile
    out = tmp_path / "out.pdf"
    write_searchable_pdf(
        [PdfPage(0, 0, [], image_path=rgb), PdfPage(0, 0, [], image_path=grey)], out
    )
    with pikepdf.open(out) as pdf:
        spaces = [
            xobject.ColorSpace
            for page in pdf.pages
            for _, xobject in page.Resources.XObject.items()
        ]
        assert spaces[0][0] == pikepdf.Name.ICCBased
        assert spaces[0][1].read_bytes() == srgb
        assert spaces[1] == pikepdf.Name.DeviceGray


def test_searchable_pdf_embeds_a_jpeg_as_is(tmp_path: Path) -> None:
    path = tmp_path / "page.jpg"
    Image.linear_gradient("L").convert("RGB").save(path, quality=85)
    out = tmp_path / "out.pdf"
    write_searchable_pdf([PdfPage(0, 0, [], image_path=path)], out)
    with pikepdf.open(out) as pdf:
        (stream,) = pdf.pages[0].Resources.XObject.values()
        assert stream.Filter == pikepdf.Name.DCTDecode
        assert stream.read_raw_bytes() == path.read_bytes()


def _shown_text(page: pikepdf.Page) -> Iterator[dict]:
    """Each non-empty string shown on the page with its text state and matrices."""
    state: dict = {"tz": 100.0, "size": 0.0, "font": None, "mode": 0, "ctm": [1, 0, 0, 1, 0, 0]}
    stack: list[dict] = []
    for instruction in pikepdf.parse_content_stream(page):
        operands, op = instruction.operands, str(instruction.operator)
        if op == "q":
            stack.append(dict(state))
        elif op == "Q":
            state = stack.pop()
        elif op == "cm":
            a, b, c, d, e, f = (float(v) for v in operands)
            m = state["ctm"]
            state["ctm"] = [
                a * m[0] + b * m[2],
                a * m[1] + b * m[3],
                c * m[0] + d * m[2],
                c * m[1] + d * m[3],
                e * m[0] + f * m[2] + m[4],
                e * m[1] + f * m[3] + m[5],
            ]
        elif op == "Tz":
            state["tz"] = float(operands[0])
        elif op == "Tf":
            state["font"], state["size"] = operands[0], float(operands[1])
        elif op == "Tr":
            state["mode"] = int(operands[0])
        elif op == "Td":
            state["td"] = (float(operands[0]), float(operands[1]))
        elif op == "Tj" and bytes(operands[0]):
            yield {**state, "codes": bytes(operands[0])}


def _glyph_widths(font: pikepdf.Object) -> dict[int, float]:
    """CID -> width in 1/1000 em, from a Type0 font's /W array."""
    descendant = font.DescendantFonts[0]
    widths: dict[int, float] = {}
    items = list(descendant.get("/W", []))
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for offset, width in enumerate(items[i + 1]):
                widths[first + offset] = float(width)
            i += 2
        else:
            for cid in range(first, int(items[i + 1]) + 1):
                widths[cid] = float(items[i + 2])
            i += 3
    return widths


def test_text_layer_is_invisible_and_fits_each_box(tmp_path: Path) -> None:
    dpi = 200
    lines = [
        Line("A wide line of text", box(100, 100, 1500, 160), 0.9),
        Line("narrow", box(100, 300, 250, 330), 0.9),
    ]
    image = page_image(tmp_path / "page.png", size=(1700, 2200))
    out = tmp_path / "out.pdf"
    write_searchable_pdf([PdfPage(1700, 2200, lines, image_path=image, dpi=dpi)], out)

    scale = 72 / dpi
    page_height = 2200 * scale
    with pikepdf.open(out) as pdf:
        page = pdf.pages[0]
        shown = list(_shown_text(page))
        assert len(shown) == len(lines)
        for line, text in zip(lines, shown, strict=True):
            (left, top), _, (right, bottom), _ = line.box
            font = page.Resources.Font[text["font"]]
            descriptor = font.DescendantFonts[0].FontDescriptor
            ascent, descent = float(descriptor.Ascent) / 1000, -float(descriptor.Descent) / 1000
            size = text["size"]
            assert text["mode"] == 3  # invisible
            # ascender to descender covers the box's height
            assert size * (ascent + descent) == pytest.approx((bottom - top) * scale, abs=0.02)
            x, baseline = text["td"]
            assert x == pytest.approx(left * scale, abs=0.01)
            expected_baseline = page_height - bottom * scale + descent * size
            assert baseline == pytest.approx(expected_baseline, abs=0.02)
            widths = _glyph_widths(font)
            codes = text["codes"]
            natural = sum(
                widths[int.from_bytes(codes[i : i + 2], "big")] for i in range(0, len(codes), 2)
            )
            width = natural / 1000 * size * text["tz"] / 100
            assert width == pytest.approx((right - left) * scale, rel=0.005)


def test_skewed_line_follows_its_box_angle(tmp_path: Path) -> None:
    angle = math.radians(4)  # clockwise on the page
    left, bottom, length, height = 100.0, 400.0, 1000.0, 40.0
    cos, sin = math.cos(angle), math.sin(angle)
    bottom_left = (left, bottom)
    bottom_right = (left + length * cos, bottom + length * sin)
    top_left = (left + height * sin, bottom - height * cos)
    top_right = (bottom_right[0] + height * sin, bottom_right[1] - height * cos)
    line = Line("A skewed line", (top_left, top_right, bottom_right, bottom_left), 0.9)
    out = tmp_path / "out.pdf"
    image = page_image(tmp_path / "page.png", size=(1275, 1650))
    write_searchable_pdf([PdfPage(1275, 1650, [line], image_path=image, dpi=150)], out)

    with pikepdf.open(out) as pdf:
        (text,) = _shown_text(pdf.pages[0])
    a, b = text["ctm"][0], text["ctm"][1]
    # Clockwise on the page is a negative angle in PDF's y-up space.
    assert math.degrees(math.atan2(b, a)) == pytest.approx(-4, abs=0.01)
    assert extract_pages_text(out) == ["A skewed line\n"]


def test_lines_side_by_side_or_overlapping_are_extracted_as_separate_lines(
    tmp_path: Path,
) -> None:
    lines = [
        Line("Name", box(50, 50, 200, 80), 0.9),
        Line("Value", box(400, 50, 560, 80), 0.9),  # same baseline, to the right
        Line("Back left", box(50, 50, 300, 80), 0.9),  # same baseline, to the left
        Line("Slightly lower", box(50, 60, 400, 90), 0.9),  # overlaps the previous
        Line("Above", box(50, 10, 200, 40), 0.9),  # goes back up
    ]
    image = page_image(tmp_path / "page.png")
    out = tmp_path / "out.pdf"
    write_searchable_pdf([PdfPage(600, 400, lines, image_path=image)], out)
    assert extract_pages_text(out) == ["Name\nValue\nBack left\nSlightly lower\nAbove\n"]


def test_searchable_page_without_lines(tmp_path: Path) -> None:
    image = page_image(tmp_path / "page.png")
    out = tmp_path / "out.pdf"
    pages = [
        PdfPage(600, 400, [], image_path=image),
        PdfPage(600, 400, [], text="Stored text only\nsecond line\n", image_path=image),
    ]
    assert write_searchable_pdf(pages, out) == 2
    assert extract_pages_text(out) == ["", "Stored text only\nsecond line\n"]
    with pikepdf.open(out) as pdf:
        assert all(len(page.Resources.XObject) == 1 for page in pdf.pages)


def test_searchable_page_without_an_image_shows_its_text(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    pages = [
        PdfPage(600, 400, stacked_lines(["visible line"])),
        PdfPage(0, 0, [], text="no size, no image"),
    ]
    write_searchable_pdf(pages, out)
    assert extract_pages_text(out) == ["visible line\n", "no size, no image\n"]
    with pikepdf.open(out) as pdf:
        modes = [text["mode"] for page in pdf.pages for text in _shown_text(page)]
    assert modes == [0, 0]


def test_searchable_pdf_across_many_parts_keeps_order_and_unique_subsets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "SEARCHABLE_PAGES_PER_PART", 2)
    monkeypatch.setattr(_assemble, "MERGE_BATCH", 3)  # forces merges of merges
    image = page_image(tmp_path / "page.png")
    pages = [PdfPage(600, 400, stacked_lines([f"page {n}"]), image_path=image) for n in range(23)]
    out = tmp_path / "out.pdf"

    assert write_searchable_pdf(pages, out) == 23

    assert extract_pages_text(out) == [f"page {n}\n" for n in range(23)]
    with pikepdf.open(out) as pdf:
        fonts = {
            (str(font.BaseFont), font.objgen)
            for page in pdf.pages
            for font in page.Resources.Font.values()
        }
    # one subset per part of two pages, each with its own tag
    assert len(fonts) == len({name for name, _ in fonts}) == 12
    assert pdf_files(tmp_path) == ["out.pdf", "page.png"]


def test_image_missing_or_corrupt(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    with pytest.raises(NotFoundError):
        write_searchable_pdf([PdfPage(10, 10, [], image_path=tmp_path / "nope.png")], out)
    corrupt = tmp_path / "corrupt.png"
    data = bytearray(page_image(tmp_path / "good.png").read_bytes())
    data[60] ^= 0xFF  # inside IDAT: the CRC no longer matches
    corrupt.write_bytes(bytes(data))
    with pytest.raises(BadInputError, match="not a valid PNG"):
        write_searchable_pdf([PdfPage(600, 400, [], image_path=corrupt)], out)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(bytes(data[:100]))
    with pytest.raises(BadInputError):
        write_searchable_pdf([PdfPage(600, 400, [], image_path=truncated)], out)
    not_image = tmp_path / "text.png"
    not_image.write_text("hello")
    with pytest.raises(BadInputError):
        write_searchable_pdf([PdfPage(600, 400, [], image_path=not_image)], out)
    assert not out.exists()
    assert pdf_files(tmp_path) == ["corrupt.png", "good.png", "text.png", "truncated.png"]


def test_invalid_page_settings(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="resolution"):
        write_text_pdf([PdfPage(100, 100, [], dpi=0)], tmp_path / "out.pdf")
    with pytest.raises(BadInputError, match="size"):
        write_text_pdf([PdfPage(-1, 100, [])], tmp_path / "out.pdf")


def test_huge_page_is_kept_within_viewer_limits(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    write_text_pdf([PdfPage(100_000, 50_000, [], text="big", dpi=72)], out)
    (page,) = read_pages(out).pages
    assert float(page.mediabox.width) == pytest.approx(14400)
    assert float(page.mediabox.height) == pytest.approx(7200)


# --- text-only PDFs -----------------------------------------------------------------


def test_text_pdf_round_trip(tmp_path: Path) -> None:
    pages = [
        PdfPage(2550, 3300, stacked_lines(["Title", *NON_LATIN_1])),
        PdfPage(0, 0, [], text="stored text\nof a page\n"),
        PdfPage(1000, 800, []),  # empty page
    ]
    out = tmp_path / "out.pdf"

    assert write_text_pdf(pages, out) == 3

    assert extract_pages_text(out) == [
        "".join(t + "\n" for t in ["Title", *NON_LATIN_1]),
        "stored text\nof a page\n",
        "",
    ]
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in read_pages(out).pages]
    assert sizes == [
        pytest.approx((612, 792)),
        pytest.approx(writer.DEFAULT_PAGE_SIZE),
        pytest.approx((240, 192)),
    ]


def test_text_pdf_bytes_match_the_file(tmp_path: Path) -> None:
    pages = [PdfPage(2550, 3300, stacked_lines(["one", "two"])), PdfPage(0, 0, [], text="x")]
    data = render_text_pdf_bytes(pages)
    assert is_pdf(data)
    assert extract_pages_text(data) == ["one\ntwo\n", "x\n"]
    write_text_pdf(pages, tmp_path / "out.pdf")
    assert extract_pages_text(tmp_path / "out.pdf") == extract_pages_text(data)


def test_text_pdf_fits_long_lines_and_many_lines_on_one_page(tmp_path: Path) -> None:
    words = [f"word{n}" for n in range(3000)]
    many = [f"line {n}" for n in range(400)]
    unbreakable = "x" * 2000
    pages = [
        PdfPage(2550, 3300, [], text=" ".join(words)),
        PdfPage(2550, 3300, stacked_lines(many)),
        PdfPage(2550, 3300, [], text=unbreakable),
    ]
    out = tmp_path / "out.pdf"

    assert write_text_pdf(pages, out) == 3

    reader = read_pages(out)
    assert len(reader.pages) == 3
    texts = extract_pages_text(out)
    assert texts[0].split() == words  # wrapped, nothing lost, in order
    assert texts[1] == "".join(t + "\n" for t in many)
    assert texts[2].replace("\n", "") == unbreakable
    for page in reader.pages:  # everything is drawn inside the page
        origins = text_origins(page)
        assert origins
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert all(0 <= x <= width and 0 <= y <= height for x, y in origins)


def text_origins(page: PageObject) -> list[tuple[float, float]]:
    """Where each string shown on the page starts, in page space."""
    origins: list[tuple[float, float]] = []

    def collect(text: str, cm: list, tm: list, *_: object) -> None:
        if text.strip():
            x, y = tm[4], tm[5]
            origins.append((x * cm[0] + y * cm[2] + cm[4], x * cm[1] + y * cm[3] + cm[5]))

    page.extract_text(visitor_text=collect)
    return origins


def test_text_pdf_across_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "TEXT_PAGES_PER_PART", 3)
    pages = [PdfPage(0, 0, [], text=f"page {n}") for n in range(10)]
    assert extract_pages_text(render_text_pdf_bytes(pages)) == [f"page {n}\n" for n in range(10)]


def test_missing_glyphs_are_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    pages = [PdfPage(0, 0, [], text="漢字 and latin") for _ in range(3)]
    with caplog.at_level(logging.WARNING):
        data = render_text_pdf_bytes(pages)
    assert extract_pages_text(data)[0].strip() == "and latin"
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(messages) == 1
    assert "漢" in messages[0] and "not in the bundled font" in messages[0]


# --- writing atomically -------------------------------------------------------------


def _failing_after(pages: list[PdfPage], count: int) -> Iterator[PdfPage]:
    yield from pages[:count]
    raise RuntimeError("scanner exploded")


@pytest.mark.parametrize("kind", ["searchable", "text"])
@pytest.mark.parametrize("fail_after", [0, 1, 7])
def test_failure_leaves_the_previous_file_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, fail_after: int
) -> None:
    monkeypatch.setattr(writer, "SEARCHABLE_PAGES_PER_PART", 2)
    monkeypatch.setattr(writer, "TEXT_PAGES_PER_PART", 2)
    image = page_image(tmp_path / "page.png")
    pages = [PdfPage(600, 400, stacked_lines([f"p{n}"]), image_path=image) for n in range(10)]
    out = tmp_path / "out.pdf"
    out.write_bytes(b"%PDF-previous")
    before = pdf_files(tmp_path)
    write = write_searchable_pdf if kind == "searchable" else write_text_pdf

    with pytest.raises(RuntimeError, match="exploded"):
        write(_failing_after(pages, fail_after), out)

    assert out.read_bytes() == b"%PDF-previous"
    assert pdf_files(tmp_path) == before


def test_writing_replaces_the_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    out.write_bytes(b"old")
    write_text_pdf([PdfPage(0, 0, [], text="new")], out)
    assert extract_pages_text(out) == ["new\n"]
    assert pdf_files(tmp_path) == ["out.pdf"]


def test_no_pages_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no pages"):
        write_searchable_pdf([], tmp_path / "out.pdf")
    with pytest.raises(BadInputError, match="no pages"):
        render_text_pdf_bytes([])
    assert pdf_files(tmp_path) == []


def test_output_directory_must_exist(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        write_text_pdf([PdfPage(0, 0, [], text="x")], tmp_path / "missing" / "out.pdf")


# --- reading ------------------------------------------------------------------------


def test_extract_pages_text_normalizes() -> None:
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        buffer = io.BytesIO()
        pdf.save(buffer)
    assert extract_pages_text(buffer.getvalue()) == [""]
    assert normalize_page_text("\n  a  \r\n\r\nb\n\n\n") == "  a\n\nb\n"
    assert normalize_page_text(" \n\n") == ""


def test_extract_pages_text_rejects_what_is_not_a_pdf(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not a PDF"):
        extract_pages_text(b"hello")
    with pytest.raises(BadInputError):
        extract_pages_text(b"%PDF-1.7\n garbage")
    with pytest.raises(NotFoundError):
        extract_pages_text(tmp_path / "missing.pdf")


def test_is_pdf() -> None:
    assert is_pdf(b"%PDF-1.7\n...")
    assert is_pdf(bytearray(b"%PDF-"))
    assert not is_pdf(b"%PDF")
    assert not is_pdf(b"")
    assert not is_pdf(b"\x89PNG\r\n")


# --- data URLs ----------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def test_decode_data_url() -> None:
    encoded = base64.b64encode(PDF_BYTES).decode()
    assert decode_data_url(f"data:application/pdf;base64,{encoded}") == PDF_BYTES
    # line breaks, missing padding, upper case, parameters, URL-safe alphabet
    wrapped = "\n".join(encoded[i : i + 10] for i in range(0, len(encoded), 10)).rstrip("=")
    assert decode_data_url(f" DATA:Application/PDF;name=x.pdf;BASE64,{wrapped}\n") == PDF_BYTES
    urlsafe = base64.urlsafe_b64encode(PDF_BYTES).decode()
    assert decode_data_url(f"data:application/pdf;base64,{urlsafe}") == PDF_BYTES
    assert decode_data_url("data:application/pdf,%25PDF-1.4%0A") == b"%PDF-1.4\n"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://example.com/x.pdf", "not a data: URL"),
        ("data:application/pdf;base64", "not a data: URL"),
        ("data:image/png;base64,iVBORw0KGgo=", "media type image/png"),
        ("data:application/pdf;base64,%%%%", "invalid base64"),
        ("data:application/pdf;base64,", "empty"),
        ("data:application/pdf;base64," + base64.b64encode(b"<html>").decode(), "not hold a PDF"),
    ],
)
def test_decode_data_url_rejects_malformed(url: str, message: str) -> None:
    with pytest.raises(BackendError, match=message):
        decode_data_url(url)


def test_decode_data_url_error_class_can_be_chosen() -> None:
    with pytest.raises(BadInputError):
        decode_data_url("nonsense", error=BadInputError)


def test_png_parser_reads_only_well_formed_files() -> None:
    buffer = io.BytesIO()
    Image.new("L", (3, 2), 7).save(buffer, format="PNG")
    image = parse_png(buffer.getvalue())
    assert (image.width, image.height, image.components, image.bits) == (3, 2, 1, 8)
    assert len(zlib.decompress(image.data)) == 2 * (1 + 3)  # a filter byte per row
    with pytest.raises(ValueError):
        parse_png(buffer.getvalue()[:-20])
