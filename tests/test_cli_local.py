"""Every command on the local profile, through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from docscan.cli.app import app
from docscan.errors import ExitCode
from tests.localhelpers import WidthEngine, make_page, text_for


@pytest.fixture
def engine(monkeypatch) -> WidthEngine:
    engine = WidthEngine()
    monkeypatch.setattr("docscan.backends.local.default_engine", lambda: engine)
    return engine


@pytest.fixture
def run(engine):
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, code: int = 0):
        result = runner.invoke(app, list(args), input=input)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result

    return invoke


@pytest.fixture
def pages(tmp_path) -> list[Path]:
    return [
        make_page(tmp_path / "one.png", 500),
        make_page(tmp_path / "two.jpg", 510, "JPEG"),
        make_page(tmp_path / "three.tiff", 520, "TIFF"),
    ]


def stored_pages(run, project: str) -> list[dict]:
    return json.loads(run("--json", "pages", "-p", project).stdout)


def test_help_lists_every_command_with_help_text(run):
    out = run("--help").stdout
    for command in (
        "project",
        "upload",
        "pages",
        "text",
        "pdf",
        "scan",
        "login",
        "logout",
        "whoami",
        "config",
        "wait",
    ):
        assert command in out
    for group in ("project", "config"):
        assert "Usage" in run(group, "--help").stdout
    for command in ("upload", "pages", "text", "pdf", "scan", "login", "logout", "whoami"):
        result = run(command, "--help")
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        assert len(lines) > 2, command


def test_version(run):
    assert run("--version").stdout.startswith("docscan ")


def test_project_lifecycle(run):
    run("project", "create", "taxes-2026")
    listed = json.loads(run("--json", "project", "list").stdout)
    assert [(p["name"], p["current"]) for p in listed] == [("taxes-2026", True)]
    run("project", "create", "other")
    run("project", "use", "taxes-2026")
    shown = json.loads(run("--json", "project", "show").stdout)
    assert shown["name"] == "taxes-2026" and shown["pages"] == []
    run("project", "delete", "other", input="n\n", code=ExitCode.USAGE)
    run("project", "delete", "other", "--yes")
    names = [p["name"] for p in json.loads(run("--json", "project", "list").stdout)]
    assert names == ["taxes-2026"]
    result = run("project", "delete", "other", "--yes", code=ExitCode.NOT_FOUND)
    assert result.stderr.strip() == "error: project 'other' does not exist"


def test_upload_then_text_in_page_order(run, pages):
    run("project", "create", "book")
    run("upload", *map(str, pages))
    result = run("text")
    assert result.stdout == "\f".join(text_for(w) + "\n" for w in (500, 510, 520))
    assert run("text", "--page", "2").stdout == text_for(510) + "\n"
    data = json.loads(run("--json", "text").stdout)
    first = data["pages"][0]
    assert first["page"] == 1 and first["status"] == "done"
    assert first["lines"][0]["text"] == text_for(500)
    assert len(first["lines"][0]["box"]) == 4 and first["lines"][0]["confidence"] == 0.97


def test_upload_page_replaces_that_page(run, pages, tmp_path):
    run("project", "create", "book")
    run("upload", *map(str, pages[:2]))
    run("upload", "--page", "1", str(make_page(tmp_path / "new.png", 640)))
    assert [p["text"] for p in stored_pages(run, "book")] == [
        text_for(640) + "\n",
        text_for(510) + "\n",
    ]


def test_multi_frame_tiff_becomes_several_pages(run, tmp_path):
    from PIL import Image

    frames = [Image.new("L", (w, 300), 255) for w in (530, 540)]
    frames[0].save(tmp_path / "two.tif", save_all=True, append_images=frames[1:])
    run("project", "create", "book")
    run("upload", str(tmp_path / "two.tif"))
    assert [p["page"] for p in stored_pages(run, "book")] == [1, 2]


def test_scan_writes_a_searchable_pdf_and_a_json_summary(run, pages, tmp_path):
    out = tmp_path / "out.pdf"
    summary = json.loads(run("--json", "scan", *map(str, pages), "-o", str(out)).stdout)
    assert summary["project"] == "out" and summary["pages"] == [1, 2, 3]
    assert summary["output"] == str(out.resolve()) and summary["seconds"] >= 0
    reader = PdfReader(out)
    assert len(reader.pages) == 3
    assert "Straße" in reader.pages[0].extract_text()
    assert "/XObject" in reader.pages[0]["/Resources"]
    # A second run makes a new project instead of appending the same pages again.
    again = json.loads(run("--json", "scan", str(pages[0]), "-o", str(out)).stdout)
    assert again["project"] == "out-2" and len(PdfReader(out).pages) == 1


def test_scan_into_an_existing_project_appends(run, pages, tmp_path):
    run("project", "create", "book")
    run("upload", str(pages[0]))
    run("-q", "scan", str(pages[1]), "-p", "book", "-o", str(tmp_path / "b.pdf"))
    assert len(PdfReader(tmp_path / "b.pdf").pages) == 2


def test_pdf_text_only(run, pages, tmp_path):
    run("project", "create", "book")
    run("upload", *map(str, pages[:2]))
    run("pdf", str(tmp_path / "t.pdf"), "--text-only")
    reader = PdfReader(tmp_path / "t.pdf")
    assert len(reader.pages) == 2
    assert "“quoted” — Straße" in reader.pages[1].extract_text()
    assert "/XObject" not in reader.pages[0]["/Resources"]


def test_json_output_is_only_json(run, pages, tmp_path):
    for args in (
        ("project", "create", "book"),
        ("upload", *map(str, pages[:1])),
        ("pages",),
        ("text",),
        ("project", "list"),
        ("project", "show"),
        ("pdf", str(tmp_path / "x.pdf")),
        ("config", "show"),
        ("whoami",),
        ("login",),
    ):
        json.loads(run("--json", *args).stdout)


def test_login_logout_whoami_need_nothing_locally(run):
    assert "no login" in run("login").stderr
    assert "no login" in run("logout").stderr
    assert "local" in run("whoami").stderr


@pytest.mark.parametrize(
    ("make_bad", "code", "message"),
    [
        (lambda d: d / "missing.png", ExitCode.NOT_FOUND, "missing.png"),
        (lambda d: d, ExitCode.BAD_INPUT, "directory"),
        (lambda d: _write(d / "empty.png", b""), ExitCode.BAD_INPUT, "empty.png"),
        (lambda d: _write(d / "notes.png", b"just some text\n"), ExitCode.BAD_INPUT, "notes.png"),
        (lambda d: _truncated(d), ExitCode.BAD_INPUT, "cut.png"),
    ],
)
def test_bad_input_stores_nothing(run, pages, tmp_path, make_bad, code, message):
    run("project", "create", "book")
    run("upload", str(pages[0]))
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = make_bad(bad_dir)
    result = run("upload", str(pages[1]), str(bad), code=code)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert [p["page"] for p in stored_pages(run, "book")] == [1]


def test_bad_project_names_and_selection(run, pages, tmp_path):
    assert "slash" in run("project", "create", "a/b", code=ExitCode.BAD_INPUT).stderr
    run("project", "create", " ", code=ExitCode.BAD_INPUT)
    assert "no project selected" in run("text", code=ExitCode.USAGE).stderr
    run("upload", str(pages[0]), "-p", "ghost", code=ExitCode.NOT_FOUND)
    run("project", "create", "book")
    run("text", "--page", "9", code=ExitCode.NOT_FOUND)
    run("upload", code=ExitCode.USAGE)
    run("upload", "--page", "1", *map(str, pages[:2]), code=ExitCode.BAD_INPUT)
    run("upload", "--page", "0", str(pages[0]), code=ExitCode.USAGE)
    run("pdf", str(tmp_path), code=ExitCode.BAD_INPUT)
    run("pdf", str(tmp_path / "no" / "such" / "dir.pdf"), code=ExitCode.NOT_FOUND)
    run("--profile", "nope", "config", "show")
    result = run("--profile", "nope", "project", "list", code=ExitCode.CONFIG)
    assert "config set" in result.stderr


def test_failed_ocr_is_reported_and_retried(run, engine, pages):
    engine.fail = {510}
    run("project", "create", "book")
    result = run("upload", *map(str, pages[:2]))
    assert "page 2 failed OCR" in result.stderr
    assert [p["status"] for p in stored_pages(run, "book")] == ["done", "failed"]
    engine.fail = set()
    run("upload", "--retry")
    assert [p["status"] for p in stored_pages(run, "book")] == ["done", "done"]


def test_ctrl_c_during_ocr_keeps_every_stored_page(run, engine, pages, monkeypatch):
    original = engine.recognize

    def interrupt_on_second(image):
        if image.size[0] == 510:
            raise KeyboardInterrupt
        return original(image)

    monkeypatch.setattr(engine, "recognize", interrupt_on_second)
    run("project", "create", "book")
    result = run("upload", *map(str, pages), code=ExitCode.INTERRUPTED)
    assert "interrupted" in result.stderr
    monkeypatch.setattr(engine, "recognize", original)
    assert [p["status"] for p in stored_pages(run, "book")] == ["done", "pending", "pending"]
    run("wait")
    assert [p["status"] for p in stored_pages(run, "book")] == ["done"] * 3


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncated(directory: Path) -> Path:
    good = make_page(directory / "full.png", 300)
    cut = directory / "cut.png"
    data = good.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    good.unlink()
    return cut


def test_commands_without_ocr_load_no_heavy_modules(tmp_path):
    """--help and project list must start fast: no OCR engine, boto3 or PDF writer."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from docscan.cli.app import main\n"
        "for args in (['--help'], ['project', 'list']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('boto3', 'botocore', 'onnxruntime', 'rapidocr', 'cv2', 'fpdf', 'pikepdf')\n"
        "print('heavy:', ','.join(m for m in heavy if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1].strip() == "heavy:"
