"""Reading order on synthetic line boxes (fast: no OCR engine)."""

from __future__ import annotations

import math
import random

import pytest

from docscan.models import Box, Line
from docscan.ocr.layout import dominant_angle, reading_order

LINE_HEIGHT = 50  # about 11 pt text at 300 dpi
LEADING = 70


def line(text: str, x: float, y: float, width: float, height: float = LINE_HEIGHT) -> Line:
    box = ((x, y), (x + width, y), (x + width, y + height), (x, y + height))
    return Line(text=text, box=box, confidence=0.99)


def rotated(lines: list[Line], degrees: float, cx: float = 1275, cy: float = 1650) -> list[Line]:
    """The same lines on a page turned by `degrees` (clockwise on screen, y down)."""
    a = math.radians(degrees)

    def turn(p: tuple[float, float]) -> tuple[float, float]:
        x, y = p[0] - cx, p[1] - cy
        return (cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a))

    return [Line(ln.text, _box([turn(p) for p in ln.box]), ln.confidence) for ln in lines]


def _box(points: list[tuple[float, float]]) -> Box:
    a, b, c, d = points
    return (a, b, c, d)


def column(prefix: str, x: float, top: float, count: int, width: float = 900) -> list[Line]:
    # A ragged right edge, like real text.
    return [
        line(f"{prefix}{k}", x, top + k * LEADING, width - (k * 37) % 200) for k in range(count)
    ]


def texts(lines: list[Line]) -> list[str]:
    return [ln.text for ln in lines]


def shuffled(lines: list[Line], seed: int = 1) -> list[Line]:
    copy = list(lines)
    random.Random(seed).shuffle(copy)
    return copy


def test_empty_and_single() -> None:
    assert reading_order([]) == []
    only = line("a", 10, 10, 100)
    assert reading_order([only]) == [only]


def test_single_column_is_top_to_bottom() -> None:
    lines = column("L", 300, 300, 30, width=1950)
    assert texts(reading_order(shuffled(lines))) == texts(lines)


def test_two_columns_are_read_one_after_the_other() -> None:
    left = column("L", 300, 300, 25)
    right = column("R", 1350, 300, 25)
    assert texts(reading_order(shuffled(left + right))) == texts(left + right)


def test_full_width_title_comes_before_the_columns() -> None:
    title = [line("title", 500, 150, 1550, height=110)]
    left = column("L", 300, 330, 20)
    right = column("R", 1350, 330, 18)
    expected = texts(title + left + right)
    assert texts(reading_order(shuffled(title + left + right))) == expected


def test_columns_with_offset_baselines() -> None:
    left = column("L", 300, 300, 20)
    right = column("R", 1350, 300 + LEADING / 2, 20)
    title = [line("title", 300, 100, 1950)]
    assert texts(reading_order(shuffled(title + left + right))) == texts(title + left + right)


def test_three_columns() -> None:
    cols = [column(f"C{c}", 200 + c * 730, 300, 15, width=650) for c in range(3)]
    expected = [t for col in cols for t in texts(col)]
    assert texts(reading_order(shuffled([ln for col in cols for ln in col]))) == expected


def test_lines_on_one_baseline_are_left_to_right() -> None:
    row = [line("a", 300, 300, 400), line("b", 760, 302, 300), line("c", 1100, 298, 500)]
    below = [line("d", 300, 300 + LEADING, 1300)]
    assert texts(reading_order(shuffled(row + below, 3))) == ["a", "b", "c", "d"]


def test_touching_pieces_of_one_line_are_left_to_right() -> None:
    # The detector sometimes splits a line at a wide space: no gutter, still one row.
    row = [line("a", 300, 303, 500), line("b", 805, 300, 600)]
    assert texts(reading_order([row[1], row[0]])) == ["a", "b"]


def test_sections_alternate_between_full_width_and_two_columns() -> None:
    head = column("H", 300, 200, 3, width=1950)
    left1, right1 = column("A", 300, 450, 6), column("B", 1350, 450, 6)
    middle = column("M", 300, 950, 2, width=1950)
    left2, right2 = column("C", 300, 1150, 5), column("D", 1350, 1150, 4)
    footer = [line("page 3", 1200, 3000, 150)]
    everything = head + left1 + right1 + middle + left2 + right2 + footer
    assert texts(reading_order(shuffled(everything))) == texts(everything)


def test_table_of_contents_is_read_row_by_row() -> None:
    # The page numbers form a narrow column: not a text column.
    rows = []
    for k in range(8):
        y = 400 + k * LEADING
        rows += [line(f"chapter {k}", 300, y, 700 + (k * 53) % 300), line(f"p{k}", 2150, y, 80)]
    assert texts(reading_order(shuffled(rows))) == texts(rows)


def test_skewed_scan_keeps_rows_and_columns() -> None:
    # Long lines turned by 2.5 degrees: their upright bounding boxes overlap the next line,
    # and the gutter is slanted.
    title = [line("title", 400, 200, 1750, height=100)]
    left = column("L", 300, 400, 20)
    right = column("R", 1350, 400, 20)
    for degrees in (-2.5, 2.5):
        page = rotated(title + left + right, degrees)
        assert texts(reading_order(shuffled(page))) == texts(title + left + right)
    single = column("S", 300, 300, 20, width=1950)
    assert texts(reading_order(shuffled(rotated(single, 3)))) == texts(single)


def test_order_does_not_depend_on_resolution() -> None:
    title = [line("title", 500, 150, 1550, height=110)]
    lines = title + column("L", 300, 330, 12) + column("R", 1350, 330, 12)

    def scaled(ln: Line, f: float) -> Line:
        return Line(ln.text, _box([(x * f, y * f) for x, y in ln.box]), ln.confidence)

    for factor in (0.2, 0.5, 3.0):
        page = [scaled(ln, factor) for ln in lines]
        assert texts(reading_order(shuffled(page, 7))) == texts(lines)


@pytest.mark.parametrize("seed", range(5))
def test_input_order_does_not_matter(seed: int) -> None:
    title = [line("title", 500, 150, 1550, height=110)]
    lines = title + column("L", 300, 330, 10) + column("R", 1350, 330, 9)
    assert texts(reading_order(shuffled(lines, seed))) == texts(lines)


def test_dominant_angle() -> None:
    lines = column("L", 300, 300, 10, width=1500)
    assert dominant_angle([ln.box for ln in lines]) == 0.0
    turned = rotated(lines, 2.0)
    assert math.degrees(dominant_angle([ln.box for ln in turned])) == pytest.approx(2.0)
    assert dominant_angle([]) == 0.0
