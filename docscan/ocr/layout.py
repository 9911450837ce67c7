"""Reading order of text lines on a page, from their boxes alone.

`reading_order` is a recursive XY-cut on the lines' boxes:

1. If a vertical gap (a gutter) runs through the whole block, the block is split into
   columns there, read left to right.
2. Otherwise the block is cut into bands at every horizontal gap (rows of lines), and
   consecutive bands that share a gutter are grouped again, so that the rows of a
   multi-column region stay together and are split into columns in step 1, while a
   full-width title or paragraph above or below them stays a block of its own.
3. A band that cannot be split is one row: read left to right.

Boxes are first rotated by the page's dominant text angle, so a slightly skewed scan
(a few degrees) is ordered like a straight one. Gaps are measured in units of the median
line height, so the result does not depend on the resolution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from docscan.models import Box, Line

# A gutter is at least this many line heights wide...
MIN_GUTTER = 0.6
# ...and each column it separates at least this many line heights wide (so a column of
# page numbers in a table of contents does not split the page).
MIN_COLUMN = 3.0
# Lines whose middle parts (this fraction of their height) overlap vertically share a row.
ROW_CORE = 0.6
# Skew beyond this is not a skewed scan but a rotated page: left alone here.
MAX_SKEW_DEGREES = 20.0


@dataclass(frozen=True)
class _Rect:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2


def reading_order(lines: Sequence[Line]) -> list[Line]:
    """The lines sorted in reading order (columns left to right, each top to bottom)."""
    if len(lines) < 2:
        return list(lines)
    angle = dominant_angle([line.box for line in lines])
    rects = [_deskewed_rect(line.box, angle) for line in lines]
    unit = median(r.height for r in rects) or 1.0
    cutter = _XYCut(rects, unit)
    return [lines[i] for i in cutter.order(list(range(len(lines))))]


def dominant_angle(boxes: Sequence[Box]) -> float:
    """Median angle (radians, y down) of the top edges of clearly horizontal boxes."""
    angles = []
    for box in boxes:
        (x0, y0), (x1, y1) = box[0], box[1]
        width = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(box[3][0] - x0, box[3][1] - y0)
        if width > 2 * height and x1 > x0:
            angles.append(math.atan2(y1 - y0, x1 - x0))
    if not angles:
        return 0.0
    angle = median(angles)
    return angle if abs(angle) <= math.radians(MAX_SKEW_DEGREES) else 0.0


def _deskewed_rect(box: Box, angle: float) -> _Rect:
    cos, sin = math.cos(-angle), math.sin(-angle)
    xs = [x * cos - y * sin for x, y in box]
    ys = [x * sin + y * cos for x, y in box]
    return _Rect(min(xs), min(ys), max(xs), max(ys))


class _XYCut:
    def __init__(self, rects: list[_Rect], unit: float) -> None:
        self.rects = rects
        self.min_gutter = MIN_GUTTER * unit
        self.min_column = MIN_COLUMN * unit

    def order(self, ids: list[int]) -> list[int]:
        if len(ids) < 2:
            return ids
        columns = self.columns(ids)
        if len(columns) > 1:
            return [i for column in columns for i in self.order(column)]
        bands = self.bands(ids)
        if len(bands) == 1:
            # One row: whatever is side by side is read left to right.
            pieces = self.x_segments(ids)
            if len(pieces) > 1:
                return [i for piece in pieces for i in self.order(piece)]
            return sorted(ids, key=lambda i: (self.rects[i].yc, self.rects[i].x0))
        groups = self.group(bands)
        if len(groups) == 1:  # cannot happen (step 1 would have split); stay safe
            return [i for band in bands for i in sorted(band, key=lambda i: self.rects[i].x0)]
        return [i for group in groups for i in self.order(group)]

    def x_segments(self, ids: list[int], min_gap: float = 0.0) -> list[list[int]]:
        """`ids` split wherever a vertical gap wider than `min_gap` runs through them."""
        ids = sorted(ids, key=lambda i: self.rects[i].x0)
        segments = [[ids[0]]]
        right = self.rects[ids[0]].x1
        for i in ids[1:]:
            rect = self.rects[i]
            if rect.x0 - right > min_gap:
                segments.append([i])
            else:
                segments[-1].append(i)
            right = max(right, rect.x1)
        return segments

    def columns(self, ids: list[int]) -> list[list[int]]:
        """Columns separated by gutters, left to right; narrow ones join a neighbour."""
        columns = self.x_segments(ids, self.min_gutter)
        while len(columns) > 1:
            widths = [self._width(c) for c in columns]
            narrow = min(range(len(columns)), key=widths.__getitem__)
            if widths[narrow] >= self.min_column:
                break
            # Join the narrowest column with the neighbour across the smaller gap.
            if narrow == 0:
                other = 1
            elif narrow == len(columns) - 1:
                other = narrow - 1
            else:
                left = self._gap(columns[narrow - 1], columns[narrow])
                right = self._gap(columns[narrow], columns[narrow + 1])
                other = narrow - 1 if left <= right else narrow + 1
            first = min(narrow, other)
            columns[first : first + 2] = [columns[first] + columns[first + 1]]
        return columns

    def bands(self, ids: list[int]) -> list[list[int]]:
        """Rows, top to bottom: lines whose vertical cores overlap, transitively."""

        def core(i: int) -> tuple[float, float]:
            rect = self.rects[i]
            half = rect.height * ROW_CORE / 2
            return rect.yc - half, rect.yc + half

        ids = sorted(ids, key=lambda i: core(i)[0])
        bands = [[ids[0]]]
        bottom = core(ids[0])[1]
        for i in ids[1:]:
            top, low = core(i)
            if top > bottom:
                bands.append([i])
            else:
                bands[-1].append(i)
            bottom = max(bottom, low)
        return bands

    def group(self, bands: list[list[int]]) -> list[list[int]]:
        """Consecutive bands joined while they keep a common gutter."""
        groups = [list(bands[0])]
        for band in bands[1:]:
            joined = groups[-1] + band
            if len(self.columns(joined)) > 1:
                groups[-1] = joined
            else:
                groups.append(list(band))
        return groups

    def _width(self, ids: list[int]) -> float:
        return max(self.rects[i].x1 for i in ids) - min(self.rects[i].x0 for i in ids)

    def _gap(self, left: list[int], right: list[int]) -> float:
        return min(self.rects[i].x0 for i in right) - max(self.rects[i].x1 for i in left)
