"""Page image preparation: any image Pillow can open -> upright, flattened PNG pages.

Both the local store and the AWS upload store exactly these PNGs, so every page fits the
synchronous Textract limits (MAX_SIDE px per side, MAX_BYTES per file) wherever it runs.
"""

from __future__ import annotations

import functools
import io
import math
import stat
import struct
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from PIL import Image, UnidentifiedImageError

from docscan.errors import BadInputError, NotFoundError

MAX_SIDE = 10_000  # Textract synchronous limit, px per side
# Textract's synchronous limit is 10 MiB; stay a little below it.
MAX_BYTES = 10 * 1024 * 1024 - 256 * 1024
# Refuse larger images as likely decompression bombs; a 48 MP phone photo is far below.
MAX_PIXELS = 200_000_000

# Pillow warns above ~89 MP and refuses above twice that, which would reject a legitimate
# MAX_SIDE x MAX_SIDE page. Align its guard with ours; the warning is an error here (see
# _pillow_errors), so MAX_IMAGE_PIXELS is the one cap, and tests can lower it.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# zlib level 1: on a 12 MP photo 0.8 s and 16 MB, where the default level 6 takes 3.4 s
# for 14 MB; on clean scans both take ~0.1 s and differ by ~0.1 MB.
PNG_COMPRESS_LEVEL = 1
WHITE = 255
# When a PNG is too big, aim a little under the budget so one retry usually fits.
_BYTES_TARGET = 0.97
# PNG bytes grow like pixels**k; k < 1 for photos (downscaling packs in detail), ~1 for
# noise. The first retry guesses k, later ones measure it from the attempts so far.
_FIRST_EXPONENT = 0.85
_HEIF_SUFFIXES = {".heic", ".heif", ".heics", ".heifs", ".hif"}
# Exceptions Pillow's decoders raise on malformed input (fuzzing finds all of these).
_DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
)
_ORIENTATION_TAG = 0x0112
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class PreparedPage:
    png: bytes  # the PNG to store/upload
    width: int
    height: int
    source: Path  # input file
    frame: int  # 0-based frame within the source (multi-page TIFF, GIF...), 0 otherwise

    @property
    def label(self) -> str:
        """Like "scan.tif" or "scan.tif[2]", for human messages."""
        return f"{self.source.name}[{self.frame}]" if self.frame else self.source.name


def check_source(path: Path) -> None:
    """Raise NotFoundError/BadInputError for a missing, non-regular or empty file.

    Cheap (one stat, no decoding), so callers can vet every input before doing any work.
    """
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise NotFoundError(f"{path}: no such file") from None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise BadInputError(f"{path}: is a directory, not an image file")
    if not stat.S_ISREG(st.st_mode):
        raise BadInputError(f"{path}: not a regular file")
    if st.st_size == 0:
        raise BadInputError(f"{path}: empty file (0 bytes)")


def iter_pages(
    path: Path, *, max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES
) -> Iterator[PreparedPage]:
    """Every page of one input file, as PNG within the limits.

    Frames are decoded one at a time, so a long multi-page TIFF never sits in memory whole.
    Every failure is a one-line BadInputError/NotFoundError naming the file.
    """
    check_source(path)
    with _open(path) as img:
        frames = _frame_count(img, str(path))
        for index in range(frames):
            label = f"{path}[{index}]" if frames > 1 else str(path)
            page = _decode_frame(img, index, label)
            dpi = _dpi(img)  # from the source frame: flattening onto white drops it
            png, (width, height) = _encode_within(page, dpi, max_side, max_bytes, label)
            yield PreparedPage(png=png, width=width, height=height, source=path, frame=index)


def prepare_all(paths: Sequence[Path], **limits: int) -> list[PreparedPage]:
    """Every page of every input, in input order and frame order.

    All inputs are checked, then all decoded, before anything is returned, so one bad file
    among many fails the whole batch before the caller stores a single page.
    """
    for path in paths:
        check_source(path)
    return [page for path in paths for page in iter_pages(path, **limits)]


def load_rgb(png_or_path: bytes | Path) -> Image.Image:
    """Open a stored page (PNG bytes or a file) for OCR or PDF output, as an RGB image."""
    source: Path | io.BytesIO
    if isinstance(png_or_path, bytes):
        label, source = "page image", io.BytesIO(png_or_path)
    else:
        check_source(png_or_path)
        label, source = str(png_or_path), png_or_path
    with _open(source, label) as img, _pillow_errors(label):
        img.load()
        return _normalize(_upright(img)).convert("RGB")


# --- opening and decoding ---------------------------------------------------------------


@functools.cache
def _register_heif() -> bool:
    """Teach Pillow HEIC/HEIF on first use, keeping `import docscan.images` cheap."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # optional: everything else still works without it
        return False
    register_heif_opener()
    return True


@contextmanager
def _pillow_errors(label: str) -> Iterator[None]:
    """Turn anything Pillow raises on bad data into a one-line BadInputError."""
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice that; we refuse from the limit on.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        # Pillow also warns about e.g. corrupt EXIF; that is noise on a CLI's stderr.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_large(label) from exc
        except PermissionError as exc:
            raise BadInputError(f"{label}: cannot read (permission denied)") from exc
        except _DECODE_ERRORS as exc:
            detail = _first_line(exc)
            raise BadInputError(f"{label}: corrupt or truncated image ({detail})") from exc


def _open(source: Path | io.BytesIO, label: str | None = None) -> Image.Image:
    """Read the header only; decoding happens frame by frame later."""
    label = label or str(source)
    _register_heif()
    with _pillow_errors(label):
        try:
            return Image.open(source)
        except UnidentifiedImageError:
            raise _not_an_image(source, label) from None


def _not_an_image(source: Path | io.BytesIO, label: str) -> BadInputError:
    heif = isinstance(source, Path) and source.suffix.lower() in _HEIF_SUFFIXES
    if heif and not _register_heif():
        return BadInputError(
            f"{label}: HEIC/HEIF images need the pillow-heif package",
            hint="pip install pillow-heif",
        )
    return BadInputError(f"{label}: not an image, or not a format docscan can read")


def _too_large(label: str, size: tuple[int, int] | None = None) -> BadInputError:
    limit = f"{(Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} megapixels"
    found = f" ({size[0]} x {size[1]} px)" if size else ""
    return BadInputError(f"{label}: image too large{found}, the limit is {limit}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _frame_count(img: Image.Image, label: str) -> int:
    with _pillow_errors(label):  # counting walks TIFF IFDs / GIF blocks, which can be broken
        return max(1, int(getattr(img, "n_frames", 1)))


def _decode_frame(img: Image.Image, index: int, label: str) -> Image.Image:
    """Decode one frame fully (so truncation surfaces now), upright, in mode L or RGB."""
    with _pillow_errors(label):
        if index:
            img.seek(index)
        limit = Image.MAX_IMAGE_PIXELS
        # Pillow checks the first frame only; later TIFF frames can be any size.
        if limit is not None and img.width * img.height > limit:
            raise _too_large(label, img.size)
        img.load()
        return _normalize(_upright(img))


def _upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a broken EXIF block only costs the rotation."""
    try:
        orientation = img.getexif().get(_ORIENTATION_TAG, 1)
    except _DECODE_ERRORS:
        return img
    method = _TRANSPOSE_FOR_ORIENTATION.get(orientation)
    return img.transpose(method) if method is not None else img


# --- colour modes -----------------------------------------------------------------------


def _normalize(img: Image.Image) -> Image.Image:
    """Any Pillow mode -> "L" (greyscale sources, smaller PNGs) or "RGB"."""
    mode = img.mode
    if mode in ("L", "RGB"):
        return img
    if mode == "1":
        return img.convert("L")
    if mode.startswith("I") or mode == "F":
        return _deep_grey_to_l(img)
    if mode == "P":
        return _flatten(img.convert("RGBA")) if img.has_transparency_data else img.convert("RGB")
    if mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        return _flatten(img)
    if mode == "LAB":
        return _lab_to_rgb(img)
    return img.convert("RGB")  # CMYK, YCbCr, HSV, RGBX...


def _flatten(img: Image.Image) -> Image.Image:
    """Composite onto white: transparent areas of a scan are paper, not ink."""
    grey = img.mode in ("LA", "La")
    rgba = img.convert("LA" if grey else "RGBA")  # undoes premultiplied La/RGBa
    base = Image.new("L" if grey else "RGB", img.size, WHITE if grey else (WHITE,) * 3)
    base.paste(rgba.convert(base.mode), mask=rgba.getchannel("A"))
    return base


def _deep_grey_to_l(img: Image.Image) -> Image.Image:
    """Scale 16/32-bit or float greyscale to 8 bits; a plain convert("L") would clip."""
    wide = img if img.mode in ("I", "F") else img.convert("I")
    low, high = (float(v) for v in cast("tuple[float, float]", wide.getextrema()))
    if wide.mode == "I" and low >= 0 and high <= 0xFFFF:
        # Integer samples: map the full range of the bit depth in use (8, 12, 16...) so a
        # 12-bit scan is not left at 1/16 brightness, without stretching its levels.
        low, high = 0.0, float((1 << max(8, int(high).bit_length())) - 1)
    # Signed or float samples have no natural range: stretch what is there.
    factor = 255.0 / ((high - low) or 1.0)
    return wide.point(lambda v: (v - low) * factor + 0.5).convert("L")


def _lab_to_rgb(img: Image.Image) -> Image.Image:
    from PIL import ImageCms  # rare; keeps the import off the common path

    transform = ImageCms.buildTransform(
        ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"), "LAB", "RGB"
    )
    return ImageCms.applyTransform(img, transform)  # type: ignore[return-value]


# --- size limits and PNG encoding -------------------------------------------------------


def _encode_within(
    img: Image.Image, dpi: tuple[float, float] | None, max_side: int, max_bytes: int, label: str
) -> tuple[bytes, tuple[int, int]]:
    """PNG of `img` within both limits, downscaled no more than needed."""
    full = _fit_side(img, max_side)
    data = _png(full, dpi, full.width / img.width)
    current, scale, exponent = full, 1.0, _FIRST_EXPONENT
    while len(data) > max_bytes:
        area_factor = (max_bytes * _BYTES_TARGET / len(data)) ** (1 / exponent)
        scale *= math.sqrt(area_factor)
        size = (max(1, int(full.width * scale)), max(1, int(full.height * scale)))
        if size == current.size:  # already 1 px: the budget is absurdly small
            raise BadInputError(f"{label}: cannot make a PNG smaller than {max_bytes} bytes")
        smaller = full.resize(size, Image.Resampling.LANCZOS)  # from full size: sharper
        smaller_data = _png(smaller, dpi, smaller.width / img.width)
        exponent = _measured_exponent(current, len(data), smaller, len(smaller_data))
        current, data = smaller, smaller_data
    return data, current.size


def _measured_exponent(a: Image.Image, a_bytes: int, b: Image.Image, b_bytes: int) -> float:
    """k in bytes ~ pixels**k from two encodings, clamped against odd measurements."""
    k = math.log(b_bytes / a_bytes) / math.log((b.width * b.height) / (a.width * a.height))
    return min(1.5, max(0.5, k))


def _fit_side(img: Image.Image, max_side: int) -> Image.Image:
    longest = max(img.size)
    if longest <= max_side:
        return img
    ratio = max_side / longest
    size = (
        min(max_side, max(1, round(img.width * ratio))),
        min(max_side, max(1, round(img.height * ratio))),
    )
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _dpi(img: Image.Image) -> tuple[float, float] | None:
    """The source resolution, if it has a sane one (lets PDFs keep the physical page size)."""
    try:
        x, y = (float(v) for v in img.info["dpi"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return (x, y) if 1 < x < 100_000 and 1 < y < 100_000 else None


def _png(img: Image.Image, source_dpi: tuple[float, float] | None, scale: float) -> bytes:
    """Encode without Exif, ICC or text chunks: no GPS leaks into stored pages, and a
    CMYK profile would be wrong once the pixels are RGB."""
    buffer = io.BytesIO()
    options: dict[str, object] = {"compress_level": PNG_COMPRESS_LEVEL}
    if source_dpi is not None:  # a downscaled page keeps its physical size
        options["dpi"] = (source_dpi[0] * scale, source_dpi[1] * scale)
    img.save(buffer, format="PNG", icc_profile=None, **options)
    return buffer.getvalue()
