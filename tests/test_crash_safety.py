"""A scan killed in the middle of OCR loses nothing: re-running finishes it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from typer.testing import CliRunner

from docscan.cli.app import app
from tests.localhelpers import WidthEngine, make_page, text_for

# Runs docscan in a child process with an engine slow enough to be killed mid-scan.
CHILD = textwrap.dedent(
    """
    import sys, time
    import docscan.backends.local as local
    from tests.localhelpers import WidthEngine

    class Slow(WidthEngine):
        def recognize(self, image):
            time.sleep(0.3)
            return super().recognize(image)

    engine = Slow()
    local.default_engine = lambda: engine
    from docscan.cli.app import main
    main(sys.argv[1:])
    """
)


def done_pages(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute("SELECT COUNT(*) FROM pages WHERE status='done'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def start_scan(images: list[Path], out: Path) -> subprocess.Popen:
    args = [sys.executable, "-c", CHILD, "scan", *map(str, images), "-o", str(out), "-p", "book"]
    root = Path(__file__).resolve().parents[1]
    env = os.environ | {"PYTHONPATH": str(root)}
    return subprocess.Popen(args, cwd=root, env=env, stderr=subprocess.PIPE, text=True)


def wait_for_done(db: Path, count: int, child: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while done_pages(db) < count:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "the scan made no progress"
        time.sleep(0.05)


def test_kill_during_ocr_then_rerun(tmp_path, monkeypatch):
    images = [make_page(tmp_path / f"p{i}.png", 500 + i) for i in range(6)]
    db = tmp_path / "home" / "docscan.db"
    child = start_scan(images, tmp_path / "out.pdf")
    wait_for_done(db, 2, child)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    engine = WidthEngine()
    monkeypatch.setattr("docscan.backends.local.default_engine", lambda: engine)
    runner = CliRunner()
    pages = json.loads(runner.invoke(app, ["--json", "pages", "-p", "book"]).stdout)
    assert [p["page"] for p in pages] == [1, 2, 3, 4, 5, 6]  # every page was stored first
    assert 2 <= sum(p["status"] == "done" for p in pages) < 6

    result = runner.invoke(app, ["upload", "--retry", "-p", "book"])
    assert result.exit_code == 0, result.stderr
    text = runner.invoke(app, ["text", "-p", "book"]).stdout
    assert text == "\f".join(text_for(500 + i) + "\n" for i in range(6))
    assert engine.calls == sum(p["status"] != "done" for p in pages)


def test_sigint_exits_130_and_keeps_pages(tmp_path):
    images = [make_page(tmp_path / f"p{i}.png", 500 + i) for i in range(6)]
    db = tmp_path / "home" / "docscan.db"
    child = start_scan(images, tmp_path / "out.pdf")
    wait_for_done(db, 1, child)
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=30) == 130
    assert "interrupted" in (child.stderr.read() if child.stderr else "")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0] == 6
    assert not (tmp_path / "out.pdf").exists()
