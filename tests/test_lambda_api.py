"""The REST handlers, called with API Gateway proxy events, on moto tables and bucket."""

from __future__ import annotations

import base64
import io
import json

import pytest
import requests
from pypdf import PdfReader

from docscan.lambdas import api, ocr
from docscan.models import Line, Page, PageStatus
from docscan.scanner.dynamo_store import DynamoRepository
from tests.lambda_support import (
    Stack,
    TextractStub,
    api_event,
    drain_queue,
    identity_id,
    json_body,
    moto_stack,
)

UNICODE_LINES = ["“Curly quotes” — and an em dash", "Ελληνικά, русский, Straße, ½ ≠ ⅓"]


@pytest.fixture
def aws_stack(monkeypatch):
    with moto_stack(monkeypatch) as stack:
        yield stack


@pytest.fixture
def textract(monkeypatch):
    return TextractStub().install(monkeypatch)


def repo(stack: Stack) -> DynamoRepository:
    return DynamoRepository(
        stack.dynamodb.Table(stack.projects_table), stack.dynamodb.Table(stack.pages_table)
    )


def create(name: str, user: str = "alice") -> dict:
    return api.create_project(api_event("POST", "/projects", user, body={"name": name}))


def add_pages(stack: Stack, user: str, project: str, count: int, status=PageStatus.DONE) -> None:
    store = repo(stack)
    for number in range(1, count + 1):
        box = ((1.0, 2.0), (90.0, 2.0), (90.0, 20.0), (1.0, 20.0))
        lines = [Line(f"{user} {project} page {number}", box, 0.9)]
        store.put_page(user, Page(project, number, status, lines, 100, 120))


def pdf_text(url: str) -> list[str]:
    assert url.startswith(api.DATA_URL_PREFIX)
    data = base64.b64decode(url[len(api.DATA_URL_PREFIX) :])
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


# -- projects ---------------------------------------------------------------------------


def test_create_answers_plain_text_and_is_idempotent(aws_stack):
    first = create("taxes 2026")
    assert first["statusCode"] == 200
    assert first["headers"]["Content-Type"].startswith("text/plain")
    assert first["headers"]["Access-Control-Allow-Origin"] == "*"
    assert create("taxes 2026")["statusCode"] == 200
    listed = json_body(api.list_projects(api_event("GET", "/projects")))
    assert len(listed) == 1
    assert listed[0]["username"] == "alice" and listed[0]["project_name"] == "taxes 2026"
    assert isinstance(listed[0]["timestamp"], int)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "a/b"}, "slash"),
        ({"name": ""}, "empty"),
        ({"name": " padded"}, "white space"),
        ({"name": 42}, '"name"'),
        ({}, '"name"'),
        ("not json", "not JSON"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_project_names_are_400_with_a_json_message(aws_stack, body, message):
    response = api.create_project(api_event("POST", "/projects", body=body))
    assert response["statusCode"] == 400
    assert message in json_body(response)["message"]


def test_requests_without_a_usable_user_are_refused(aws_stack):
    assert api.list_projects(api_event("GET", "/projects", username=None))["statusCode"] == 401
    response = api.list_projects(api_event("GET", "/projects", username="a/b"))
    assert response["statusCode"] == 403


def test_list_is_a_query_per_user_even_in_small_pages(aws_stack, monkeypatch):
    monkeypatch.setenv("DOCSCAN_QUERY_PAGE_SIZE", "2")
    for n in range(7):
        create(f"alice-{n}", "alice")
        create(f"bob-{n}", "bob")
    names = [p["project_name"] for p in json_body(api.list_projects(api_event("GET", "/projects")))]
    assert names == [f"alice-{n}" for n in range(7)]


def test_missing_table_configuration_is_a_500_json_error(aws_stack, monkeypatch):
    monkeypatch.delenv("PROJECTS_TABLE_NAME")
    response = api.list_projects(api_event("GET", "/projects"))
    assert response["statusCode"] == 500
    assert "PROJECTS_TABLE_NAME" in json_body(response)["message"]


# -- counts and page listings ---------------------------------------------------------------


def test_count_is_done_pages_only_and_correct_across_query_pages(aws_stack, monkeypatch):
    monkeypatch.setenv("DOCSCAN_QUERY_PAGE_SIZE", "2")
    create("p", "alice")
    add_pages(aws_stack, "alice", "p", 9)
    repo(aws_stack).put_page("alice", Page("p", 10, PageStatus.PENDING))
    repo(aws_stack).put_page("alice", Page("p", 11, PageStatus.FAILED, error="x"))
    add_pages(aws_stack, "bob", "p", 4)

    def count(user: str) -> int:
        event = api_event("GET", "/pages/count/{project+}", user, project="p")
        return json_body(api.page_count(event))["page_count"]

    assert count("alice") == 9
    assert count("bob") == 4
    assert count("carol") == 0


@pytest.mark.parametrize("name", ["my taxes", "Übersicht 2026", "a+b", "100%", "日本語"])
def test_path_parameters_are_url_decoded(aws_stack, name):
    create(name)
    add_pages(aws_stack, "alice", name, 2)
    event = api_event("GET", "/pages/count/{project+}", project=name)
    assert json_body(api.page_count(event)) == {"page_count": 2}


def test_a_slash_in_the_path_is_400(aws_stack):
    event = api_event("GET", "/pages/count/{project+}")
    event["pathParameters"] = {"project": "a/b"}
    response = api.page_count(event)
    assert response["statusCode"] == 400 and "slash" in json_body(response)["message"]


def test_list_pages_is_paginated_with_an_opaque_token(aws_stack, monkeypatch):
    monkeypatch.setenv("DOCSCAN_PAGES_PER_RESPONSE", "2")
    monkeypatch.setenv("DOCSCAN_QUERY_PAGE_SIZE", "1")
    create("p")
    add_pages(aws_stack, "alice", "p", 5)
    repo(aws_stack).put_page("alice", Page("p", 6, PageStatus.FAILED, error="unreadable"))
    add_pages(aws_stack, "bob", "p", 3)

    seen, token, calls = [], None, 0
    while True:
        query = {"next": token} if token else None
        body = json_body(
            api.list_pages(api_event("GET", "/pages/{project+}", project="p", query=query))
        )
        calls += 1
        seen.extend(body["pages"])
        token = body["next"]
        if token is None:
            break
        assert "page" not in token  # opaque, not a raw key
    assert calls == 3
    assert [p["page"] for p in seen] == [1, 2, 3, 4, 5, 6]
    first = seen[0]
    assert set(first) >= {"page", "text", "status", "lines", "width", "height"}
    assert first["text"] == "alice p page 1\n" and first["status"] == "done"
    assert first["lines"][0]["box"] == [[1.0, 2.0], [90.0, 2.0], [90.0, 20.0], [1.0, 20.0]]
    assert first["lines"][0]["confidence"] == 0.9
    assert (first["width"], first["height"]) == (100, 120)
    assert seen[-1]["status"] == "failed" and seen[-1]["error"] == "unreadable"


def test_list_pages_respects_a_byte_budget(aws_stack, monkeypatch):
    monkeypatch.setenv("DOCSCAN_PAGES_RESPONSE_BYTES", "300")
    create("p")
    add_pages(aws_stack, "alice", "p", 3)
    body = json_body(api.list_pages(api_event("GET", "/pages/{project+}", project="p")))
    assert [p["page"] for p in body["pages"]] == [1]  # one page always fits
    assert body["next"] is not None


def test_list_pages_errors(aws_stack):
    create("p", "bob")
    add_pages(aws_stack, "bob", "p", 1)
    missing = api.list_pages(api_event("GET", "/pages/{project+}", "alice", project="p"))
    assert json_body(missing) == {"pages": [], "next": None}  # bob's pages are not alice's
    bad = api.list_pages(
        api_event("GET", "/pages/{project+}", "bob", project="p", query={"next": "garbage!"})
    )
    assert bad["statusCode"] == 400 and "token" in json_body(bad)["message"]
    negative = api.encode_token(-1)
    assert (
        api.list_pages(
            api_event("GET", "/pages/{project+}", "bob", project="p", query={"next": negative})
        )["statusCode"]
        == 400
    )


def test_projects_named_count_or_pdf_can_be_listed(aws_stack):
    create("count")
    add_pages(aws_stack, "alice", "count", 1)
    event = api_event("GET", "/pages/count")  # the static resource, no path parameter
    body = json_body(api.handler(event))
    assert [p["page"] for p in body["pages"]] == [1]


# -- PDF --------------------------------------------------------------------------------


def test_pdf_is_unicode_and_holds_finished_pages_only(aws_stack, textract):
    create("unicode")
    ident = identity_id()
    for number, text in ((1, UNICODE_LINES), (2, ["second page"])):
        key = aws_stack.put_page_image(ident, "alice", "unicode", number)
        textract.texts[key] = text
    drain_queue(aws_stack, ocr.handler)
    repo(aws_stack).put_page("alice", Page("unicode", 3, PageStatus.PENDING))

    response = api.pdf(api_event("GET", "/pages/pdf/{project+}", project="unicode"))

    assert response["statusCode"] == 200
    pages = pdf_text(json_body(response)["url"])
    assert len(pages) == 2
    for line in UNICODE_LINES:
        assert line in pages[0]
    assert "second page" in pages[1]


def test_pdf_of_a_published_text_only_item(aws_stack):
    create("old")
    aws_stack.dynamodb.Table(aws_stack.pages_table).put_item(
        Item={"project": "alice/old", "page": 1, "text": "kept from before\n"}
    )
    url = json_body(api.pdf(api_event("GET", "/pages/pdf/{project+}", project="old")))["url"]
    assert "kept from before" in pdf_text(url)[0]


def test_pdf_of_an_empty_project_is_one_blank_page_and_of_a_missing_one_404(aws_stack):
    create("empty")
    url = json_body(api.pdf(api_event("GET", "/pages/pdf/{project+}", project="empty")))["url"]
    assert pdf_text(url) == [""]
    missing = api.pdf(api_event("GET", "/pages/pdf/{project+}", project="nope"))
    assert missing["statusCode"] == 404


def test_a_large_pdf_is_stored_and_handed_out_as_a_presigned_url(aws_stack, monkeypatch):
    monkeypatch.setenv("DOCSCAN_PDF_INLINE_LIMIT", "2000")
    create("big book")
    add_pages(aws_stack, "alice", "big book", 12)

    response = api.pdf(api_event("GET", "/pages/pdf/{project+}", project="big book"))

    url = json_body(response)["url"]
    assert url.startswith("https://")
    (key,) = aws_stack.object_keys("exports/")
    assert key.startswith("exports/alice/") and key.endswith("/big book.pdf")
    assert aws_stack.object_keys("private/") == []  # nothing that could trigger OCR
    assert aws_stack.queue_depth(aws_stack.queue_url) == 0
    head = aws_stack.s3.head_object(Bucket=aws_stack.bucket, Key=key)
    assert head["ContentType"] == "application/pdf"
    download = requests.get(url, timeout=10)
    assert download.status_code == 200
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(download.content)).pages]
    assert len(texts) == 12 and "page 12" in texts[-1]


# -- delete -----------------------------------------------------------------------------


def delete(name: str, identity: str, user: str = "alice") -> dict:
    body = {"name": name, "identityId": identity}
    return api.delete_project(api_event("POST", "/projects/delete", user, body=body))


def test_delete_removes_exactly_that_project(aws_stack, monkeypatch):
    monkeypatch.setenv("DOCSCAN_QUERY_PAGE_SIZE", "3")
    alice, bob = identity_id(), identity_id()
    for name in ("a", "ab"):
        create(name)
        add_pages(aws_stack, "alice", name, 30)
        for n in (1, 2):
            aws_stack.put_page_image(alice, "alice", name, n)
    create("a", "bob")
    add_pages(aws_stack, "bob", "a", 2)
    aws_stack.put_page_image(bob, "bob", "a", 1)

    response = delete("a", alice)

    assert response["statusCode"] == 200 and response["body"] == ""
    store = repo(aws_stack)
    assert store.get_project("alice", "a") is None
    assert store.count_pages("alice", "a") == 0
    assert store.count_pages("alice", "ab") == 30
    assert store.count_pages("bob", "a") == 2
    assert aws_stack.object_keys(f"private/{alice}/") == [
        f"private/{alice}/alice/ab/1.png",
        f"private/{alice}/alice/ab/2.png",
    ]
    assert len(aws_stack.object_keys(f"private/{bob}/")) == 1


def test_delete_with_someone_elses_identity_cannot_reach_their_pages(aws_stack):
    alice, bob = identity_id(), identity_id()
    create("shared name", "bob")
    bob_key = aws_stack.put_page_image(bob, "bob", "shared name", 1)
    create("shared name", "alice")

    assert delete("shared name", bob, user="alice")["statusCode"] == 200

    # The username segment came from alice's token: bob's prefix was never touched.
    assert aws_stack.object_keys(f"private/{bob}/") == [bob_key]
    assert repo(aws_stack).get_project("bob", "shared name") is not None
    assert alice != bob


@pytest.mark.parametrize(
    "identity",
    [
        None,
        "",
        "us-east-1",
        "../other",
        "us-east-1:not-a-uuid",
        "us-east-1:12345678-1234-1234-1234-123456789abc/../x",
        "*",
    ],
)
def test_delete_refuses_identity_ids_that_could_reshape_the_key(aws_stack, identity):
    create("p")
    body = {"name": "p"} if identity is None else {"name": "p", "identityId": identity}
    response = api.delete_project(api_event("POST", "/projects/delete", body=body))
    assert response["statusCode"] == 400
    assert "identityId" in json_body(response)["message"]
    assert repo(aws_stack).get_project("alice", "p") is not None


def test_deleting_a_missing_project_is_200_and_clears_leftovers(aws_stack):
    alice = identity_id()
    add_pages(aws_stack, "alice", "ghost", 2)  # pages whose project item is gone
    aws_stack.put_page_image(alice, "alice", "ghost", 1)
    assert delete("ghost", alice)["statusCode"] == 200
    assert repo(aws_stack).count_pages("alice", "ghost") == 0
    assert aws_stack.object_keys(f"private/{alice}/") == []
    assert delete("never existed", alice)["statusCode"] == 200


def test_single_entry_point_dispatches_on_the_resource(aws_stack):
    assert api.handler(api_event("POST", "/projects", body={"name": "x"}))["statusCode"] == 200
    event = api_event("GET", "/pages/count/{project}", project="x")
    assert json_body(api.handler(event)) == {"page_count": 0}
    assert api.handler(api_event("PUT", "/projects"))["statusCode"] == 404
    assert json.loads(api.handler(api_event("GET", "/projects"))["body"])[0]["project_name"] == "x"
