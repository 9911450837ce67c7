"""The backend's REST API behind API Gateway and its Cognito authorizer.

Every call carries `Authorization: Bearer <ID token>`. Idempotent calls (GET) are retried
on connection errors, 429 and 5xx with exponential backoff by urllib3's `Retry`; POSTs are
retried only when the connection failed before the request was sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.util.retry import Retry

from docscan.backends.aws.auth import LOGIN_HINT, scrub
from docscan.errors import AuthError, BackendError, NotFoundError

TIMEOUT = (10, 40)  # connect, read (API Gateway itself gives up after 29 s)
RETRY = Retry(
    total=5,
    connect=3,
    read=2,
    status=4,
    backoff_factor=0.5,
    backoff_max=8,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=frozenset({"GET", "HEAD"}),
    respect_retry_after_header=True,
    raise_on_status=False,
)
# Transport adapters mounted on every new session, by URL prefix, after the retrying one.
# Tests mount an in-process API Gateway emulation here.
TRANSPORTS: dict[str, BaseAdapter] = {}
# API Gateway's answer for a route (or method) the API does not have.
MISSING_ROUTE = "Missing Authentication Token"


def new_session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=RETRY)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    for prefix, transport in TRANSPORTS.items():
        session.mount(prefix, transport)
    return session


def path_segment(value: str) -> str:
    """A path parameter, percent-encoded so that nothing in it is read as syntax."""
    return quote(value, safe="")


def excerpt(response: requests.Response, limit: int = 160) -> str:
    body = scrub(response.text or "")
    return body[:limit] + ("..." if len(body) > limit else "")


class NoSuchRoute(BackendError):
    """API Gateway has no such route (its 403 'Missing Authentication Token')."""


class ApiClient:
    def __init__(
        self,
        base_url: str,
        id_token: Callable[[], str],
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._id_token = id_token
        self.session = session or new_session()

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, *, what: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._id_token()}", "Accept": "application/json"}
        url = self.base_url + path
        try:
            response = self.session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            host = urlsplit(url).netloc
            raise BackendError(
                f"{what}: cannot reach the API at {host} ({type(exc).__name__})"
            ) from None
        self._check(response, what)
        return response

    @staticmethod
    def _check(response: requests.Response, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        if status in (403, 404) and _message(response) == MISSING_ROUTE:
            raise NoSuchRoute(f"{what}: the API has no such route (HTTP {status})")
        if status == 404:
            raise NotFoundError(f"{what}: not found (HTTP 404: {excerpt(response)})")
        if status == 401:
            raise AuthError(f"{what}: the API refused the session (HTTP 401)", hint=LOGIN_HINT)
        if status == 403:
            raise AuthError(
                f"{what}: the API refused access (HTTP 403: {excerpt(response)})", hint=LOGIN_HINT
            )
        raise BackendError(f"{what}: HTTP {status}: {excerpt(response) or response.reason}")

    @staticmethod
    def json(response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            body = excerpt(response)
            raise BackendError(f"{what}: the API did not answer JSON: {body}") from None

    # -- routes of the published backend ----------------------------------------

    def list_projects(self) -> list[dict[str, Any]]:
        what = "listing projects"
        data = self.json(self.request("GET", "/projects", what=what), what)
        if isinstance(data, dict):  # tolerate {"projects": [...]} / {"items": [...]}
            data = data.get("projects", data.get("items"))
        if not isinstance(data, list):
            raise BackendError(f"{what}: unexpected answer (not a list)")
        return [item for item in data if isinstance(item, dict)]

    def create_project(self, name: str) -> None:
        # The published Lambda answers plain text, not JSON: nothing to read.
        self.request("POST", "/projects", what="creating the project", json={"name": name})

    def delete_project(self, name: str, identity_id: str) -> None:
        self.request(
            "POST",
            "/projects/delete",
            what="deleting the project",
            json={"name": name, "identityId": identity_id},
        )

    def page_count(self, project: str) -> int:
        what = "counting processed pages"
        data = self.json(
            self.request("GET", f"/pages/count/{path_segment(project)}", what=what), what
        )
        try:
            return int(float(data["page_count"]))
        except (TypeError, KeyError, ValueError):
            answer = scrub(json.dumps(data))[:160]
            raise BackendError(f"{what}: unexpected answer: {answer}") from None

    def pdf_url(self, project: str) -> str:
        what = "getting the PDF"
        try:
            response = self.request("GET", f"/pages/pdf/{path_segment(project)}", what=what)
        except NoSuchRoute:
            raise
        except BackendError as exc:
            if not exc.message.startswith(f"{what}: HTTP 5"):
                raise
            raise BackendError(
                f"{exc.message}. The published backend fails to render the PDF when a page's "
                "text has characters outside Latin-1 (curly quotes, dashes, non-Latin scripts) "
                "or when the PDF exceeds about 6 MB",
                hint="'docscan pages' still shows which pages were processed",
            ) from None
        data = self.json(response, what)
        url = data.get("url") if isinstance(data, dict) else None
        if not isinstance(url, str) or not url:
            raise BackendError(f"{what}: the answer has no 'url'")
        return url

    # -- routes only docscan's own backend has --------------------------------------

    def page_texts(self, project: str) -> list[dict[str, Any]]:
        """Every page with status and text (`GET /pages/{project}`, paginated), or
        NoSuchRoute on a backend without this route."""
        what = "reading pages"
        pages: list[dict[str, Any]] = []
        params: dict[str, str] = {}
        while True:
            response = self.request(
                "GET", f"/pages/{path_segment(project)}", what=what, params=params
            )
            data = self.json(response, what)
            if not isinstance(data, dict) or not isinstance(data.get("pages"), list):
                raise BackendError(f"{what}: unexpected answer (no 'pages' list)")
            pages.extend(p for p in data["pages"] if isinstance(p, dict))
            token = data.get("next")
            if not token:
                return pages
            params = {"next": str(token)}

    def download(self, url: str, what: str) -> bytes:
        """A presigned URL (no Authorization header: it must not leave for another host)."""
        try:
            response = self.session.get(url, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise BackendError(f"{what}: download failed ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise BackendError(f"{what}: download failed: HTTP {response.status_code}")
        return response.content


def _message(response: requests.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get("message") if isinstance(data, dict) else None
