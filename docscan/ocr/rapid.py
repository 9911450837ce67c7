"""OCR with the PP-OCR models that ship inside the rapidocr wheel, run by onnxruntime.

The models' post-processing is rapidocr's own: `DBPostProcess` turns the detector's
probability map into text line quadrilaterals, and `CTCLabelDecode` turns the
recogniser's output into text and confidence, with the character list stored in the
model. The pipeline around them is tuned here for page scans (rapidocr's defaults are
tuned for Chinese text at any angle):

* Detection runs on the page scaled down to `det_max_side` (text lines stay well above
  the detector's minimum size), or larger when the letters would get too small for it
  (small print on a large image); the boxes are mapped back and every line is cut out
  of the full-resolution page, so recognition loses nothing.
* Orientation: if most detected lines are taller than wide, the page lies on its side
  (90 or 270 degrees), else it is upright or upside down (0 or 180). Which of the two is
  decided by recognising the middle part of a few of the longest lines both ways up and
  keeping the more confident reading: upside-down text reads as low-confidence
  gibberish. If even the better reading is poor, the other two orientations are tried
  too. No per-line angle classifier (it flips correct lines). On an upright page this
  costs 4 short line reads, a few percent of the page.
* Recognition runs line by line (no padding to a batch's widest line) on a small thread
  pool, one onnxruntime thread per line, on lines narrowed to `rec_width_scale`.
* Nothing is downloaded, nothing is printed: model files are opened by path (a missing
  file is an `OcrError`), and rapidocr's logger is silenced.

What else rapidocr offers is not used, because:

* `DetPreProcess` scales images with bilinear interpolation. Scaled down several times,
  thin strokes break up, letters measure too small, and small print on a large image is
  then detected at a size where the detector misses lines (34% character errors instead
  of none in the small-print test). Here the page is scaled with area averaging, then
  normalised to [-1, 1] as rapidocr does.
* `TextDetector` scales every image with `DetPreProcess`, to a limit fixed when it is
  built; the small-print pass needs a size per page.
* `TextRecognizer` pads all lines of a batch to the widest one and has no width scale.
  Fed one line at a time, narrowed while it is cut out, it reads as well but a few
  percent slower, needs grey lines turned to colour, and reports onnxruntime errors as a
  multi-line traceback. The few lines that scale, pad and normalise a line are kept.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from docscan.errors import OcrError
from docscan.models import Box, Line, OcrResult
from docscan.ocr.layout import reading_order

if TYPE_CHECKING:
    import numpy as np

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"

# Detection (DB) post-processing, as rapidocr's TextDetector sets it.
DET_THRESH = 0.3
DET_BOX_THRESH = 0.5
DET_UNCLIP_RATIO = 1.6
DET_MAX_CANDIDATES = 1000
# Text whose letters are smaller than this in the detector's input (median height in
# pixels, about 3/4 of the font size) is detected on a larger image, with letters
# DET_TARGET_GLYPH high; 10 to 12 pt at 300 dpi is 8 to 10 px in a 1024 px page.
DET_MIN_GLYPH = 6
DET_TARGET_GLYPH = 9
DET_LARGEST_SIDE = 4096

REC_HEIGHT = 48
REC_MIN_WIDTH = 320  # short lines are padded to this width, as in training

# Orientation: how many lines to read both ways up (first, and at most), and how much of
# each; the first ones settle it when they agree with a confidence and a margin this high.
ORIENT_FIRST_SAMPLES = 2
ORIENT_SAMPLES = 4
ORIENT_SURE = 0.9
ORIENT_MARGIN = 0.15
ORIENT_WINDOW = 8.0  # window width, in line heights
# Below this mean confidence, the other two orientations are tried as well.
ORIENT_RECHECK = 0.8


def model_dir() -> Path:
    import rapidocr  # cheap: the package imports its pipeline lazily

    return Path(rapidocr.__file__).resolve().parent / "models"


def default_threads() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    return max(1, min(count, 8))


class RapidOcrEngine:
    """`OcrEngine` on rapidocr's bundled PP-OCRv6 models (CPU, no network).

    `det_max_side`: longest side of the image given to the text detector.
    `rec_width_scale`: horizontal scale of line images for the recogniser (below 1 it
    reads faster; the model tolerates narrower glyphs well).
    `min_confidence`: lines read with less confidence than this are dropped (specks).
    """

    name = "rapidocr"

    def __init__(
        self,
        *,
        threads: int | None = None,
        det_max_side: int = 1024,
        rec_width_scale: float = 0.9,
        min_confidence: float = 0.5,
        models: Path | None = None,
    ) -> None:
        self.threads = threads or default_threads()
        self.det_max_side = det_max_side
        self.rec_width_scale = rec_width_scale
        self.min_confidence = min_confidence
        try:
            self._load(models or model_dir())
        except OcrError:
            raise
        except Exception as exc:
            raise OcrError(f"cannot load the OCR models: {_one_line(exc)}") from exc

    def _load(self, models: Path) -> None:
        import onnxruntime
        from rapidocr.ch_ppocr_det.utils import DBPostProcess
        from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

        # Importing rapidocr's modules sets its logger to print INFO and up to stderr.
        logging.getLogger("RapidOCR").setLevel(logging.CRITICAL)
        for name in (DET_MODEL, REC_MODEL):
            if not (models / name).is_file():
                raise OcrError(
                    f"OCR model {name} is missing from {models}; reinstall rapidocr==3.10.0"
                )

        def session(path: Path, threads: int) -> Any:
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Idle worker threads sleep instead of spinning on the cores the line
            # recognisers need.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            return onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )

        self._det = session(models / DET_MODEL, self.threads)
        self._rec = session(models / REC_MODEL, 1)
        self._det_input = self._det.get_inputs()[0].name
        self._rec_input = self._rec.get_inputs()[0].name
        self._det_postprocess = DBPostProcess(
            thresh=DET_THRESH,
            box_thresh=DET_BOX_THRESH,
            max_candidates=DET_MAX_CANDIDATES,
            unclip_ratio=DET_UNCLIP_RATIO,
            score_mode="fast",
            use_dilation=True,
        )
        characters = self._rec.get_modelmeta().custom_metadata_map.get("character")
        if not characters:
            raise OcrError(f"OCR model {REC_MODEL} has no character list")
        self._ctc_decode = CTCLabelDecode(character=characters.splitlines())
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="docscan-ocr")

    # -- public ----------------------------------------------------------------------

    def recognize(self, image: Image.Image) -> OcrResult:
        try:
            return self._recognize(image)
        except OcrError:
            raise
        except Exception as exc:
            raise OcrError(f"OCR failed: {_one_line(exc)}") from exc

    # -- pipeline --------------------------------------------------------------------

    def _recognize(self, image: Image.Image) -> OcrResult:
        pixels = to_pixels(image)
        if pixels.size == 0:
            return OcrResult(lines=[], rotation=0)
        quads = self.detect(pixels)
        if not quads:
            return OcrResult(lines=[], rotation=0)
        rotation = self.orientation(pixels, quads)
        height, width = pixels.shape[:2]
        placed = [upright_quad(q, rotation, width, height) for q in quads]
        crops = [crop(pixels, source) for _, source in placed]
        readings = self.read(crops)
        lines = [
            Line(text=text, box=_box(box), confidence=round(confidence, 4))
            for (box, _), (text, confidence) in zip(placed, readings, strict=True)
            if text.strip() and confidence >= self.min_confidence
        ]
        return OcrResult(lines=reading_order(lines), rotation=rotation)

    def detect(self, pixels: np.ndarray) -> list[np.ndarray]:
        """Text line quadrilaterals (4x2 float32, clockwise) in `pixels` coordinates."""
        height, width = pixels.shape[:2]
        scale = min(1.0, self.det_max_side / max(height, width))
        small = _resized(pixels, scale)
        glyphs = glyph_height(small)
        if glyphs is not None and glyphs < DET_MIN_GLYPH and scale < 1.0:
            # Small print on a large image: the detector would merge or miss the lines.
            larger = min(
                1.0, scale * DET_TARGET_GLYPH / glyphs, DET_LARGEST_SIDE / max(height, width)
            )
            if larger > scale * 1.2:
                small = _resized(pixels, larger)
        tensor = _normalized(small)[None]
        pred = self._det.run(None, {self._det_input: tensor})[0]
        boxes, _ = self._det_postprocess(pred, (height, width))
        return list(boxes)

    def orientation(self, pixels: np.ndarray, quads: Sequence[np.ndarray]) -> int:
        """0, 90, 180 or 270: the counter-clockwise turn that makes the page upright."""
        tall = wide = 0.0
        for quad in quads:
            across, down = _side_lengths(quad)
            if across >= 2 * down:
                wide += across
            elif down >= 2 * across:
                tall += down
        # The longest lines carry the most evidence; two are usually plenty.
        longest = sorted(quads, key=lambda q: -max(_side_lengths(q)))[:ORIENT_SAMPLES]
        first = 90 if tall > wide else 0
        as_is, turned = self._both_ways(pixels, longest[:ORIENT_FIRST_SAMPLES], first)
        if not _clear_winner(as_is, turned):
            more = self._both_ways(pixels, longest[ORIENT_FIRST_SAMPLES:], first)
            as_is, turned = as_is + more[0], turned + more[1]
        rotation, confidence = _better(first, as_is, turned)
        if confidence < ORIENT_RECHECK:
            # Poor reading: make sure the lines do not run the other way after all.
            other, other_confidence = _better(
                first + 90, *self._both_ways(pixels, longest, first + 90)
            )
            if other_confidence > confidence:
                return other
        return rotation

    def _both_ways(
        self, pixels: np.ndarray, quads: Sequence[np.ndarray], rotation: int
    ) -> tuple[list[float], list[float]]:
        """Confidence of reading the middle of each line turned by `rotation`, and by
        `rotation` + 180."""
        if not quads:
            return [], []
        height, width = pixels.shape[:2]
        windows = []
        for quad in quads:
            _, source = upright_quad(quad, rotation % 360, width, height)
            line = crop(pixels, source)
            h, w = line.shape[:2]
            span = min(w, max(1, round(ORIENT_WINDOW * h)))
            start = (w - span) // 2
            windows.append(line[:, start : start + span])
        flipped = [w[::-1, ::-1] for w in windows]
        as_is, turned = self._pool.map(self._read_batch, [windows, flipped])
        return [c for _, c in as_is], [c for _, c in turned]

    def read(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence of each line image, in the same order."""
        widest_first = sorted(range(len(crops)), key=lambda i: -crops[i].shape[1])
        results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        readings = self._pool.map(lambda i: self._read_batch([crops[i]])[0], widest_first)
        for i, reading in zip(widest_first, readings, strict=True):
            results[i] = reading
        return results

    def _read_batch(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        import cv2
        import numpy as np

        widths = [
            max(1, math.ceil(REC_HEIGHT * c.shape[1] / max(c.shape[0], 1) * self.rec_width_scale))
            for c in crops
        ]
        batch = np.zeros((len(crops), 3, REC_HEIGHT, max(REC_MIN_WIDTH, *widths)), np.float32)
        for k, (line, w) in enumerate(zip(crops, widths, strict=True)):
            resized = cv2.resize(line, (w, REC_HEIGHT), interpolation=cv2.INTER_LINEAR)
            batch[k, :, :, :w] = _normalized(resized)
        probs = self._rec.run(None, {self._rec_input: batch})[0]
        readings, _ = self._ctc_decode(probs)
        return readings


def _better(rotation: int, as_is: list[float], turned: list[float]) -> tuple[int, float]:
    """`rotation` or the opposite one, whichever reads with more confidence, and that."""
    mean, mean_turned = sum(as_is) / len(as_is), sum(turned) / len(turned)
    if mean_turned > mean:
        return (rotation + 180) % 360, mean_turned
    return rotation % 360, mean


def _clear_winner(as_is: list[float], turned: list[float]) -> bool:
    """Every line reads better the same way up, confidently and by a wide margin."""
    one_way = all(a > t for a, t in zip(as_is, turned, strict=True))
    other_way = all(t > a for a, t in zip(as_is, turned, strict=True))
    best, worst = max(sum(as_is), sum(turned)), min(sum(as_is), sum(turned))
    count = len(as_is)
    return (
        (one_way or other_way)
        and best >= ORIENT_SURE * count
        and best - worst >= (ORIENT_MARGIN * count)
    )


# -- pixels and geometry ---------------------------------------------------------------


def to_pixels(image: Image.Image) -> np.ndarray:
    """8-bit pixels: H x W for grey images, H x W x 3 (BGR, the models' order) otherwise.

    Transparent areas become white; 16-bit and float images are stretched to 8 bits.
    """
    import numpy as np

    image.load()
    mode = image.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float32)
        low, high = float(values.min()), float(values.max())
        if high <= low:
            return np.full(values.shape, 255, np.uint8)
        return np.ascontiguousarray((values - low) * (255.0 / (high - low)), dtype=np.uint8)
    grey = mode in ("1", "L", "LA", "La")
    if "A" in mode or "a" in mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    if grey:
        return np.asarray(image.convert("L"))
    rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _normalized(pixels: np.ndarray) -> np.ndarray:
    """C x H x W float32 in [-1, 1]; grey pixels are repeated into three channels."""
    import numpy as np

    scaled = pixels.astype(np.float32) * (2.0 / 255.0) - 1.0
    if scaled.ndim == 2:
        return np.broadcast_to(scaled, (3, *scaled.shape))
    return scaled.transpose(2, 0, 1)


def _resized(pixels: np.ndarray, scale: float) -> np.ndarray:
    """`pixels` scaled by about `scale`, both sides a multiple of 32 (for the detector)."""
    import cv2

    height, width = pixels.shape[:2]
    size = (max(32, round(width * scale / 32) * 32), max(32, round(height * scale / 32) * 32))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def glyph_height(pixels: np.ndarray) -> float | None:
    """Median height of the dark specks (letters) in `pixels`; None if there are none.

    A few milliseconds on a detector-sized image: adaptive threshold, then connected
    components, ignoring single pixels and anything taller than a quarter of the image.
    """
    import cv2
    import numpy as np

    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
    ink = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 10
    )
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    keep = (heights >= 2) & (stats[1:, cv2.CC_STAT_AREA] >= 3) & (heights <= grey.shape[0] // 4)
    return float(np.median(heights[keep])) if keep.any() else None


def _side_lengths(quad: np.ndarray) -> tuple[float, float]:
    """Lengths (across, down) of a clockwise quadrilateral's first and last edges."""
    across = math.hypot(*(quad[1] - quad[0]))
    down = math.hypot(*(quad[3] - quad[0]))
    return across, down


def upright_quad(
    quad: np.ndarray, rotation: int, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """`quad` in the page turned by `rotation`, starting at the text's top-left corner.

    Returns (the quad in upright page coordinates, the same corners in source
    coordinates and in the same order): cropping along the latter yields upright text.
    """
    import numpy as np

    x, y = quad[:, 0], quad[:, 1]
    if rotation == 90:
        turned = np.stack([y, width - x], axis=1)
    elif rotation == 180:
        turned = np.stack([width - x, height - y], axis=1)
    elif rotation == 270:
        turned = np.stack([height - y, x], axis=1)
    else:
        turned = quad.copy()
    # The top edge is the one that points most to the right (turns keep the order
    # clockwise).
    edges = np.roll(turned, -1, axis=0) - turned
    lengths = np.maximum(np.hypot(edges[:, 0], edges[:, 1]), 1e-6)
    start = int(np.argmax(edges[:, 0] / lengths))
    return np.roll(turned, -start, axis=0), np.roll(quad, -start, axis=0)


def crop(pixels: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The quadrilateral `corners` (top-left first, clockwise) straightened out."""
    import cv2
    import numpy as np

    width = max(1, round(max(_dist(corners[0], corners[1]), _dist(corners[3], corners[2]))))
    height = max(1, round(max(_dist(corners[0], corners[3]), _dist(corners[1], corners[2]))))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(
        pixels, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def _dist(a: np.ndarray, b: np.ndarray) -> float:
    return math.hypot(float(a[0] - b[0]), float(a[1] - b[1]))


def _box(quad: np.ndarray) -> Box:
    (a, b, c, d) = ((round(float(x), 1), round(float(y), 1)) for x, y in quad)
    return (a, b, c, d)


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    message = lines[0] if lines else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
