"""The ports the scanner service is written against.

Local adapters: SQLite (`sqlite_store.py`) and files (`file_store.py`).
AWS adapters: DynamoDB and S3 (used by the Lambdas).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from docscan.models import Page, Project


class Repository(Protocol):
    """Projects and pages, keyed by owner (the Cognito username on AWS)."""

    def put_project(self, owner: str, name: str, created_ms: int) -> None: ...

    def get_project(self, owner: str, name: str) -> Project | None: ...

    def list_projects(self, owner: str) -> list[Project]: ...

    def delete_project(self, owner: str, name: str) -> None:
        """Delete the project and all its page rows."""
        ...

    def put_page(self, owner: str, page: Page) -> None: ...

    def get_page(self, owner: str, project: str, number: int) -> Page | None: ...

    def iter_pages(self, owner: str, project: str) -> Iterator[Page]:
        """Pages in page-number order."""
        ...

    def max_page_number(self, owner: str, project: str) -> int:
        """Highest page number stored for the project, 0 when it has none."""
        ...


class ObjectStore(Protocol):
    """Page images by key (`<owner>/<project>/<page>.png` plus a store-specific prefix)."""

    def put(self, key: str, data: bytes, content_type: str = "image/png") -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix`; return how many."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A file holding the object, when the store keeps files (lets PDFs stream from disk)."""
        ...
