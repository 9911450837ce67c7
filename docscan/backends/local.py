"""The embedded default: the scanner service in-process, on SQLite, files and local OCR."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from docscan.backends.base import PageCallback, StoredCallback
from docscan.config import Profile, data_dir
from docscan.errors import BadInputError
from docscan.models import Page, Project
from docscan.scanner.file_store import FileObjectStore
from docscan.scanner.service import ScannerService
from docscan.scanner.sqlite_store import SqliteRepository

if TYPE_CHECKING:
    from docscan.images import PreparedPage
    from docscan.ocr.engine import OcrEngine

LOCAL_OWNER = "local"


def default_engine() -> OcrEngine:
    """The bundled OCR engine, loaded on first use (it takes a second or two)."""
    from docscan.ocr import get_engine

    return get_engine()


class LocalBackend:
    kind = "local"

    def __init__(
        self,
        profile: Profile,
        home: Path | None = None,
        engine: Callable[[], OcrEngine] | None = None,
    ) -> None:
        self.profile = profile
        self.home = home or data_dir()
        self.repo = SqliteRepository(self.home / "docscan.db")
        self.service = ScannerService(
            self.repo,
            FileObjectStore(self.home / "pages"),
            engine or (lambda: default_engine()),  # looked up late so tests can swap it
            owner=LOCAL_OWNER,
        )

    def close(self) -> None:
        self.repo.close()

    def create_project(self, name: str, *, exist_ok: bool = False) -> Project:
        return self.service.create_project(name, exist_ok=exist_ok)

    def get_project(self, name: str) -> Project:
        return self.service.get_project(name)

    def list_projects(self) -> list[Project]:
        return self.service.list_projects()

    def delete_project(self, name: str) -> None:
        self.service.delete_project(name)

    def upload(
        self,
        project: str,
        pages: Sequence[PreparedPage],
        *,
        replace: int | None = None,
        on_stored: StoredCallback | None = None,
    ) -> list[int]:
        if replace is not None and len(pages) != 1:
            raise BadInputError(f"--page {replace} replaces one page, but {len(pages)} were given")
        numbers = []
        for prepared in pages:
            page = self.service.add_page(
                project, prepared.png, prepared.width, prepared.height, number=replace
            )
            numbers.append(page.number)
            if on_stored is not None:
                on_stored(page.number)
        return numbers

    def process(
        self,
        project: str,
        numbers: Sequence[int] | None = None,
        *,
        retry_failed: bool = False,
        timeout: float | None = None,
        on_page: PageCallback | None = None,
    ) -> list[Page]:
        return self.service.process_pending(
            project, numbers, retry_failed=retry_failed, on_page=on_page
        )

    def pages(self, project: str) -> list[Page]:
        return self.service.pages(project)

    def write_pdf(self, project: str, out: Path, *, text_only: bool = False) -> int:
        from docscan.pdf import write_searchable_pdf, write_text_pdf

        pages = self.service.pdf_pages(project, with_images=not text_only)
        writer = write_text_pdf if text_only else write_searchable_pdf
        return writer(pages, out)
