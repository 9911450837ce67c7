"""The real OCR engine on the sample pages in tests/data (seconds per page)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from docscan.errors import OcrError
from docscan.models import OcrResult
from docscan.ocr import OcrEngine, get_engine
from tests.benchmarks.metrics import cer

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data"
FONT = Path(__file__).parents[1] / "docscan" / "pdf" / "fonts" / "DejaVuSans.ttf"


def page(name: str) -> Image.Image:
    path = next(DATA.glob(f"{name}.*g"))  # .png or .jpg
    with Image.open(path) as image:
        image.load()
        return image


def truth(name: str) -> str:
    return (DATA / f"{name}.txt").read_text(encoding="utf-8")


def text(result: OcrResult) -> str:
    return "\n".join(line.text for line in result.lines)


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return get_engine()


def test_plain_page(engine: OcrEngine, capsys: pytest.CaptureFixture[str]) -> None:
    image = page("plain_gettysburg")
    result = engine.recognize(image)
    assert capsys.readouterr() == ("", "")  # nothing printed, nothing logged
    assert result.rotation == 0
    assert cer(text(result), truth("plain_gettysburg")) < 0.03
    assert len(result.lines) == len(truth("plain_gettysburg").splitlines())
    for line in result.lines:
        assert 0.5 <= line.confidence <= 1.0
        (x0, y0), (x1, _), _, (_, y3) = line.box
        assert 0 <= x0 < x1 <= image.width and 0 <= y0 < y3 <= image.height
        assert x1 - x0 > y3 - y0  # clockwise from the top-left of a horizontal line
    # Boxes in page pixels: the title line starts one inch (300 px) from the top-left.
    (x0, y0) = result.lines[0].box[0]
    assert 270 < x0 < 310 and 270 < y0 < 320


def test_photographed_page(engine: OcrEngine) -> None:
    result = engine.recognize(page("photo_moby_dick"))
    assert result.rotation == 0
    assert cer(text(result), truth("photo_moby_dick")) < 0.03


def test_two_columns_are_read_column_by_column(engine: OcrEngine) -> None:
    result = engine.recognize(page("two_column_austen"))
    expected = truth("two_column_austen").splitlines()
    assert result.lines[0].text == expected[0]  # the full-width title first
    # Reading order matters here: interleaved columns would be far above this.
    assert cer(text(result), truth("two_column_austen")) < 0.03
    got = [line.text for line in result.lines]
    left_last = "This was invitation enough."
    right_first = expected[expected.index(left_last) + 1]
    assert got.index(left_last) + 1 == got.index(right_first)


@pytest.mark.parametrize("extra", [0, 90, 180, 270])
def test_turned_pages_are_detected(engine: OcrEngine, extra: int) -> None:
    # The sample lies a quarter turn clockwise (rotation 90); turning it further clockwise
    # by `extra` degrees gives the other cases. Cropped to its first paragraphs for speed.
    upright = page("rotated_90_inaugural").rotate(90, expand=True)
    upright = upright.crop((0, 0, upright.width, 1400))
    scanned = upright.rotate(-(90 + extra), expand=True)
    expected_rotation = (90 + extra) % 360
    result = engine.recognize(scanned)
    assert result.rotation == expected_rotation
    lines = truth("rotated_90_inaugural").splitlines()[: len(result.lines)]
    assert len(lines) >= 8
    assert cer(text(result), "\n".join(lines)) < 0.03
    # Boxes are in the upright page: the same place as when reading it upright.
    assert scanned.rotate(result.rotation, expand=True).size == upright.size
    (x0, y0) = result.lines[0].box[0]
    assert 270 < x0 < 310 and 270 < y0 < 320


def test_orientation_survives_a_misleading_line_shape_vote(
    engine: OcrEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lines that look taller than wide suggest a page on its side; when the reading
    # that way is poor, the other two orientations are tried.
    from docscan.ocr import rapid

    lengths = rapid._side_lengths
    monkeypatch.setattr(rapid, "_side_lengths", lambda quad: lengths(quad)[::-1])
    upright = page("plain_gettysburg").crop((0, 0, 2550, 620))
    for turn in (0, 180):
        result = engine.recognize(upright.rotate(-turn))
        assert result.rotation == turn
        assert result.lines[0].text == truth("plain_gettysburg").splitlines()[0]


def test_small_print_on_a_large_image(engine: OcrEngine) -> None:
    # 7 pt text photographed from afar: scaled down to the detector's usual size the
    # letters would be 5 px high; detection looks again at a larger size.
    lines = truth("plain_gettysburg").splitlines()[1:9]
    canvas = Image.new("L", (4500, 6000), 255)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.truetype(str(FONT), 30)
    for k, line in enumerate(lines):
        draw.text((1200, 2500 + k * 40), line, font=font, fill=0)
    result = engine.recognize(canvas)
    assert cer(text(result), "\n".join(lines)) < 0.03


def test_upright_reading_matches_turned_reading(engine: OcrEngine) -> None:
    upright = page("rotated_90_inaugural").rotate(90, expand=True)
    upright = upright.crop((0, 0, upright.width, 700))
    straight = engine.recognize(upright)
    turned = engine.recognize(upright.rotate(180))
    assert turned.rotation == 180 and straight.rotation == 0
    assert [line.text for line in turned.lines] == [line.text for line in straight.lines]
    for a, b in zip(straight.lines, turned.lines, strict=True):
        for (xa, ya), (xb, yb) in zip(a.box, b.box, strict=True):
            assert abs(xa - xb) < 15 and abs(ya - yb) < 15  # the detector's grid: 2.5 px


def test_non_latin_1_text(engine: OcrEngine) -> None:
    result = engine.recognize(page("unicode_quotations"))
    got = text(result)
    assert cer(got, truth("unicode_quotations")) < 0.10
    for expected in ("—", "ß", "é", "ö", "Łódź", "€"):
        assert expected in got


@pytest.mark.parametrize("mode", ["1", "P", "RGBA"])
def test_image_modes(engine: OcrEngine, mode: str) -> None:
    image = page("plain_declaration").crop((0, 0, 2550, 620))
    expected = "\n".join(truth("plain_declaration").splitlines()[:4])
    assert cer(text(engine.recognize(image.convert(mode))), expected) < 0.03


def test_blank_and_empty_pages(engine: OcrEngine) -> None:
    assert engine.recognize(Image.new("L", (1275, 1650), 255)) == OcrResult(lines=[])
    assert engine.recognize(Image.new("RGB", (0, 0))) == OcrResult(lines=[])
    assert engine.recognize(Image.new("L", (5, 3), 0)).lines == []


def test_engine_failures_are_one_line_ocr_errors(
    engine: OcrEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def run(self, *args: object) -> None:
            raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION\nstack trace")

    monkeypatch.setattr(engine, "_det", Broken())
    with pytest.raises(OcrError) as failure:
        engine.recognize(page("plain_gettysburg"))
    assert "\n" not in str(failure.value)
    assert "RUNTIME_EXCEPTION" in str(failure.value)


def test_detector_map_becomes_boxes_on_the_page(
    engine: OcrEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The detector sees a 2550 x 3300 page at 800 x 1024 and marks one shrunk text region
    # and a speck; the region comes back grown, in page pixels, clockwise from top-left.
    inputs: list[tuple[int, ...]] = []

    class Detector:
        def run(self, outputs: object, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
            (tensor,) = feed.values()
            inputs.append(tensor.shape)
            pred = np.zeros((1, 1, *tensor.shape[2:]), np.float32)
            pred[0, 0, 400:410, 100:700] = 0.9
            pred[0, 0, 50:51, 50:51] = 0.9
            return [pred]

    monkeypatch.setattr(engine, "_det", Detector())
    (quad,) = engine.detect(np.full((3300, 2550), 255, np.uint8))  # type: ignore[attr-defined]
    assert inputs == [(1, 3, 1024, 800)]
    sx, sy = 2550 / 800, 3300 / 1024
    grown = 6000 * 1.6 / 1220  # DB's unclip distance: area * ratio / perimeter
    (x0, y0), (x1, y1) = (100 - grown, 400 - grown), (700 + grown, 410 + grown)
    expected = [(x0 * sx, y0 * sy), (x1 * sx, y0 * sy), (x1 * sx, y1 * sy), (x0 * sx, y1 * sy)]
    np.testing.assert_allclose(quad, expected, atol=2 * max(sx, sy))


def test_recogniser_output_is_decoded_with_the_models_characters(
    engine: OcrEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The character list comes from the model; class 0 is CTC's blank and the class
    # after the last character is the space.
    rec = engine._rec  # type: ignore[attr-defined]
    characters = rec.get_modelmeta().custom_metadata_map["character"].splitlines()
    classes = len(characters) + 2

    def spelled(text: str) -> np.ndarray:
        steps = []
        for char in text:  # each character twice, then a blank: repeats are merged
            k = classes - 1 if char == " " else characters.index(char) + 1
            steps += [k, k, 0]
        probs = np.full((1, len(steps), classes), 0.01 / classes, np.float32)
        probs[0, np.arange(len(steps)), steps] = 0.8
        return probs

    widths: list[int] = []

    class Recogniser:
        def run(self, outputs: object, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
            (tensor,) = feed.values()
            assert tensor.shape[:3] == (1, 3, 48)
            widths.append(tensor.shape[3])
            return [spelled("a long line" if tensor.shape[3] > 320 else "ab")]

    monkeypatch.setattr(engine, "_rec", Recogniser())
    short, long = np.zeros((40, 100), np.uint8), np.zeros((40, 1000, 3), np.uint8)
    readings = engine.read([short, long])  # type: ignore[attr-defined]
    assert [text for text, _ in readings] == ["ab", "a long line"]
    assert all(confidence == pytest.approx(0.8) for _, confidence in readings)
    # 48 px high at 0.9 of the width; short lines are padded to 320 px.
    assert sorted(widths) == [320, 1080]


def test_works_without_network_and_prints_nothing(tmp_path: Path) -> None:
    code = (
        "import socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from rapidocr.utils.download_file import DownloadFile\n"
        "DownloadFile.run = refuse\n"
        "from PIL import Image\n"
        "from docscan.ocr import get_engine\n"
        "image = Image.open(r'%s').crop((0, 0, 2550, 500))\n"
        "result = get_engine().recognize(image)\n"
        "assert result.lines and result.rotation == 0, result\n"
        "import logging\n"
        "logging.getLogger('RapidOCR').error('rapidocr logs')\n"
    ) % (DATA / "plain_gettysburg.png")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""
