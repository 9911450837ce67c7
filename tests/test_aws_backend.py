"""Pages, projects and PDFs on an AWS profile: the published backend's quirks, waiting,
numbering, name checks, docscan's own text route, and the REST client's retries."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image

from docscan.backends.aws.api import ApiClient
from docscan.backends.aws.auth import session_path
from docscan.errors import BackendError, ExitCode
from tests.support.clients import client
from tests.support.cognito import BUCKET
from tests.support.fixtures import *  # noqa: F403

AWS = ("--profile", "aws")


def _error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def images(tmp_path) -> list[Path]:
    paths = []
    for n in range(1, 4):
        path = tmp_path / f"page{n}.png"
        Image.new("L", (300 + n, 400), 255).save(path)
        paths.append(path)
    return paths


def _keys() -> list[str]:
    listing = client("s3").list_objects_v2(Bucket=BUCKET)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def _project(cli, name="book"):
    cli(*AWS, "project", "create", name)


def test_pdf_outside_latin1_is_explained(alice, cli, published, images, tmp_path):
    published.backend.ocr = {("book", 1): ["\u201cQuoted\u201d \u2014 text"]}
    _project(cli)
    cli(*AWS, "upload", str(images[0]), "--wait")
    result = cli(*AWS, "pdf", str(tmp_path / "out.pdf"), code=ExitCode.BACKEND)
    line = _error(result)
    assert "HTTP 502" in line and "Latin-1" in line
    assert not (tmp_path / "out.pdf").exists()
    assert "Latin-1" in _error(cli(*AWS, "text", code=ExitCode.BACKEND))


@pytest.mark.parametrize("name", ["my project", "a/b", "caf\u00e9", "50%"])
def test_names_the_published_backend_cannot_process_are_refused(
    alice, cli, published, images, tmp_path, name
):
    result = cli(*AWS, "project", "create", name, code=ExitCode.BAD_INPUT)
    assert "project name" in _error(result)
    scan = cli(*AWS, "scan", str(images[0]), "-o", str(tmp_path / "o.pdf"), "-p", name, code=4)
    assert "project name" in _error(scan)
    assert _keys() == []
    assert published.backend.projects.scan()["Items"] == []


def test_upload_refuses_a_bad_name_before_storing(alice, published, images):
    from docscan.backends.aws import AwsBackend
    from docscan.config import load_profile
    from docscan.errors import BadInputError
    from docscan.images import prepare_all

    backend = AwsBackend(load_profile("aws"))
    with pytest.raises(BadInputError):
        backend.upload("two words", prepare_all(images))
    assert _keys() == []


def test_wait_times_out_naming_the_missing_pages(alice, cli, published, images):
    published.backend.ocr = lambda user, project, page: None if page == 2 else ["ok"]
    _project(cli)
    result = cli(*AWS, "upload", *map(str, images), "--wait", "--timeout", "0.3", code=8)
    assert "1 of pages 1-3 still pending (the backend counts" in _error(result)
    stored = json.loads(cli(*AWS, "--json", "pages").stdout)
    assert [(p["page"], p["status"]) for p in stored] == [(1, "done"), (2, "done"), (3, "pending")]
    published.backend.ocr = lambda user, project, page: None
    cli(*AWS, "upload", str(images[0]), code=0)
    result = cli(*AWS, "upload", str(images[0]), "--wait", "--timeout", "0", code=8)
    assert "page 5 still pending" in _error(result)


def test_numbering_counts_pages_still_in_ocr(alice, cli, published, images):
    published.backend.ocr = lambda user, project, page: None  # nothing finishes
    _project(cli)
    first = json.loads(cli(*AWS, "--json", "upload", str(images[0]), str(images[1])).stdout)
    second = json.loads(cli(*AWS, "--json", "upload", str(images[2])).stdout)
    assert (first["pages"], second["pages"]) == ([1, 2], [3])
    replaced = json.loads(cli(*AWS, "--json", "upload", str(images[0]), "--page", "2").stdout)
    assert replaced["pages"] == [2]
    assert [k.rsplit("/", 1)[1] for k in _keys()] == ["1.png", "2.png", "3.png"]


def test_upload_to_a_missing_project(alice, cli, images):
    result = cli(*AWS, "upload", str(images[0]), "-p", "nope", code=ExitCode.NOT_FOUND)
    assert "does not exist" in _error(result)


def test_projects_create_twice_list_and_other_users_rows(alice, cli, published):
    _project(cli)
    assert "already exists" in _error(cli(*AWS, "project", "create", "book", code=4))
    # The published list loses its filter past the first page of Scan results.
    published.backend.projects.put_item(
        Item={"username": "mallory", "project_name": "secret", "timestamp": 1}
    )
    published.backend.list_projects = lambda event, context: {  # type: ignore[method-assign]
        "statusCode": 200,
        "body": json.dumps(published.backend.projects.scan()["Items"], default=float),
    }
    published.adapter.routes = published.backend.adapter(None).routes  # re-bind handlers
    listed = json.loads(cli(*AWS, "--json", "project", "list").stdout)
    assert [p["name"] for p in listed] == ["book"]
    assert isinstance(listed[0]["created_ms"], int)
    cli(*AWS, "project", "use", "secret", code=ExitCode.NOT_FOUND)


def test_scan_on_aws(alice, cli, published, images, tmp_path):
    out = tmp_path / "scan.pdf"
    result = json.loads(cli(*AWS, "--json", "scan", *map(str, images), "-o", str(out)).stdout)
    assert result["pages"] == [1, 2, 3] and result["pdf_pages"] == 3
    assert out.read_bytes().startswith(b"%PDF-")


def test_pdf_of_a_project_without_processed_pages(alice, cli, tmp_path):
    _project(cli)
    result = cli(*AWS, "pdf", str(tmp_path / "o.pdf"), code=ExitCode.NOT_FOUND)
    assert "no processed pages" in _error(result)


def test_text_route_detection_is_cached(alice, cli, published, images):
    _project(cli)
    cli(*AWS, "upload", *map(str, images), "--wait")
    cli(*AWS, "text")
    cli(*AWS, "pages")
    probes = [c for c in published.adapter.calls if c.path == "/Prod/pages/book"]
    assert len(probes) == 1 and probes[0].status == 403
    routes = json.loads(session_path("aws").read_text())["text_route"]
    assert routes == {published.api_url: False}


# -- docscan's own backend: a text route, decoded names, presigned PDF URLs -------------


def test_own_backend_text_route_and_presigned_pdf(alice, cli, published, images, tmp_path):
    from docscan.pdf import PdfPage, render_text_pdf_bytes

    s3 = client("s3")
    seen_names = []

    def pages_route(event, context):
        from urllib.parse import unquote

        name = unquote(event["pathParameters"]["project"])
        seen_names.append(name)
        user = event["requestContext"]["authorizer"]["claims"]["cognito:username"]
        key = {"username": user, "project_name": name}
        if "Item" not in published.backend.projects.get_item(Key=key):
            return {"statusCode": 404, "body": json.dumps({"message": "no such project"})}
        token = (event.get("queryStringParameters") or {}).get("next")
        first = {"page": 1, "status": "done", "text": "one\n", "width": 10, "height": 20,
                 "lines": [{"text": "one", "box": [[0, 0], [5, 0], [5, 5], [0, 5]],
                            "confidence": 0.9}]}  # fmt: skip
        second = {"page": 2, "status": "failed", "text": "", "error": "unreadable"}
        body = {"pages": [first], "next": "p2"} if token is None else {"pages": [second]}
        return {"statusCode": 200, "body": json.dumps(body)}

    def pdf_route(event, context):
        s3.put_object(Bucket=BUCKET, Key="pdf/out.pdf", Body=render_text_pdf_bytes(
            [PdfPage(width=0, height=0, text="one\n")]))  # fmt: skip
        url = s3.generate_presigned_url(
            "get_object", Params={"Bucket": BUCKET, "Key": "pdf/out.pdf"}
        )
        return {"statusCode": 200, "body": json.dumps({"url": url})}

    routes = [
        *published.backend.routes(),
        ("GET", "/pages/{project}", pages_route),
        ("GET", "/pages/pdf/{project}", pdf_route),
    ]
    from tests.support.apigw import ApiGatewayAdapter, cognito_verifier

    c = published.cognito
    adapter = ApiGatewayAdapter(
        [r for r in routes if r[2] != published.backend.pdf],
        cognito_verifier(c.region, c.user_pool_id, c.client_id),
    )
    from docscan.backends.aws import api

    api.TRANSPORTS[published.api_url] = adapter  # restored by the fixture's monkeypatch
    cli(*AWS, "project", "create", "two words")  # allowed: this backend decodes names
    pages = json.loads(cli(*AWS, "--json", "pages", "-p", "two words").stdout)
    assert [(p["page"], p["status"], p["error"]) for p in pages] == [
        (1, "done", None),
        (2, "failed", "unreadable"),
    ]
    assert pages[0]["lines"][0]["text"] == "one" and pages[0]["width"] == 10
    assert set(seen_names) == {"two words"}
    out = tmp_path / "own.pdf"
    cli(*AWS, "pdf", str(out), "-p", "two words")
    assert out.read_bytes().startswith(b"%PDF-")


# -- the REST client on a real socket: urllib3 retries ----------------------------------


class _Flaky(BaseHTTPRequestHandler):
    failures: ClassVar[dict[str, int]] = {}
    seen: ClassVar[list[tuple[str, str]]] = []

    def _answer(self) -> None:
        self.seen.append((self.command, self.path))
        left = self.failures.get(self.command, 0)
        if left:
            self.failures[self.command] = left - 1
            self.send_response(503)
            body = b'{"message": "Service Unavailable"}'
        else:
            self.send_response(200)
            body = b'{"page_count": 2}' if self.command == "GET" else b"created"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def flaky_server():
    _Flaky.failures, _Flaky.seen = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/Prod"
    server.shutdown()
    server.server_close()


def test_get_is_retried_on_5xx_post_is_not(flaky_server):
    client = ApiClient(flaky_server, lambda: "token")
    _Flaky.failures = {"GET": 2, "POST": 1}
    assert client.page_count("a b") == 2
    assert [p for m, p in _Flaky.seen if m == "GET"] == ["/Prod/pages/count/a%20b"] * 3
    with pytest.raises(BackendError, match="HTTP 503"):
        client.create_project("x")
    assert [m for m, _ in _Flaky.seen].count("POST") == 1


def test_unreachable_api(monkeypatch):
    from urllib3.util.retry import Retry

    import docscan.backends.aws.api as api_module

    monkeypatch.setattr(api_module, "RETRY", Retry(total=0, raise_on_status=False))
    client = ApiClient("http://127.0.0.1:9/Prod", lambda: "token")
    with pytest.raises(BackendError, match=r"cannot reach the API at 127\.0\.0\.1:9"):
        client.list_projects()


def test_wait_command_waits_for_the_pending_pages_only(alice, cli, published, images):
    held = {3}
    published.backend.ocr = lambda user, project, page: None if page in held else ["ok"]
    _project(cli)
    cli(*AWS, "upload", *map(str, images))
    cli(*AWS, "wait", "--timeout", "0", code=ExitCode.TIMEOUT)
    asked = []

    def slow_ocr(user, project, page):  # page 3 finishes at the third look
        asked.append(page)
        return ["ok"] if len(asked) >= 3 else None

    published.backend.ocr = slow_ocr
    out = json.loads(cli(*AWS, "--json", "wait").stdout)
    assert [(p["page"], p["status"]) for p in out["processed"]] == [(3, "done")]
    assert "0 pages processed" in cli(*AWS, "wait").stderr  # nothing pending any more
