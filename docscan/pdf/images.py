"""Page images prepared for embedding in a PDF without re-encoding them.

A PNG's zlib stream (its IDAT chunks) is what a PDF `/FlateDecode` filter with the PNG
predictors reads, so a PNG without transparency or interlacing is embedded byte for byte;
a baseline JPEG is embedded as `/DCTDecode`, also as-is. Anything else (alpha, interlaced
PNG, other formats) is decoded once with Pillow, flattened onto white and re-encoded as a
lossless PNG first.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from docscan.errors import BadInputError, NotFoundError

if TYPE_CHECKING:
    import pikepdf
    from PIL import Image as PILImage

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour type -> (components, allowed bit depths); types 4 and 6 carry alpha.
_PNG_COLOR_TYPES = {0: (1, (1, 2, 4, 8, 16)), 2: (3, (8, 16)), 3: (1, (1, 2, 4, 8))}


@dataclass(frozen=True)
class PageImage:
    """An image as the bytes of a PDF image stream plus what its dictionary needs."""

    width: int
    height: int
    data: bytes  # already encoded with `filter`
    filter: str  # "FlateDecode" (PNG predictors) or "DCTDecode"
    components: int  # 1 (grey or palette index) or 3 (RGB)
    bits: int
    palette: bytes | None = None  # RGB triplets for palette images
    icc_profile: bytes | None = None  # zlib-compressed ICC profile, from a PNG iCCP chunk


class _NotDirect(Exception):
    """The PNG is valid but cannot be embedded as-is."""


def load_page_image(path: Path) -> PageImage:
    """Read a page image and return it ready to embed; raise BadInputError if unusable."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"page image not found: {path}") from exc
    except OSError as exc:
        raise BadInputError(f"cannot read page image {path}: {exc.strerror or exc}") from exc
    if data.startswith(_PNG_SIGNATURE):
        try:
            return parse_png(data)
        except _NotDirect:
            pass
        except ValueError as exc:
            raise BadInputError(f"page image {path} is not a valid PNG: {exc}") from exc
    return _via_pillow(data, path)


def parse_png(data: bytes) -> PageImage:
    """The PNG's own compressed data and parameters.

    Raises ValueError if the PNG is corrupt and _NotDirect if it must be re-encoded.
    """
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("missing PNG signature")
    view = memoryview(data)
    pos = len(_PNG_SIGNATURE)
    header: tuple[int, ...] | None = None
    idat: list[memoryview] = []
    palette: bytes | None = None
    icc: bytes | None = None
    while True:
        if pos + 12 > len(data):
            raise ValueError("truncated file")
        length, kind = struct.unpack(">I4s", view[pos : pos + 8])
        start, end = pos + 8, pos + 8 + length
        if end + 4 > len(data):
            raise ValueError("truncated file")
        body = view[start:end]
        (crc,) = struct.unpack(">I", view[end : end + 4])
        if zlib.crc32(body, zlib.crc32(kind)) != crc:
            raise ValueError(f"bad checksum in {kind.decode('latin-1')} chunk")
        pos = end + 4
        if header is None:
            if kind != b"IHDR" or length != 13:
                raise ValueError("first chunk is not IHDR")
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"PLTE":
            palette = bytes(body)
        elif kind == b"iCCP":
            name_end = bytes(body[:80]).find(b"\0")
            if name_end > 0 and body[name_end + 1] == 0:  # compression method 0 = zlib
                icc = bytes(body[name_end + 2 :])
        elif kind == b"tRNS":
            raise _NotDirect("transparency")
        elif kind == b"IEND":
            break
    assert header is not None
    width, height, bits, color_type, compression, filter_method, interlace = header
    if width == 0 or height == 0 or compression != 0 or filter_method != 0:
        raise ValueError("invalid IHDR")
    if not idat:
        raise ValueError("no image data")
    if color_type not in _PNG_COLOR_TYPES or interlace != 0:
        raise _NotDirect("alpha channel or interlacing")
    components, depths = _PNG_COLOR_TYPES[color_type]
    if bits not in depths:
        raise ValueError(f"bit depth {bits} is invalid for colour type {color_type}")
    if color_type == 3:
        if palette is None or len(palette) % 3 or not palette:
            raise ValueError("palette image without a valid PLTE chunk")
        icc = None  # the profile would apply to the palette's base space; keep it simple
    else:
        palette = None
    if icc is not None and not _icc_matches(icc, components):
        icc = None  # a broken or mismatched profile: viewers would fail on it
    return PageImage(
        width=width,
        height=height,
        data=b"".join(idat),
        filter="FlateDecode",
        components=components,
        bits=bits,
        palette=palette,
        icc_profile=icc,
    )


def _icc_matches(compressed: bytes, components: int) -> bool:
    """Whether a zlib-compressed ICC profile is for grey (1) or RGB (3) data."""
    try:
        header = zlib.decompressobj().decompress(compressed, 128)
    except zlib.error:
        return False
    expected = b"GRAY" if components == 1 else b"RGB "
    return len(header) >= 20 and header[16:20] == expected


def _via_pillow(data: bytes, path: Path) -> PageImage:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format == "JPEG" and img.mode in ("L", "RGB"):
                img.load()  # decode once to make sure the file is complete
                return PageImage(
                    width=img.width,
                    height=img.height,
                    data=data,
                    filter="DCTDecode",
                    components=1 if img.mode == "L" else 3,
                    bits=8,
                )
            flat = _flatten(img)
            buffer = io.BytesIO()
            flat.save(buffer, format="PNG", compress_level=6)
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise BadInputError(f"page image {path} is not an image we can read") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadInputError(f"page image {path} is corrupt or unsupported: {exc}") from exc
    try:
        return parse_png(buffer.getvalue())
    except (ValueError, _NotDirect) as exc:  # pragma: no cover - Pillow writes plain PNGs
        raise BadInputError(f"cannot convert page image {path}: {exc}") from exc


def _flatten(img: PILImage.Image) -> PILImage.Image:
    """An opaque image in a mode PNG stores without alpha (transparency becomes white)."""
    from PIL import Image

    if img.mode in ("1", "L", "RGB", "I;16") or (
        img.mode == "P" and "transparency" not in img.info
    ):
        return img
    grey = img.mode in ("LA", "La", "I", "F")
    if img.mode in ("I", "F"):
        return img.convert("L")
    if "A" in img.getbands() or "a" in img.getbands() or "transparency" in img.info:
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("L" if grey else "RGB")
    return img.convert("RGB")


def image_xobject(pdf: pikepdf.Pdf, image: PageImage) -> pikepdf.Stream:
    """An image XObject in `pdf` holding the image's encoded bytes unchanged."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    base = Name.DeviceGray if image.components == 1 else Name.DeviceRGB
    color_space: pikepdf.Object = base
    if image.palette is not None:
        color_space = Array(
            [
                Name.Indexed,
                Name.DeviceRGB,
                len(image.palette) // 3 - 1,
                pikepdf.String(image.palette),
            ]
        )
    elif image.icc_profile is not None:
        profile = pikepdf.Stream(pdf, image.icc_profile)
        profile.Filter = Name.FlateDecode
        profile.N = image.components
        profile.Alternate = base
        color_space = Array([Name.ICCBased, profile])
    stream = pikepdf.Stream(pdf, image.data)
    stream.Type = Name.XObject
    stream.Subtype = Name.Image
    stream.Width = image.width
    stream.Height = image.height
    stream.ColorSpace = color_space
    stream.BitsPerComponent = image.bits
    stream.Filter = Name("/" + image.filter)
    if image.filter == "FlateDecode":
        stream.DecodeParms = Dictionary(
            Predictor=15,
            Colors=image.components,
            BitsPerComponent=image.bits,
            Columns=image.width,
        )
    return stream
