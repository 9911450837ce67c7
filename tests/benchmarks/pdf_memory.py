"""Peak memory, time and size of the PDF writers as the page count grows.

Run from the repository root:

    python tests/benchmarks/pdf_memory.py [--pages 10 100] [--kind searchable text]

Each measurement runs in a fresh process, so its peak RSS is its own. The page is a
2550x3300 greyscale PNG (letter size at 300 dpi) with 40 lines of text; every page of a
run reads that file again, as an export of a real project reads one stored PNG per page.
Peak RSS should stay about the same whatever the page count.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

WIDTH, HEIGHT, LINES = 2550, 3300, 40


def make_sample(directory: Path) -> Path:
    """The page image and its OCR lines (as JSON next to it)."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = Path(__file__).resolve().parents[2] / "docscan/pdf/fonts/DejaVuSans.ttf"
    font = ImageFont.truetype(str(font_path), 42)
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(image)
    lines = []
    for i in range(LINES):
        text = f"{i + 1:02d}. Straße, café, “quotes” — the quick brown fox jumps over the lazy dog"
        left, top, right, bottom = draw.textbbox((150, 150 + i * 75), text, font=font)
        draw.text((150, 150 + i * 75), text, font=font, fill=20)
        box = [[left, top], [right, top], [right, bottom], [left, bottom]]
        lines.append({"text": text, "box": box, "confidence": 0.95})
    path = directory / "page.png"
    image.save(path)
    (directory / "lines.json").write_text(json.dumps(lines))
    return path


def child(kind: str, pages: int, directory: Path) -> None:
    from docscan.models import Line
    from docscan.pdf import PdfPage, write_searchable_pdf, write_text_pdf

    image = directory / "page.png"
    lines = [Line.from_dict(item) for item in json.loads((directory / "lines.json").read_text())]

    def page_stream():  # built lazily, as an exporter would
        for _ in range(pages):
            yield PdfPage(WIDTH, HEIGHT, list(lines), image_path=image)

    out = directory / f"{kind}-{pages}.pdf"
    writer = write_searchable_pdf if kind == "searchable" else write_text_pdf
    writer([next(page_stream())], directory / "warmup.pdf")  # imports, font parsing
    baseline = _peak_rss_mib()
    start = time.perf_counter()
    written = writer(page_stream(), out)
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "kind": kind,
                "pages": written,
                "baseline_mib": baseline,
                "peak_mib": _peak_rss_mib(),
                "seconds_per_page": elapsed / written,
                "kib_per_page": out.stat().st_size / 1024 / written,
            }
        )
    )


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--kind", nargs="+", choices=["searchable", "text"], default=None)
    parser.add_argument(
        "--child", nargs=3, metavar=("KIND", "PAGES", "DIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        kind, pages, directory = args.child
        child(kind, int(pages), Path(directory))
        return
    kinds = args.kind or ["searchable", "text"]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        sample = make_sample(directory)
        print(f"page image: {sample.stat().st_size / 1024:.0f} KiB PNG, {WIDTH}x{HEIGHT} L")
        print(
            f"{'kind':<11}{'pages':>6}{'base MiB':>10}{'peak MiB':>10}{'s/page':>9}{'KiB/page':>10}"
        )
        for kind in kinds:
            for pages in args.pages:
                result = subprocess.run(
                    [sys.executable, __file__, "--child", kind, str(pages), tmp],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                row = json.loads(result.stdout.strip().splitlines()[-1])
                print(
                    f"{row['kind']:<11}{row['pages']:>6}{row['baseline_mib']:>10.1f}"
                    f"{row['peak_mib']:>10.1f}{row['seconds_per_page']:>9.3f}"
                    f"{row['kib_per_page']:>10.1f}"
                )


if __name__ == "__main__":
    main()
