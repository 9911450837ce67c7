"""The REST routes behind API Gateway (Lambda proxy integration, Cognito authorizer).

The published routes answer as the published backend did, so its web client keeps
working; what was a crash there is a 4xx with a JSON `{"message": ...}` here:

- POST /projects `{"name": P}` (`create_project`): 200, plain text.
- GET /projects (`list_projects`): 200, `[{"username", "project_name", "timestamp"}]`.
- POST /projects/delete `{"name", "identityId"}` (`delete_project`): 200, empty body.
- GET /pages/count/{project} (`page_count`): `{"page_count": N}`, pages whose OCR is done.
- GET /pages/pdf/{project} (`pdf`): `{"url": "data:application/pdf;base64,..."}`, or a
  presigned https URL when the data URL would be too big for a response.
- GET /pages/{project} (`list_pages`, new): `{"pages": [...], "next": token or null}`.

Every handler keys its data on the token's `cognito:username` claim, never on the
request. Project names arrive percent-encoded in the path and are decoded here.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from docscan.errors import (
    AuthError,
    BackendError,
    BadInputError,
    DocscanError,
    NotFoundError,
    UsageError,
)
from docscan.lambdas import common
from docscan.models import Page, PageStatus
from docscan.scanner.names import validate_project_name
from docscan.scanner.service import layout_dpi

log = logging.getLogger("docscan.lambdas.api")
log.setLevel(logging.INFO)

Event = dict[str, Any]
Response = dict[str, Any]

CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*"}
DATA_URL_PREFIX = "data:application/pdf;base64,"
EXPORT_PREFIX = "exports/"  # outside private/: never an OCR trigger, expired by a lifecycle rule

# `<region>:<uuid>`, as Cognito identity pools issue them.
IDENTITY_ID = re.compile(
    r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


# -- requests and responses -------------------------------------------------------------


def respond(status: int, body: str = "", content_type: str = "application/json") -> Response:
    headers = dict(CORS_HEADERS)
    if body:
        headers["Content-Type"] = content_type
    return {"statusCode": status, "headers": headers, "body": body}


def respond_json(status: int, value: object) -> Response:
    return respond(status, json.dumps(value, ensure_ascii=False))


def error_response(status: int, message: str) -> Response:
    return respond_json(status, {"message": message})


@dataclass
class Request:
    event: Event
    username: str

    @classmethod
    def from_event(cls, event: Event) -> Request:
        context = event.get("requestContext") or {}
        claims = (context.get("authorizer") or {}).get("claims") or {}
        username = claims.get("cognito:username")
        if not isinstance(username, str) or not username:
            raise _Unauthorized("the request carries no Cognito user")
        if "/" in username:
            # The username is a segment of the page keys: a slash would move it elsewhere.
            raise AuthError("this user name cannot be used with the page key scheme")
        return cls(event, username)

    def json_body(self) -> dict[str, Any]:
        raw = self.event.get("body") or ""
        if self.event.get("isBase64Encoded"):
            try:
                raw = base64.b64decode(raw).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise BadInputError("the request body is not valid base64 UTF-8") from None
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, TypeError):
            raise BadInputError("the request body is not JSON") from None
        if not isinstance(body, dict):
            raise BadInputError("the request body must be a JSON object")
        return body

    def body_project(self) -> str:
        name = self.json_body().get("name")
        if not isinstance(name, str):
            raise BadInputError('the request body needs a "name" string')
        return validate_project_name(name)

    def path_project(self) -> str:
        params = self.event.get("pathParameters") or {}
        raw = params.get("project")
        if raw is None:
            # GET /pages/count and /pages/pdf: the listing of a project named so.
            raw = str(self.event.get("resource") or self.event.get("path") or "").rsplit("/", 1)[-1]
        # API Gateway REST APIs pass the segment as it was sent: decode it once here.
        return validate_project_name(unquote(str(raw)))

    def query(self, name: str) -> str | None:
        params = self.event.get("queryStringParameters") or {}
        value = params.get(name)
        return None if value is None else str(value)


class _Unauthorized(DocscanError):
    pass


def _status_for(error: DocscanError) -> int:
    if isinstance(error, _Unauthorized):
        return 401
    if isinstance(error, BadInputError | UsageError):
        return 400
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, AuthError):
        return 403
    if isinstance(error, BackendError):
        return 502
    return 500


def route(func: Callable[[Request], Response]) -> Callable[[Event, Any], Response]:
    """A Lambda handler around `func`: parse the request, map errors to JSON answers."""

    @functools.wraps(func)
    def handler(event: Event, context: Any = None) -> Response:
        try:
            return func(Request.from_event(event))
        except DocscanError as exc:
            status = _status_for(exc)
            if status >= 500:
                log.error("%s %s failed: %s", event.get("httpMethod"), event.get("path"), exc)
            return error_response(status, exc.message)
        except Exception:
            log.exception("%s %s failed", event.get("httpMethod"), event.get("path"))
            return error_response(500, "internal error")

    return handler


# -- projects ---------------------------------------------------------------------------


@route
def create_project(request: Request) -> Response:
    """POST /projects `{"name": P}`: 200 with a plain-text body, as published."""
    name = request.body_project()
    settings = common.Settings.from_env()
    # Creating an existing project is not an error (the published backend overwrote it);
    # here it keeps its creation time.
    common.scanner_service(settings, request.username).create_project(name, exist_ok=True)
    return respond(200, f"project {name} saved", content_type="text/plain; charset=utf-8")


@route
def list_projects(request: Request) -> Response:
    """GET /projects: the caller's projects (one Query on their partition)."""
    settings = common.Settings.from_env()
    projects = common.scanner_service(settings, request.username).list_projects()
    return respond_json(
        200,
        [
            {"username": request.username, "project_name": p.name, "timestamp": p.created_ms}
            for p in projects
        ],
    )


@route
def delete_project(request: Request) -> Response:
    """POST /projects/delete `{"name": P, "identityId": I}`: 200, empty body.

    Deletes the project item, every page item (Query + batch writes) and the objects
    under `private/<I>/<username>/<P>/`. The username segment comes from the token, so
    the request can only name prefixes inside the caller's own key space: a foreign
    identity id leads to `private/<other>/<caller>/...`, where the other identity's
    uploads (confined by IAM to their own identity prefix, and written under their own
    username) never are. `I` must look like an identity id, so it cannot reshape the key.
    """
    name = request.body_project()
    identity_id = request.json_body().get("identityId")
    if not isinstance(identity_id, str) or not IDENTITY_ID.match(identity_id):
        raise BadInputError('the request body needs an "identityId" like "<region>:<uuid>"')
    settings = common.Settings.from_env()
    service = common.scanner_service(
        settings, request.username, key_prefix=f"private/{identity_id}/"
    )
    # A missing project is not an error (as published), and its leftovers still go.
    service.delete_project(name, missing_ok=True)
    return respond(200)


# -- pages ------------------------------------------------------------------------------


@route
def page_count(request: Request) -> Response:
    """GET /pages/count/{project}: `{"page_count": N}`, the pages whose OCR is done."""
    project = request.path_project()
    settings = common.Settings.from_env()
    count = common.repository(settings).count_pages(request.username, project, PageStatus.DONE)
    return respond_json(200, {"page_count": count})


def page_json(page: Page) -> dict[str, object]:
    return {
        "page": page.number,
        "text": page.text,
        "status": str(page.status),
        "lines": [line.to_dict() for line in page.lines],
        "width": page.width,
        "height": page.height,
        "error": page.error,
    }


def encode_token(after: int) -> str:
    raw = json.dumps({"after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise BadInputError("the next token is not one this API issued") from None
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise BadInputError("the next token is not one this API issued")
    return after


@route
def list_pages(request: Request) -> Response:
    """GET /pages/{project}[?next=T]: every page with its status, text and line boxes.

    Results come in page-number order, at most `DOCSCAN_PAGES_PER_RESPONSE` pages and
    about `DOCSCAN_PAGES_RESPONSE_BYTES` of JSON per response; `next` is null on the
    last one. The token only says where to resume inside the caller's own project.
    A project without pages, or one that does not exist, has an empty list (as the
    count route answers 0): clients probe this route to learn whether the API has it.
    """
    project = request.path_project()
    token = request.query("next")
    after = decode_token(token) if token else 0
    settings = common.Settings.from_env()
    repo = common.repository(settings)
    pages: list[dict[str, object]] = []
    size = last = 0
    next_token = None
    for page in repo.iter_pages_after(request.username, project, after):
        entry = page_json(page)
        entry_size = len(json.dumps(entry, ensure_ascii=False).encode())
        if pages and (
            len(pages) >= settings.pages_per_response
            or size + entry_size > settings.pages_response_bytes
        ):
            next_token = encode_token(last)
            break
        pages.append(entry)
        size += entry_size
        last = page.number
    return respond_json(200, {"pages": pages, "next": next_token})


@route
def pdf(request: Request) -> Response:
    """GET /pages/pdf/{project}: `{"url": ...}`, a text-only PDF of the finished pages.

    The PDF is set in the bundled DejaVu font, so any Unicode text renders. Inline as a
    data: URL while that stays under `DOCSCAN_PDF_INLINE_LIMIT` characters; beyond, it is
    stored under `exports/` and the URL is a presigned https link, so large projects no
    longer hit the ~6 MB response limit.
    """
    from docscan.pdf import PdfPage, render_text_pdf_bytes  # fpdf2 loads only here

    project = request.path_project()
    settings = common.Settings.from_env()
    service = common.scanner_service(settings, request.username)
    # As published: one PDF page per page whose OCR has finished.
    pages = [
        PdfPage(
            width=page.width,
            height=page.height,
            lines=page.lines,
            text=page.text,
            dpi=layout_dpi(page.width, page.height),
        )
        for page in service.pages(project)
        if page.status is PageStatus.DONE
    ]
    # No finished page: one blank page, as the published backend answered.
    data = render_text_pdf_bytes(pages or [PdfPage(width=0, height=0)])
    encoded = base64.b64encode(data).decode("ascii")
    if len(DATA_URL_PREFIX) + len(encoded) <= settings.pdf_inline_limit:
        return respond_json(200, {"url": DATA_URL_PREFIX + encoded})
    store = common.object_store(settings)
    key = f"{EXPORT_PREFIX}{request.username}/{uuid.uuid4().hex}/{project}.pdf"
    store.put(
        key,
        data,
        content_type="application/pdf",
        ContentDisposition=f"attachment; filename*=UTF-8''{quote(project)}.pdf",
    )
    log.info("PDF of %d bytes stored as %s", len(data), key)
    return respond_json(200, {"url": store.presigned_get_url(key, settings.pdf_url_expires)})


# -- one entry point for every route (for a single-function deployment or a router) ----

ROUTES: dict[tuple[str, str], Callable[[Event, Any], Response]] = {
    ("POST", "/projects"): create_project,
    ("GET", "/projects"): list_projects,
    ("POST", "/projects/delete"): delete_project,
    ("GET", "/pages/count/{project+}"): page_count,
    ("GET", "/pages/pdf/{project+}"): pdf,
    ("GET", "/pages/{project+}"): list_pages,
    ("GET", "/pages/count"): list_pages,
    ("GET", "/pages/pdf"): list_pages,
}


def handler(event: Event, context: Any = None) -> Response:
    """Dispatch on the API Gateway resource (`/pages/count/{project}` and the greedy
    `/pages/count/{project+}` are the same route)."""
    method = str(event.get("httpMethod", "")).upper()
    resource = str(event.get("resource", "")).replace("{project}", "{project+}")
    target = ROUTES.get((method, resource))
    if target is None:
        return error_response(404, f"no route for {method} {event.get('resource')}")
    return target(event, context)
