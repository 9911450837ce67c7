"""The scanner service: the same code behind a local command and a Lambda invocation.

Storage first: a page image is durably stored, then its row is written as `pending`;
OCR then turns it `done` (with its lines) or `failed` (with the reason). Nothing in
processing can lose a stored page, and anything pending can be processed again later.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from PIL import Image

from docscan.errors import BadInputError, NotFoundError, OcrError
from docscan.models import Page, PageStatus, Project
from docscan.scanner.names import validate_project_name
from docscan.scanner.ports import ObjectStore, Repository

if TYPE_CHECKING:
    from docscan.ocr.engine import OcrEngine
    from docscan.pdf import PdfPage

LONG_SIDE_INCHES = 11.0  # pages with no resolution of their own are laid out at letter size


class ScannerService:
    def __init__(
        self,
        repo: Repository,
        objects: ObjectStore,
        engine: Callable[[], OcrEngine],
        owner: str,
        key_prefix: str = "",
    ) -> None:
        self.repo = repo
        self.objects = objects
        self._engine_factory = engine
        self.owner = owner
        self.key_prefix = key_prefix

    # -- keys -------------------------------------------------------------------

    def project_prefix(self, project: str) -> str:
        return f"{self.key_prefix}{self.owner}/{project}/"

    def page_key(self, project: str, number: int) -> str:
        return f"{self.project_prefix(project)}{number}.png"

    # -- projects ---------------------------------------------------------------

    def create_project(self, name: str, *, exist_ok: bool = False) -> Project:
        validate_project_name(name)
        existing = self.repo.get_project(self.owner, name)
        if existing is not None:
            if exist_ok:
                return existing
            raise BadInputError(f"project {name!r} already exists")
        self.repo.put_project(self.owner, name, int(time.time() * 1000))
        return self.get_project(name)

    def get_project(self, name: str) -> Project:
        project = self.repo.get_project(self.owner, name)
        if project is None:
            raise NotFoundError(f"project {name!r} does not exist")
        return project

    def list_projects(self) -> list[Project]:
        return self.repo.list_projects(self.owner)

    def delete_project(self, name: str, *, missing_ok: bool = False) -> None:
        """Delete the project, its pages and their images.

        `missing_ok`: a project that does not exist is not an error, and whatever rows or
        images are left under its name still go (the AWS API's delete is idempotent).
        """
        if missing_ok:
            validate_project_name(name)
        else:
            self.get_project(name)
        # Rows first: a crash in between leaves orphan files, never rows without images.
        self.repo.delete_project(self.owner, name)
        self.objects.delete_prefix(self.project_prefix(name))

    # -- pages ------------------------------------------------------------------

    def add_page(
        self, project: str, png: bytes, width: int, height: int, number: int | None = None
    ) -> Page:
        """Store a page image and its pending row; `number` replaces that page."""
        self.get_project(project)
        if number is None:
            number = self.repo.max_page_number(self.owner, project) + 1
        elif number < 1:
            raise BadInputError(f"page number must be a positive integer, not {number}")
        self.objects.put(self.page_key(project, number), png)
        page = Page(project, number, PageStatus.PENDING, width=width, height=height)
        self.repo.put_page(self.owner, page)
        return page

    def get_page(self, project: str, number: int) -> Page:
        page = self.repo.get_page(self.owner, project, number)
        if page is None:
            raise NotFoundError(f"project {project!r} has no page {number}")
        return page

    def pages(self, project: str) -> list[Page]:
        self.get_project(project)
        return list(self.repo.iter_pages(self.owner, project))

    def unfinished(self, project: str, *, retry_failed: bool = False) -> list[Page]:
        wanted = {PageStatus.PENDING} | ({PageStatus.FAILED} if retry_failed else set())
        return [page for page in self.pages(project) if page.status in wanted]

    def process_page(self, project: str, number: int) -> Page:
        """OCR one stored page; a failure is recorded on the page, not raised."""
        page = self.get_page(project, number)
        key = self.page_key(project, number)
        try:
            image = _open_image(self.objects.get(key), key)
            result = self._engine_factory().recognize(image)
        except (OcrError, BadInputError) as exc:
            failed = replace(page, status=PageStatus.FAILED, error=str(exc), lines=[])
            self.repo.put_page(self.owner, failed)
            return failed
        width, height = image.size
        if result.rotation % 360:
            # Store the page upright so the PDF shows it the way the text reads.
            upright = image.rotate(result.rotation, expand=True)
            width, height = upright.size
            self.objects.put(key, _png_bytes(upright))
        done = replace(
            page, status=PageStatus.DONE, lines=result.lines, width=width, height=height, error=None
        )
        self.repo.put_page(self.owner, done)
        return done

    def process_pending(
        self,
        project: str,
        numbers: Sequence[int] | None = None,
        *,
        retry_failed: bool = False,
        on_page: Callable[[Page], None] | None = None,
    ) -> list[Page]:
        """OCR the unfinished pages (only those in `numbers`, when given)."""
        todo = self.unfinished(project, retry_failed=retry_failed)
        if numbers is not None:
            wanted = set(numbers)
            todo = [page for page in todo if page.number in wanted]
        processed = []
        for page in todo:
            result = self.process_page(project, page.number)
            processed.append(result)
            if on_page is not None:
                on_page(result)
        return processed

    # -- output -----------------------------------------------------------------

    def pdf_pages(self, project: str, *, with_images: bool = True) -> Iterator[PdfPage]:
        """Pages to render, one at a time (PDF writers stream them)."""
        from docscan.pdf import PdfPage  # PDF libraries load only for commands that write one

        for page in self.pages(project):
            image_path = None
            if with_images:
                image_path = self.objects.local_path(self.page_key(project, page.number))
            yield PdfPage(
                width=page.width,
                height=page.height,
                lines=page.lines,
                text=page.text,
                image_path=image_path,
                dpi=layout_dpi(page.width, page.height),
            )


def layout_dpi(width: int, height: int) -> float:
    """Resolution that lays a page out at letter size (300 dpi for a 2550x3300 scan)."""
    return max(72.0, max(width, height, 1) / LONG_SIDE_INCHES)


def _open_image(data: bytes, key: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BadInputError(f"stored page image {key} cannot be read: {exc}") from None
    return image


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


__all__ = ["ScannerService", "layout_dpi"]
