"""Local OCR benchmark on the sample pages in tests/data.

    python -m tests.benchmarks.local [--repeat N] [--compare-baseline] [--json FILE]

For each engine configuration, in a fresh child process (so that peak memory is its own):
engine load time (building the engine and reading a first small image), median seconds
per page and CPU seconds per page (OCR only, image already decoded), pages per second
over the whole set, peak RSS, and the character error rate of every sample against its
ground truth (whitespace-normalised Levenshtein; reading order counts).

`--compare-baseline` also runs rapidocr as it comes (its defaults, with `use_cls=False`,
lines in its own order) in the same run. The start-up time of `python -m docscan --help`
and of `import docscan.ocr` is measured too when the CLI exists, and so is a whole
`docscan scan` of every sample page into one PDF (pages per second, peak RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from docscan.models import Box

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CONFIGS = ("docscan", "baseline")


def samples() -> list[tuple[str, Path, Path]]:
    """(name, image, ground truth) for every sample page."""
    found = []
    for truth in sorted(DATA.glob("*.txt")):
        for suffix in (".png", ".jpg"):
            image = truth.with_suffix(suffix)
            if image.exists():
                found.append((truth.stem, image, truth))
    return found


# -- child: one configuration ----------------------------------------------------------


def box_of(points: list[list[float]]) -> Box:
    a, b, c, d = ((float(x), float(y)) for x, y in points)
    return (a, b, c, d)


class Baseline:
    """rapidocr with its defaults and no per-line angle classifier."""

    name = "baseline"

    def __init__(self) -> None:
        from rapidocr import RapidOCR

        self.engine = RapidOCR(params={"Global.use_cls": False, "Global.log_level": "critical"})

    def recognize(self, image: Any) -> Any:
        import cv2
        import numpy as np

        from docscan.models import Line, OcrResult

        pixels = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
        result: Any = self.engine(pixels)
        if not getattr(result, "txts", None):
            return OcrResult(lines=[])
        lines = [
            Line(text=text, box=box_of(box), confidence=float(score))
            for text, box, score in zip(
                result.txts, result.boxes.tolist(), result.scores, strict=True
            )
        ]
        return OcrResult(lines=lines)


def run_child(config: str, repeat: int) -> dict:
    from PIL import Image

    from tests.benchmarks.metrics import levenshtein, normalize

    pages = [
        (name, Image.open(image), truth.read_text(encoding="utf-8"))
        for name, image, truth in samples()
    ]
    for _, image, _ in pages:
        image.load()
    warmup = pages[0][1].crop((0, 0, pages[0][1].width, min(600, pages[0][1].height)))

    start = time.perf_counter()
    engine: Any
    if config == "baseline":
        engine = Baseline()
    else:
        from docscan.ocr import get_engine

        engine = get_engine()
    engine.recognize(warmup)
    load_seconds = time.perf_counter() - start

    per_page: dict[str, list[float]] = {name: [] for name, _, _ in pages}
    cpu_per_page: list[float] = []
    runs: list[float] = []
    results = {}
    for _ in range(repeat):
        run_start = time.perf_counter()
        for name, image, _ in pages:
            wall, cpu = time.perf_counter(), time.process_time()
            results[name] = engine.recognize(image)
            per_page[name].append(time.perf_counter() - wall)
            cpu_per_page.append(time.process_time() - cpu)
        runs.append(time.perf_counter() - run_start)

    stages = stage_seconds(engine, [image for _, image, _ in pages]) if config == "docscan" else {}

    cer = {}
    edits = chars = 0
    rotations = {}
    for name, _, truth in pages:
        hyp = normalize("\n".join(line.text for line in results[name].lines))
        ref = normalize(truth)
        distance = levenshtein(hyp, ref)
        cer[name] = distance / max(1, len(ref))
        edits, chars = edits + distance, chars + len(ref)
        rotations[name] = results[name].rotation
    all_times = [t for times in per_page.values() for t in times]
    return {
        "config": config,
        "load_seconds": load_seconds,
        "median_seconds_per_page": statistics.median(all_times),
        "median_cpu_seconds_per_page": statistics.median(cpu_per_page),
        "pages_per_second": len(pages) / statistics.median(runs),
        "page_median_seconds": {n: statistics.median(t) for n, t in per_page.items()},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cer": cer,
        "cer_overall": edits / max(1, chars),
        "rotation": rotations,
        "stage_cpu_seconds_per_page": stages,
    }


def stage_seconds(engine: Any, images: list[Any]) -> dict[str, float]:
    """Median CPU seconds per page of each step of docscan's engine."""
    from docscan.ocr import rapid

    times: dict[str, list[float]] = {"detect": [], "orientation": [], "crop+recognise": []}
    for image in images:
        pixels = rapid.to_pixels(image)
        start = time.process_time()
        quads = engine.detect(pixels)
        detected = time.process_time()
        rotation = engine.orientation(pixels, quads)
        oriented = time.process_time()
        height, width = pixels.shape[:2]
        crops = [
            rapid.crop(pixels, rapid.upright_quad(q, rotation, width, height)[1]) for q in quads
        ]
        engine.read(crops)
        done = time.process_time()
        times["detect"].append(detected - start)
        times["orientation"].append(oriented - detected)
        times["crop+recognise"].append(done - oriented)
    return {step: statistics.median(values) for step, values in times.items()}


# -- parent ----------------------------------------------------------------------------


def child(config: str, repeat: int) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.local",
            "--child",
            config,
            "--repeat",
            str(repeat),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.exit(f"benchmark of {config} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def startup(repeat: int = 3) -> dict[str, float | None]:
    def timed(args: list[str]) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, *args], cwd=ROOT, capture_output=True, check=False, env=os.environ
            )
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    cli = (ROOT / "docscan" / "cli").is_dir() and (ROOT / "docscan" / "__main__.py").exists()
    return {
        "python -m docscan --help": timed(["-m", "docscan", "--help"]) if cli else None,
        "python -c 'import docscan.ocr'": timed(["-c", "import docscan.ocr"]),
        "python -c 'pass'": timed(["-c", "pass"]),
    }


# Runs the real CLI and reports its own peak memory on the way out.
_SCAN_CHILD = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF)"
    ".ru_maxrss, file=sys.stderr))\n"
    "from docscan.cli.app import main\n"
    "main(sys.argv[1:])\n"
)


def scan_throughput(repeat: int) -> dict[str, float]:
    """`docscan scan` of every sample page into one PDF, end to end, on a fresh store."""
    import tempfile

    images = [str(image) for _, image, _ in samples()]
    walls, rss = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            env = os.environ | {"DOCSCAN_HOME": tmp, "DOCSCAN_CONFIG_DIR": tmp}
            out = Path(tmp) / "bench.pdf"
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", _SCAN_CHILD, "-q", "scan", *images, "-o", str(out)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            walls.append(time.perf_counter() - start)
            rss.append(int(done.stderr.split("maxrss_kb")[-1].split()[0]) / 1024)
    wall = statistics.median(walls)
    return {
        "pages": len(images),
        "median_seconds": wall,
        "pages_per_second": len(images) / wall,
        "peak_rss_mb": max(rss),
    }


def report(results: list[dict], start_up: dict[str, float | None]) -> None:
    names = list(results[0]["cer"])
    header = f"{'':34}" + "".join(f"{r['config']:>14}" for r in results)
    print(header)
    print("-" * len(header))

    def row(label: str, values: list[str]) -> None:
        print(f"{label:34}" + "".join(f"{v:>14}" for v in values))

    row("engine load (s)", [f"{r['load_seconds']:.2f}" for r in results])
    row("median s/page", [f"{r['median_seconds_per_page']:.2f}" for r in results])
    row("median CPU s/page", [f"{r['median_cpu_seconds_per_page']:.2f}" for r in results])
    row("pages/s (whole set)", [f"{r['pages_per_second']:.3f}" for r in results])
    row("peak RSS (MB)", [f"{r['peak_rss_mb']:.0f}" for r in results])
    row("CER overall", [f"{r['cer_overall']:.2%}" for r in results])
    for name in names:
        row(f"CER {name}", [f"{r['cer'][name]:.2%}" for r in results])
    for name in names:
        row(f"s/page {name}", [f"{r['page_median_seconds'][name]:.2f}" for r in results])
    for name in names:
        row(f"rotation {name}", [str(r["rotation"][name]) for r in results])
    for r in results:
        stages = r.get("stage_cpu_seconds_per_page")
        if stages:
            total = sum(stages.values())
            parts = ", ".join(f"{k} {v:.2f} s ({v / total:.0%})" for k, v in stages.items())
            print(f"\n{r['config']}: median CPU per page by step: {parts}")
    print()
    for label, seconds in start_up.items():
        print(f"start-up {label}: " + ("skipped" if seconds is None else f"{seconds:.2f} s"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs over the sample set")
    parser.add_argument(
        "--compare-baseline", action="store_true", help="also run rapidocr's defaults"
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--child", choices=CONFIGS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    if args.child:
        print(json.dumps(run_child(args.child, args.repeat)))
        return

    print(f"{len(samples())} sample pages, {args.repeat} run(s), {os.cpu_count()} CPU(s)\n")
    configs = ["docscan", "baseline"] if args.compare_baseline else ["docscan"]
    results = [child(config, args.repeat) for config in configs]
    start_up = startup()
    report(results, start_up)
    scan = scan_throughput(args.repeat)
    print(
        f"\ndocscan scan of all {scan['pages']} pages into one PDF (store, OCR, PDF, engine load): "
        f"median {scan['median_seconds']:.1f} s, {scan['pages_per_second']:.2f} pages/s, "
        f"peak RSS {scan['peak_rss_mb']:.0f} MB"
    )
    if args.json:
        raw = {"results": results, "startup": start_up, "scan": scan}
        args.json.write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
