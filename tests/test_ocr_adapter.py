"""The OCR package without its models: factory, test engine, pixels, geometry (fast)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from docscan.errors import OcrError
from docscan.models import Line, OcrResult
from docscan.ocr import engine as engine_module
from docscan.ocr import get_engine
from docscan.ocr.fixed import FixedEngine
from docscan.ocr.rapid import _one_line, crop, glyph_height, to_pixels, upright_quad

LINE = Line(text="hello", box=((0, 0), (10, 0), (10, 5), (0, 5)), confidence=0.9)


# -- factory and test engine -----------------------------------------------------------


def test_importing_the_package_loads_no_ml_runtime() -> None:
    code = (
        "import sys, docscan.ocr, docscan.ocr.fixed, docscan.ocr.layout\n"
        "heavy = {'numpy', 'cv2', 'onnxruntime', 'rapidocr'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_get_engine_builds_once_per_name(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []

    def build(name: str) -> FixedEngine:
        built.append(name)
        return FixedEngine(lambda image: [])

    monkeypatch.setattr(engine_module, "_engines", {})
    monkeypatch.setattr(engine_module, "_build", build)
    first = get_engine("x")
    assert get_engine("x") is first
    assert get_engine("y") is not first
    assert built == ["x", "y"]


def test_unknown_engine_is_an_ocr_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "_engines", {})
    with pytest.raises(OcrError, match="unknown OCR engine 'nope'"):
        get_engine("nope")


def test_fixed_engine_returns_its_lines_and_counts_calls() -> None:
    engine = FixedEngine(lambda image: [LINE] * (image.width // 100), rotation=90)
    result = engine.recognize(Image.new("L", (300, 50)))
    assert result == OcrResult(lines=[LINE, LINE, LINE], rotation=90)
    assert engine.name == "fixed"
    assert engine.calls == 1


def test_fixed_engine_fails_on_request() -> None:
    by_size = FixedEngine(lambda image: [LINE], fail_on={(7, 7)})
    assert by_size.recognize(Image.new("L", (8, 8))).lines == [LINE]
    with pytest.raises(OcrError, match="7x7"):
        by_size.recognize(Image.new("L", (7, 7)))
    by_test = FixedEngine(lambda image: [], fail_on=lambda image: image.mode == "RGB")
    assert by_test.recognize(Image.new("L", (8, 8))).lines == []
    with pytest.raises(OcrError):
        by_test.recognize(Image.new("RGB", (8, 8)))
    assert by_test.calls == 2


# -- pixels ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"])
def test_any_image_mode_becomes_8_bit_pixels(mode: str) -> None:
    page = Image.new("L", (40, 20), 255)
    ImageDraw.Draw(page).rectangle((10, 5, 20, 12), fill=0)
    if mode in ("I;16", "I", "F"):
        image = Image.fromarray(np.asarray(page).astype(np.float32) * 200).convert(mode)
    else:
        image = page.convert(mode)
    pixels = to_pixels(image)
    assert pixels.dtype == np.uint8
    assert pixels.shape[:2] == (20, 40)
    assert pixels.ndim == 2 or pixels.shape[2] == 3
    grey = pixels if pixels.ndim == 2 else pixels.mean(axis=2)
    assert grey[8, 15] < 30  # the ink
    assert grey[2, 2] > 225  # the paper


def test_transparent_background_becomes_white() -> None:
    image = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((5, 2, 8, 6), fill=(0, 0, 0, 255))
    pixels = to_pixels(image)
    assert pixels[0, 0].tolist() == [255, 255, 255]
    assert pixels[4, 6].tolist() == [0, 0, 0]


def test_colour_pixels_are_in_bgr_order() -> None:
    pixels = to_pixels(Image.new("RGB", (2, 2), (255, 0, 0)))
    assert pixels[0, 0].tolist() == [0, 0, 255]


# -- geometry ----------------------------------------------------------------------------


def _ink_corners(pixels: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(pixels < 128)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_upright_quad_and_crop_undo_a_page_turn(rotation: int) -> None:
    # An upright page with one "line": a bar whose left end is marked by a notch.
    upright = Image.new("L", (300, 200), 255)
    draw = ImageDraw.Draw(upright)
    draw.rectangle((50, 80, 249, 99), fill=0)
    draw.rectangle((50, 80, 59, 84), fill=255)  # notch at the top-left
    scanned = upright.rotate(-rotation, expand=True)  # what the scanner saw
    assert scanned.rotate(rotation, expand=True).tobytes() == upright.tobytes()

    pixels = np.asarray(scanned)
    quad = _ink_corners(pixels)  # clockwise from the top-left, as the detector gives it
    box, source = upright_quad(quad, rotation, scanned.width, scanned.height)
    np.testing.assert_allclose(box, [[50, 80], [250, 80], [250, 100], [50, 100]], atol=1)
    line = crop(pixels, source)
    assert line.shape == (20, 200)
    assert line[1, 4] > 128  # the notch, top-left: the crop is upright
    assert line[18, 4] < 128 and line[1, 195] < 128


def test_glyph_height_measures_the_letters() -> None:
    from pathlib import Path

    from PIL import ImageFont

    font_file = Path(__file__).parents[1] / "docscan" / "pdf" / "fonts" / "DejaVuSans.ttf"
    for size in (8, 12, 20):
        image = Image.new("L", (600, 200), 255)
        font = ImageFont.truetype(str(font_file), size)
        draw = ImageDraw.Draw(image)
        for k in range(4):
            draw.text((10, 10 + k * size * 1.5), "The quick brown fox", font=font, fill=0)
        measured = glyph_height(np.asarray(image))
        assert measured is not None
        assert 0.5 * size <= measured <= size
    assert glyph_height(np.full((100, 100), 255, np.uint8)) is None
    assert glyph_height(np.zeros((100, 100, 3), np.uint8)) is None  # all ink: no letters


def test_error_messages_are_one_line() -> None:
    assert _one_line(RuntimeError("\n  first\nsecond\n")) == "RuntimeError: first"
    assert _one_line(ValueError()) == "ValueError"
