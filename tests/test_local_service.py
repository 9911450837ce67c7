"""The scanner service on its local adapters: SQLite rows and page files."""

from __future__ import annotations

import sqlite3

import pytest

from docscan.errors import BadInputError, NotFoundError
from docscan.models import PageStatus
from docscan.scanner.file_store import FileObjectStore
from docscan.scanner.service import ScannerService, layout_dpi
from docscan.scanner.sqlite_store import SCHEMA_VERSION, SqliteRepository
from tests.localhelpers import WidthEngine, text_for


def png(width: int, height: int = 300) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def engine() -> WidthEngine:
    return WidthEngine()


@pytest.fixture
def service(tmp_path, engine) -> ScannerService:
    repo = SqliteRepository(tmp_path / "db.sqlite")
    return ScannerService(repo, FileObjectStore(tmp_path / "pages"), lambda: engine, owner="me")


def test_database_uses_wal_foreign_keys_and_a_schema_version(tmp_path, service):
    db = sqlite3.connect(tmp_path / "db.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_pages_are_numbered_after_the_highest_and_stored_before_ocr(tmp_path, service, engine):
    service.create_project("book")
    first = service.add_page("book", png(500), 500, 300)
    second = service.add_page("book", png(501), 501, 300)
    assert (first.number, second.number) == (1, 2)
    assert engine.calls == 0
    assert (tmp_path / "pages/me/book/2.png").is_file()
    assert [p.status for p in service.pages("book")] == [PageStatus.PENDING] * 2

    done = service.process_pending("book")
    assert [p.text for p in done] == [text_for(500) + "\n", text_for(501) + "\n"]
    assert all(p.status is PageStatus.DONE for p in service.pages("book"))


def test_replacing_a_page_resets_it_to_pending_and_recomputes_text(service):
    service.create_project("book")
    service.add_page("book", png(500), 500, 300)
    service.process_pending("book")
    replaced = service.add_page("book", png(640), 640, 300, number=1)
    assert replaced.status is PageStatus.PENDING and replaced.lines == []
    service.process_pending("book")
    (page,) = service.pages("book")
    assert page.text == text_for(640) + "\n"


def test_ocr_failure_marks_the_page_failed_and_keeps_it(tmp_path, service, engine):
    engine.fail = {502}
    service.create_project("book")
    service.add_page("book", png(502), 502, 300)
    (failed,) = service.process_pending("book")
    assert failed.status is PageStatus.FAILED and "502" in (failed.error or "")
    assert (tmp_path / "pages/me/book/1.png").is_file()
    assert service.process_pending("book") == []  # failed pages wait for an explicit retry
    engine.fail = set()
    (retried,) = service.process_pending("book", retry_failed=True)
    assert retried.status is PageStatus.DONE


def test_a_rotated_page_is_stored_upright(tmp_path, service):
    from docscan.models import OcrResult

    class Rotating:
        name = "rotating"

        def recognize(self, image):
            return OcrResult([], rotation=90)

    service._engine_factory = Rotating
    service.create_project("book")
    service.add_page("book", png(600, 200), 600, 200)
    (page,) = service.process_pending("book")
    assert (page.width, page.height) == (200, 600)
    from PIL import Image

    assert Image.open(tmp_path / "pages/me/book/1.png").size == (200, 600)


def test_projects_are_isolated_by_owner_and_name(tmp_path, service, engine):
    other = ScannerService(service.repo, service.objects, lambda: engine, owner="someone-else")
    service.create_project("book")
    other.create_project("book")
    service.add_page("book", png(500), 500, 300)
    assert other.pages("book") == []
    other.delete_project("book")
    assert [p.number for p in service.pages("book")] == [1]


def test_project_errors(service):
    with pytest.raises(NotFoundError):
        service.pages("nope")
    with pytest.raises(BadInputError, match="slash"):
        service.create_project("a/b")
    service.create_project("book")
    with pytest.raises(BadInputError, match="already exists"):
        service.create_project("book")
    assert service.create_project("book", exist_ok=True).name == "book"
    with pytest.raises(BadInputError):
        service.add_page("book", png(10), 10, 300, number=0)


def test_delete_removes_rows_and_files_of_that_project_only(tmp_path, service):
    for name in ("a", "ab"):
        service.create_project(name)
        service.add_page(name, png(500), 500, 300)
    service.delete_project("a")
    assert not (tmp_path / "pages/me/a").exists()
    assert (tmp_path / "pages/me/ab/1.png").is_file()
    assert [p.name for p in service.list_projects()] == ["ab"]


def test_layout_dpi_lays_pages_out_at_letter_size():
    assert layout_dpi(2550, 3300) == pytest.approx(300)
    assert layout_dpi(100, 50) == 72.0
