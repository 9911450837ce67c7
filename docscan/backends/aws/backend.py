"""The AWS backend: the deployed serverless scanner seen from the command line.

Works against the published sample backend as deployed (five routes, text only in the
generated PDF) and against docscan's own backend, which adds `GET /pages/{project}` with
each page's status and text. Which one a profile talks to is found out once, by trying
that route, and remembered in the profile's session cache.
"""

from __future__ import annotations

import io
import os
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from docscan.backends.aws.api import ApiClient, NoSuchRoute
from docscan.backends.aws.auth import CognitoAuth
from docscan.backends.aws.credentials import IdentityPoolCredentials
from docscan.backends.aws.settings import require_all
from docscan.backends.aws.storage import (
    DEFAULT_CONCURRENCY,
    PageObject,
    PageStorage,
    project_prefix,
    s3_config,
)
from docscan.backends.base import PageCallback, StoredCallback
from docscan.config import Profile
from docscan.errors import BackendError, BadInputError, NotFoundError, WaitTimeoutError
from docscan.models import Line, Page, PageStatus, Project, page_ranges
from docscan.scanner.names import validate_project_name

if TYPE_CHECKING:
    from docscan.images import PreparedPage

DEFAULT_WAIT_S = 600.0
FIRST_POLL_S = 0.5
MAX_POLL_S = 10.0


class AwsBackend:
    kind = "aws"

    def __init__(self, profile: Profile, *, session: requests.Session | None = None) -> None:
        require_all(profile)
        self.profile = profile
        self.api_url = profile.require("api_url")
        self.bucket = profile.require("bucket")
        self.auth = CognitoAuth(profile)
        self.identity = IdentityPoolCredentials(profile, self.auth)
        self.api = ApiClient(self.api_url, self.auth.id_token, session)
        self._storage: PageStorage | None = None

    def close(self) -> None:
        self.api.close()

    # -- helpers ----------------------------------------------------------------

    @property
    def storage(self) -> PageStorage:
        if self._storage is None:
            concurrency = int(self.profile.get("upload_concurrency") or DEFAULT_CONCURRENCY)
            region = self.profile.get("bucket_region") or self.profile.require("region")
            client = self.identity.client_for("s3", region, s3_config(concurrency))
            self._storage = PageStorage(client, self.bucket, concurrency)
        return self._storage

    def _prefix(self, project: str) -> str:
        return project_prefix(self.identity.identity_id(), self.auth.username, project)

    def has_text_route(self, project: str) -> bool:
        """Whether the API has docscan's `GET /pages/{project}` (cached per profile)."""
        routes = dict(self.auth.state().get("text_route") or {})
        if self.api_url not in routes:
            try:
                self.api.page_texts(project)
                routes[self.api_url] = True
            except NoSuchRoute:
                routes[self.api_url] = False
            except NotFoundError:
                routes[self.api_url] = True
            self.auth.update(text_route=routes)
        return bool(routes[self.api_url])

    def _check_name(self, name: str) -> str:
        validate_project_name(name)
        # The published backend does not decode path parameters: only URL-unreserved
        # names round-trip there. docscan's own backend decodes them.
        return validate_project_name(name, url_safe_only=not self.has_text_route(name))

    # -- projects ---------------------------------------------------------------

    def list_projects(self) -> list[Project]:
        me = self.auth.username
        projects: dict[str, Project] = {}
        for item in self.api.list_projects():
            name = item.get("project_name") or item.get("name")
            # The published list uses a Scan whose filter is lost past the first page of
            # results: other users' rows can come back. Keep only ours.
            if not isinstance(name, str) or item.get("username", me) != me:
                continue
            projects[name] = Project(name=name, created_ms=_millis(item.get("timestamp")))
        return sorted(projects.values(), key=lambda p: p.name)

    def get_project(self, name: str) -> Project:
        for project in self.list_projects():
            if project.name == name:
                return project
        raise NotFoundError(f"project {name!r} does not exist")

    def create_project(self, name: str, *, exist_ok: bool = False) -> Project:
        self._check_name(name)
        # The published backend silently overwrites an existing project: look first.
        existing = {p.name: p for p in self.list_projects()}
        if name in existing:
            if exist_ok:
                return existing[name]
            raise BadInputError(f"project {name!r} already exists")
        self.api.create_project(name)
        try:
            return self.get_project(name)
        except NotFoundError:
            return Project(name=name, created_ms=int(time.time() * 1000))

    def delete_project(self, name: str) -> None:
        self.api.delete_project(name, self.identity.identity_id())

    # -- pages ------------------------------------------------------------------

    def _stored_numbers(self, project: str) -> set[int]:
        return self.storage.page_numbers(self._prefix(project))

    def upload(
        self,
        project: str,
        pages: Sequence[PreparedPage],
        *,
        replace: int | None = None,
        on_stored: StoredCallback | None = None,
    ) -> list[int]:
        self._check_name(project)
        if replace is not None and len(pages) != 1:
            raise BadInputError(f"--page {replace} replaces one page, but {len(pages)} were given")
        if not pages:
            return []
        prefix = self._prefix(project)
        if replace is not None:
            numbers = [replace]
        else:
            # The count route counts finished pages only; pages still in OCR are in S3.
            highest = max(self.api.page_count(project), *self.storage.page_numbers(prefix), 0)
            numbers = list(range(highest + 1, highest + 1 + len(pages)))
        objects = [
            PageObject(number, f"{prefix}{number}.png", page.png)
            for number, page in zip(numbers, pages, strict=True)
        ]
        self.storage.put_pages(objects, on_stored)
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
        """Wait for the backend's OCR of `numbers` (default: every stored page)."""
        wanted = sorted(set(numbers) if numbers is not None else self._stored_numbers(project))
        limit = DEFAULT_WAIT_S if timeout is None else timeout
        deadline = time.monotonic() + limit
        finished: dict[int, Page] = {}
        delay = FIRST_POLL_S
        while True:
            for page in self._finished(project, wanted):
                if page.number not in finished:
                    finished[page.number] = page
                    if on_page is not None:
                        on_page(page)
            missing = [n for n in wanted if n not in finished]
            if not missing:
                return [finished[n] for n in wanted]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"OCR of project {project!r} did not finish within {limit:g} s: "
                    + self._missing(project, wanted, missing),
                    hint="run 'docscan wait' to keep waiting",
                )
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, MAX_POLL_S)

    def _missing(self, project: str, wanted: list[int], missing: list[int]) -> str:
        if len(missing) == len(wanted) or self.has_text_route(project):
            return f"page{'s' if len(missing) > 1 else ''} {page_ranges(missing)} still pending"
        # A count does not say which pages are done, only how many.
        return (
            f"{len(missing)} of pages {page_ranges(wanted)} still pending "
            "(the backend counts processed pages without saying which)"
        )

    def _finished(self, project: str, wanted: list[int]) -> list[Page]:
        if self.has_text_route(project):
            return [p for p in self._route_pages(project) if p.status is not PageStatus.PENDING]
        # The count is all the published backend tells: pages 1..count count as done.
        count = self.api.page_count(project)
        return [Page(project, n, PageStatus.DONE) for n in wanted if n <= count]

    def pages(self, project: str) -> list[Page]:
        if self.has_text_route(project):
            return self._route_pages(project)
        stored = self._stored_numbers(project)
        count = self.api.page_count(project)
        numbers = sorted(stored | set(range(1, count + 1)))
        texts = self._pdf_texts(project) if count else []
        # One PDF page per processed page, in page order; without a page route the
        # pages past the count are taken to be the ones still in OCR.
        done = len(texts)
        pages = [
            Page(project, n, PageStatus.DONE, stored_text=text)
            for n, text in zip(numbers[:done], texts, strict=False)
        ]
        return pages + [Page(project, n, PageStatus.PENDING) for n in numbers[done:]]

    def _route_pages(self, project: str) -> list[Page]:
        pages = []
        for item in self.api.page_texts(project):
            try:
                status = PageStatus(str(item.get("status") or "done"))
                lines = [Line.from_dict(line) for line in item.get("lines") or []]
                page = Page(
                    project=project,
                    number=int(item["page"]),
                    status=status,
                    lines=lines,
                    width=int(item.get("width") or 0),
                    height=int(item.get("height") or 0),
                    error=item.get("error"),
                    stored_text=item.get("text"),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise BackendError(f"reading pages: malformed page entry ({exc})") from None
            pages.append(page)
        return sorted(pages, key=lambda p: p.number)

    def _pdf_bytes(self, project: str) -> bytes:
        from docscan.pdf import decode_data_url, is_pdf

        url = self.api.pdf_url(project)
        if url.startswith("data:"):
            data = decode_data_url(url)
        elif url.startswith("https://"):
            data = self.api.download(url, "getting the PDF")
        else:
            raise BackendError("getting the PDF: the answer is neither a data: nor an https URL")
        if not is_pdf(data):
            raise BackendError("getting the PDF: the backend's answer is not a PDF")
        return data

    def _pdf_texts(self, project: str) -> list[str]:
        from docscan.pdf import extract_pages_text

        try:
            return extract_pages_text(self._pdf_bytes(project))
        except BadInputError as exc:
            raise BackendError(f"reading the backend's PDF: {exc}") from None

    def write_pdf(self, project: str, out: Path, *, text_only: bool = False) -> int:
        """Save the PDF the backend renders (the published one renders text pages only,
        whatever `text_only` says)."""
        if self.api.page_count(project) == 0 and not self.has_text_route(project):
            self.get_project(project)
            raise NotFoundError(
                f"project {project!r} has no processed pages yet",
                hint="upload pages, then 'docscan wait'",
            )
        data = self._pdf_bytes(project)
        count = _pdf_page_count(data)
        _write_atomically(out, data)
        return count


def _millis(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _pdf_page_count(data: bytes) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return len(PdfReader(io.BytesIO(data)).pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise BackendError(f"the backend's PDF is damaged ({exc})") from None


def _write_atomically(out: Path, data: bytes) -> None:
    """Replace `out` only once the whole file is written (a reader never sees half)."""
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("xb") as fh:
            fh.write(data)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BadInputError(f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
