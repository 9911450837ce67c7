"""The Backend protocol: everything the CLI needs, implemented locally and on AWS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from docscan.config import Profile
from docscan.models import Page, Project

if TYPE_CHECKING:
    from docscan.images import PreparedPage

PageCallback = Callable[[Page], None]
StoredCallback = Callable[[int], None]  # called with the page number just stored


class Backend(Protocol):
    kind: str  # "local" or "aws"
    profile: Profile

    def create_project(self, name: str, *, exist_ok: bool = False) -> Project: ...

    def get_project(self, name: str) -> Project:
        """The project, or NotFoundError."""
        ...

    def list_projects(self) -> list[Project]: ...

    def delete_project(self, name: str) -> None: ...

    def upload(
        self,
        project: str,
        pages: Sequence[PreparedPage],
        *,
        replace: int | None = None,
        on_stored: StoredCallback | None = None,
    ) -> list[int]:
        """Store pages (numbered after the highest existing one, or replacing page
        `replace` when given a single page); returns the page numbers used."""
        ...

    def process(
        self,
        project: str,
        numbers: Sequence[int] | None = None,
        *,
        retry_failed: bool = False,
        timeout: float | None = None,
        on_page: PageCallback | None = None,
    ) -> list[Page]:
        """Bring stored pages to a final state: run OCR locally, or wait for the
        backend's OCR on AWS. Returns the pages that were processed/awaited."""
        ...

    def pages(self, project: str) -> list[Page]:
        """Every page with its status and, when available, its text and lines."""
        ...

    def write_pdf(self, project: str, out: Path, *, text_only: bool = False) -> int:
        """Write the project's PDF atomically; returns the number of pages."""
        ...

    def close(self) -> None: ...
