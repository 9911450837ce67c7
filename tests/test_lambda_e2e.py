"""The CLI on an `aws` profile against docscan's own backend, end to end.

Cognito (moto) issues real tokens; the in-process API Gateway verifies them and calls
the Lambda handlers, mounted on the routes the SAM template declares; uploads go to the
moto bucket, whose notification (the template's filter) puts S3 events in the moto SQS
queue (the template's redrive policy); before every API request the queue is drained
into the OCR Lambda, as Lambda's SQS event source would do. Textract answers per page
through a patch of moto's Textract responder.
"""

from __future__ import annotations

import io
import json
from urllib.parse import unquote_plus

import pytest
from PIL import Image
from pypdf import PdfReader

from docscan.backends.aws import api as client_api
from docscan.lambdas import ocr
from docscan.models import PageStatus
from docscan.scanner.dynamo_store import DynamoRepository
from tests.lambda_support import Stack, TextractStub, create_stack, drain_queue, load_template
from tests.support.apigw import ApiGatewayAdapter, cognito_verifier
from tests.support.cognito import API_URL, BUCKET, PASSWORD
from tests.support.fixtures import *  # noqa: F403

UNICODE = ["“Smart quotes” — em dash", "Ελληνικά · русский · Straße · ½ ≠ ⅓"]


def template_routes() -> list[tuple[str, str, object]]:
    """(method, path, handler) for every Api event of every function in template.yaml."""
    import importlib

    routes = []
    for resource in load_template()["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        module, _, name = props["Handler"].rpartition(".")
        handler = getattr(importlib.import_module(module), name)
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "Api":
                routes.append((event["Properties"]["Method"], event["Properties"]["Path"], handler))
    return routes


class OwnBackend:
    """docscan's backend on moto, mounted at the profile's API URL."""

    def __init__(self, stack: Stack, textract: TextractStub, adapter: ApiGatewayAdapter):
        self.stack = stack
        self.textract = textract
        self.adapter = adapter
        self.texts: dict[tuple[str, str, int], list[str]] = {}
        self.poisoned: set[tuple[str, str, int]] = set()
        self.drains = 0
        textract.resolver = self.lines_for

    def lines_for(self, key: str) -> list[str]:
        _, _, user, project, name = key.split("/")
        page = (user, project, int(name.split(".")[0]))
        if page in self.poisoned:
            self.textract.poison.add(key)
            return self.textract.answer({"S3Object": {"Name": key}})  # raises
        return self.texts.get(page, [f"{project} page {page[2]}"])

    def drain(self) -> None:
        drain_queue(self.stack, ocr.handler)
        self.drains += 1

    @property
    def repo(self) -> DynamoRepository:
        db = self.stack.dynamodb
        return DynamoRepository(
            db.Table(self.stack.projects_table), db.Table(self.stack.pages_table)
        )


@pytest.fixture
def own(cognito, monkeypatch) -> OwnBackend:
    stack = create_stack(bucket=BUCKET)
    for name, value in stack.env.items():
        monkeypatch.setenv(name, value)
    textract = TextractStub().install(monkeypatch)
    verify = cognito_verifier(cognito.region, cognito.user_pool_id, cognito.client_id)
    adapter = ApiGatewayAdapter(template_routes(), verify)
    backend = OwnBackend(stack, textract, adapter)
    adapter.before_request = backend.drain
    monkeypatch.setitem(client_api.TRANSPORTS, API_URL, adapter)
    cognito.write_profile("aws")
    return backend


def login(cognito, cli, user: str, profile: str = "aws") -> tuple[str, ...]:
    cognito.create_user(user)
    if profile != "aws":
        cognito.write_profile(profile)
    cli(
        "--profile", profile, "login", "--username", user, "--password-stdin", input=PASSWORD + "\n"
    )
    return ("--profile", profile)


def images(tmp_path, count: int, prefix: str = "page") -> list[str]:
    paths = []
    for n in range(1, count + 1):
        path = tmp_path / f"{prefix}{n}.png"
        Image.new("RGB", (500 + n, 700), "white").save(path)
        paths.append(str(path))
    return paths


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_full_flow_with_a_space_and_unicode_in_the_project(own, cognito, cli, tmp_path):
    aws = login(cognito, cli, "alice")
    name = "tax return 2026 — Übersicht"
    own.texts[("alice", name, 1)] = UNICODE
    own.texts[("alice", name, 2)] = ["Receipt", "Total 42.00"]

    cli(*aws, "project", "create", name)
    listed = json.loads(cli(*aws, "--json", "project", "list").stdout)
    assert [p["name"] for p in listed] == [name]
    out = json.loads(cli(*aws, "--json", "upload", *images(tmp_path, 2), "--wait").stdout)
    assert out["pages"] == [1, 2]
    assert [p["status"] for p in out["processed"]] == ["done", "done"]

    # The keys S3 announced had "+" for spaces: the OCR Lambda decoded them.
    text = cli(*aws, "text").stdout
    assert text.split("\f") == ["".join(f"{line}\n" for line in UNICODE), "Receipt\nTotal 42.00\n"]
    pages = json.loads(cli(*aws, "--json", "pages").stdout)
    assert [(p["page"], p["status"]) for p in pages] == [(1, "done"), (2, "done")]
    assert pages[0]["lines"][0]["box"][0] == [50.1, 35.0]  # Textract's fractions, in pixels
    assert (pages[0]["width"], pages[0]["height"]) == (501, 700)

    pdf = tmp_path / "out.pdf"
    cli(*aws, "pdf", str(pdf))
    texts = pdf_pages(pdf.read_bytes())
    assert len(texts) == 2
    for line in UNICODE:  # outside Latin-1: the published backend answers 5xx here
        assert line in texts[0]

    cli(*aws, "project", "delete", name, "--yes")
    assert own.stack.object_keys() == []
    assert own.repo.count_pages("alice", name) == 0
    assert json.loads(cli(*aws, "--json", "project", "list").stdout) == []
    assert all(call.status < 500 for call in own.adapter.calls)


def test_two_users_with_small_query_pages_see_only_their_own(
    own, cognito, cli, tmp_path, monkeypatch
):
    monkeypatch.setenv("DOCSCAN_QUERY_PAGE_SIZE", "2")
    monkeypatch.setenv("DOCSCAN_PAGES_PER_RESPONSE", "2")
    alice = login(cognito, cli, "alice")
    bob = login(cognito, cli, "bob", profile="bob")
    for who, user in ((alice, "alice"), (bob, "bob")):
        for n in range(3):
            cli(*who, "project", "create", f"{user}-extra-{n}")
        cli(*who, "project", "create", "shared")
        own.texts.update({(user, "shared", n): [f"{user} page {n}"] for n in range(1, 6)})
        cli(*who, "upload", *images(tmp_path, 5, prefix=user), "--wait")

    for who, user in ((alice, "alice"), (bob, "bob")):
        listed = [p["name"] for p in json.loads(cli(*who, "--json", "project", "list").stdout)]
        assert sorted(listed) == sorted(["shared", *(f"{user}-extra-{n}" for n in range(3))])
        text = cli(*who, "-p", "shared", "text").stdout
        assert text.split("\f") == [f"{user} page {n}\n" for n in range(1, 6)]
        # Five pages at two per response: all five came back, so `next` was followed.
    counts = {u: own.repo.count_pages(u, "shared", PageStatus.DONE) for u in ("alice", "bob")}
    assert counts == {"alice": 5, "bob": 5}


def test_a_large_pdf_comes_through_a_presigned_url(own, cognito, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCSCAN_PDF_INLINE_LIMIT", "3000")
    aws = login(cognito, cli, "alice")
    cli(*aws, "project", "create", "book")
    own.texts.update({("alice", "book", n): [*UNICODE, f"page {n}"] for n in range(1, 7)})
    cli(*aws, "upload", *images(tmp_path, 6), "--wait")

    pdf = tmp_path / "book.pdf"
    cli(*aws, "pdf", str(pdf))

    texts = pdf_pages(pdf.read_bytes())
    assert len(texts) == 6 and "page 6" in texts[5] and UNICODE[1] in texts[5]
    (export,) = own.stack.object_keys("exports/")
    assert export.startswith("exports/alice/") and export.endswith("/book.pdf")


def test_textract_throttling_is_absorbed(own, cognito, cli, tmp_path, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", slept.append)
    aws = login(cognito, cli, "alice")
    cli(*aws, "project", "create", "busy")
    own.textract.throttle_any = 3

    out = json.loads(cli(*aws, "--json", "upload", *images(tmp_path, 2), "--wait").stdout)

    assert [p["status"] for p in out["processed"]] == ["done", "done"]
    assert own.textract.throttled == 3 and len(slept) >= 3  # botocore backed off


def test_a_poisoned_page_fails_visibly_and_waits_in_the_dead_letter_queue(
    own, cognito, cli, tmp_path, monkeypatch
):
    monkeypatch.setenv("DOCSCAN_TEXTRACT_MAX_ATTEMPTS", "1")
    aws = login(cognito, cli, "alice")
    cli(*aws, "project", "create", "mixed")
    own.poisoned.add(("alice", "mixed", 2))

    out = json.loads(
        cli(*aws, "--json", "upload", *images(tmp_path, 3), "--wait", code=None).stdout
    )

    assert [p["status"] for p in out["processed"]] == ["done", "failed", "done"]
    assert "dead-letter" in out["processed"][1]["error"]
    dead = own.stack.sqs.receive_message(QueueUrl=own.stack.dlq_url)["Messages"]
    key = unquote_plus(json.loads(dead[0]["Body"])["Records"][0]["s3"]["object"]["key"])
    assert key.endswith("/alice/mixed/2.png")
    assert key in own.stack.object_keys()  # the page image is still stored
    assert own.stack.queue_depth(own.stack.queue_url) == 0
