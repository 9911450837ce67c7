"""docscan.images: every input format, mode normalization, size limits and bad inputs.

All images are generated at runtime in tmp_path; nothing binary lives in the repo.
"""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFile

from docscan import images
from docscan.errors import BadInputError, NotFoundError
from docscan.images import PreparedPage, check_source, iter_pages, load_rgb, prepare_all

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def save(img: Image.Image, path: Path, **options: Any) -> Path:
    img.save(path, **options)
    return path


def only_page(path: Path, **limits: int) -> PreparedPage:
    pages = list(iter_pages(path, **limits))
    assert len(pages) == 1
    return pages[0]


def decoded(page: PreparedPage) -> Image.Image:
    img = Image.open(io.BytesIO(page.png))
    assert img.format == "PNG"
    assert img.size == (page.width, page.height)
    return img


def two_colour(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """Left half red, right half blue: shows both colour and orientation survive."""
    img = Image.new("RGB", size, RED)
    img.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return img


def noise(size: tuple[int, int]) -> Image.Image:
    """Incompressible RGB, for byte-limit tests."""
    return Image.merge("RGB", [Image.effect_noise(size, 100) for _ in range(3)])


def close(actual: object, expected: tuple[int, ...], tolerance: int = 12) -> bool:
    """An RGB pixel within `tolerance` per channel (JPEG and WebP are lossy)."""
    assert isinstance(actual, tuple)
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def assert_bad(path: Path, error: type[Exception] = BadInputError, **limits: int) -> str:
    with pytest.raises(error) as caught:
        list(iter_pages(path, **limits))
    message = str(caught.value)
    assert path.name in message
    assert "\n" not in message
    return message


# --- formats --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("page.png", {}),
        ("page.jpg", {"quality": 95}),
        ("page.tif", {}),
        ("page.webp", {"lossless": True}),
        ("page.bmp", {}),
        ("page.gif", {}),
    ],
)
def test_single_frame_formats(tmp_path: Path, name: str, options: dict[str, object]) -> None:
    path = save(two_colour(), tmp_path / name, **options)
    page = only_page(path)
    assert (page.width, page.height, page.frame, page.source) == (64, 48, 0, path)
    img = decoded(page)
    assert img.mode == "RGB"
    assert close(img.getpixel((5, 5)), RED)
    assert close(img.getpixel((60, 40)), BLUE)


def test_multi_page_tiff_yields_every_frame_in_order(tmp_path: Path) -> None:
    frames = [Image.new("L", (40 + 10 * i, 30), 50 * i) for i in range(3)]
    path = save(frames[0], tmp_path / "scan.tif", save_all=True, append_images=frames[1:])
    pages = list(iter_pages(path))
    assert [p.frame for p in pages] == [0, 1, 2]
    assert [p.width for p in pages] == [40, 50, 60]
    assert [decoded(p).getpixel((0, 0)) for p in pages] == [0, 50, 100]
    assert [p.label for p in pages] == ["scan.tif", "scan.tif[1]", "scan.tif[2]"]


def test_animated_gif_yields_every_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (20, 20), colour) for colour in (RED, BLUE)]
    path = save(frames[0], tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    pages = list(iter_pages(path))
    assert len(pages) == 2
    assert close(decoded(pages[0]).getpixel((10, 10)), RED)
    assert close(decoded(pages[1]).getpixel((10, 10)), BLUE)


def test_heif(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("this libheif cannot encode HEIF")
    pillow_heif.register_heif_opener()
    path = save(two_colour(), tmp_path / "photo.heic", quality=95)
    img = decoded(only_page(path))
    assert img.size == (64, 48)
    assert close(img.getpixel((5, 5)), RED, tolerance=40)
    assert close(img.getpixel((60, 40)), BLUE, tolerance=40)


def test_heic_without_pillow_heif_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images, "_register_heif", lambda: False)
    path = tmp_path / "photo.heic"
    path.write_bytes(b"\0\0\0\x18ftypheic" + bytes(100))
    assert "pillow-heif" in assert_bad(path)


def test_import_stays_cheap() -> None:
    code = "import sys, docscan.images; sys.exit('pillow_heif' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- orientation and colour modes -------------------------------------------------------


def test_exif_rotated_jpeg_comes_out_upright(tmp_path: Path) -> None:
    stored = Image.new("RGB", (80, 40), (255, 255, 255))
    stored.paste(RED, (0, 0, 16, 16))  # marker at the stored top-left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = save(stored, tmp_path / "phone.jpg", exif=exif, quality=95)
    img = decoded(only_page(path))
    assert img.size == (40, 80)
    assert close(img.getpixel((35, 4)), RED)  # the marker is now top-right
    assert close(img.getpixel((4, 4)), (255, 255, 255))


def test_palette_with_transparency_gets_white_background(tmp_path: Path) -> None:
    img = Image.new("P", (30, 30), 0)
    img.putpalette([0, 0, 0, 200, 0, 0])  # index 0 black but transparent, 1 red
    img.paste(1, (10, 10, 20, 20))
    path = save(img, tmp_path / "logo.png", transparency=0)
    out = decoded(only_page(path))
    assert out.mode == "RGB"
    assert out.getpixel((2, 2)) == (255, 255, 255)
    assert out.getpixel((15, 15)) == (200, 0, 0)


def test_palette_without_transparency(tmp_path: Path) -> None:
    path = save(two_colour().convert("P"), tmp_path / "flat.png")
    assert close(decoded(only_page(path)).getpixel((5, 5)), RED)


def test_rgba_is_flattened_onto_white(tmp_path: Path) -> None:
    img = Image.new("RGBA", (30, 30), (0, 0, 0, 0))
    img.paste((0, 0, 255, 255), (0, 0, 10, 30))
    img.paste((0, 0, 0, 128), (20, 0, 30, 30))  # half-transparent black -> mid grey
    out = decoded(only_page(save(img, tmp_path / "alpha.png")))
    assert out.mode == "RGB"
    assert out.getpixel((15, 15)) == (255, 255, 255)
    assert out.getpixel((5, 5)) == BLUE
    assert close(out.getpixel((25, 5)), (127, 127, 127), tolerance=2)


def test_grey_with_alpha_stays_grey_on_white(tmp_path: Path) -> None:
    img = Image.new("LA", (20, 20), (0, 0))
    img.paste((30, 255), (0, 0, 10, 20))
    out = decoded(only_page(save(img, tmp_path / "la.png")))
    assert out.mode == "L"
    assert (out.getpixel((5, 5)), out.getpixel((15, 5))) == (30, 255)


@pytest.mark.parametrize("mode", ["L", "1"])
def test_greyscale_stays_greyscale(tmp_path: Path, mode: str) -> None:
    img = Image.new("L", (20, 20), 255)
    img.paste(0, (0, 0, 10, 20))
    out = decoded(only_page(save(img.convert(mode), tmp_path / "grey.png")))
    assert out.mode == "L"
    assert (out.getpixel((5, 5)), out.getpixel((15, 5))) == (0, 255)


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    img = Image.new("I;16", (4, 1))
    for x, value in enumerate([0, 1000, 30000, 65535]):
        img.putpixel((x, 0), value)
    out = decoded(only_page(save(img, tmp_path / "deep.png")))
    assert out.mode == "L"
    assert [out.getpixel((x, 0)) for x in range(4)] == [0, 4, 117, 255]


def test_twelve_bit_greyscale_uses_its_own_range(tmp_path: Path) -> None:
    img = Image.new("I;16", (2, 1))
    img.putpixel((0, 0), 0)
    img.putpixel((1, 0), 4095)  # a 12-bit sensor: full white, not 1/16 of it
    out = decoded(only_page(save(img, tmp_path / "sensor.tif")))
    assert [out.getpixel((x, 0)) for x in range(2)] == [0, 255]


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    path = save(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), tmp_path / "print.jpg")
    out = decoded(only_page(path))
    assert out.mode == "RGB"
    assert close(out.getpixel((10, 10)), RED, tolerance=20)


def test_dpi_is_kept_and_follows_downscaling(tmp_path: Path) -> None:
    path = save(two_colour((200, 100)).convert("RGBA"), tmp_path / "scan.png", dpi=(300, 300))
    out = decoded(only_page(path, max_side=100))
    assert out.info["dpi"] == pytest.approx((150, 150), abs=1)


def test_load_rgb_from_bytes_and_path(tmp_path: Path) -> None:
    grey = save(Image.new("L", (10, 10), 77), tmp_path / "grey.png")
    page = only_page(grey)
    for source in (page.png, grey):
        img = load_rgb(source)
        assert img.mode == "RGB"
        assert img.getpixel((5, 5)) == (77, 77, 77)


def test_load_rgb_refuses_garbage() -> None:
    with pytest.raises(BadInputError):
        load_rgb(b"not a png")


# --- size limits ----------------------------------------------------------------------


def test_side_limit_downscales_to_fit(tmp_path: Path) -> None:
    path = save(two_colour((300, 120)), tmp_path / "wide.png")
    page = only_page(path, max_side=100)
    assert (page.width, page.height) == (100, 40)
    assert close(decoded(page).getpixel((10, 20)), RED)


def test_byte_limit_downscales_only_as_much_as_needed(tmp_path: Path) -> None:
    path = save(noise((300, 300)), tmp_path / "noisy.png")
    full = only_page(path)
    assert (full.width, full.height) == (300, 300)
    max_bytes = int(len(full.png) * 0.6)  # a modest overshoot
    page = only_page(path, max_bytes=max_bytes)
    assert len(page.png) <= max_bytes
    # Pixel count may shrink by ~40%, i.e. each side to ~77%; allow for the safety margin.
    assert 300 * 0.65 < page.width < 300
    assert page.width == page.height


def test_byte_limit_small_budget(tmp_path: Path) -> None:
    path = save(noise((400, 300)), tmp_path / "noisy.png")
    page = only_page(path, max_bytes=50_000)
    assert len(page.png) <= 50_000
    assert abs(page.width / page.height - 4 / 3) < 0.02


def test_impossible_byte_budget_is_refused(tmp_path: Path) -> None:
    assert "bytes" in assert_bad(save(noise((50, 50)), tmp_path / "n.png"), max_bytes=10)


def test_48_megapixel_photo_is_accepted(tmp_path: Path) -> None:
    path = save(Image.new("L", (8000, 6000), 255), tmp_path / "big.png")
    page = only_page(path)
    assert (page.width, page.height) == (8000, 6000)


def test_limits_are_textract_compatible() -> None:
    assert images.MAX_SIDE == 10_000
    assert images.MAX_BYTES < 10 * 1024 * 1024
    assert (Image.MAX_IMAGE_PIXELS or 0) > images.MAX_SIDE * images.MAX_SIDE
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- bad inputs -----------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    assert_bad(tmp_path / "nope.png", NotFoundError)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "pages.png"
    folder.mkdir()
    assert "directory" in assert_bad(folder)


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.touch()
    assert "empty" in assert_bad(empty)


def test_text_file_named_png(tmp_path: Path) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("these are my notes, not a picture\n")
    assert "not an image" in assert_bad(fake)


@pytest.mark.parametrize("name", ["cut.png", "cut.jpg", "cut.tif"])
def test_truncated_image(tmp_path: Path, name: str) -> None:
    path = save(noise((120, 90)), tmp_path / name)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    assert_bad(path)


def test_truncated_last_tiff_frame_names_the_frame(tmp_path: Path) -> None:
    frames = [noise((60, 60)) for _ in range(3)]
    path = save(frames[0], tmp_path / "book.tif", save_all=True, append_images=frames[1:])
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) * 19 // 20])  # the last frame's data is cut short
    assert "book.tif[2]" in assert_bad(path)


def test_corrupt_exif_warning_does_not_leak(tmp_path: Path) -> None:
    frames = [noise((60, 60)) for _ in range(2)]
    path = save(frames[0], tmp_path / "book.tif", save_all=True, append_images=frames[1:])
    path.write_bytes(path.read_bytes()[:3000])  # cuts into a directory entry
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_bad(path)


@pytest.mark.parametrize("limit", [1_000, 3_000])  # Pillow's error, and its warning band
def test_decompression_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    path = save(Image.new("L", (80, 50), 255), tmp_path / "bomb.png")  # 4000 px
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    assert "too large" in assert_bad(path)


def test_oversized_later_tiff_frame_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = [Image.new("L", (10, 10)), Image.new("L", (200, 200))]
    path = save(frames[0], tmp_path / "sneaky.tif", save_all=True, append_images=frames[1:])
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    assert "200 x 200" in assert_bad(path)


def test_check_source_does_not_decode(tmp_path: Path) -> None:
    fake = tmp_path / "fake.png"
    fake.write_text("not decoded yet")
    check_source(fake)


# --- batches ----------------------------------------------------------------------------


def test_prepare_all_keeps_input_and_frame_order(tmp_path: Path) -> None:
    frames = [Image.new("L", (10 + i, 10)) for i in range(2)]
    book = save(frames[0], tmp_path / "book.tif", save_all=True, append_images=frames[1:])
    single = save(two_colour(), tmp_path / "single.png")
    pages = prepare_all([single, book], max_side=50)
    assert [(p.source.name, p.frame) for p in pages] == [
        ("single.png", 0),
        ("book.tif", 0),
        ("book.tif", 1),
    ]
    assert pages[0].width == 50


def test_prepare_all_checks_every_file_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = save(two_colour(), tmp_path / "good.png")
    empty = tmp_path / "empty.jpg"
    empty.touch()
    opened: list[object] = []
    monkeypatch.setattr(images, "_open", lambda *args: opened.append(args))
    with pytest.raises(BadInputError, match=r"empty\.jpg"):
        prepare_all([good, good, empty])
    assert opened == []


def test_prepare_all_fails_on_one_corrupt_file_among_good_ones(tmp_path: Path) -> None:
    good = save(two_colour(), tmp_path / "good.png")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(good.read_bytes()[:40])
    with pytest.raises(BadInputError, match=r"bad\.jpg"):
        prepare_all([good, bad, good])
