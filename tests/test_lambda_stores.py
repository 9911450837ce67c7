"""The DynamoDB and S3 adapters, on moto tables and bucket made from template.yaml."""

from __future__ import annotations

import pytest

from docscan.errors import NotFoundError
from docscan.models import Line, Page, PageStatus
from docscan.scanner import s3_store
from docscan.scanner.dynamo_store import DynamoRepository
from docscan.scanner.s3_store import S3ObjectStore
from tests.lambda_support import Stack, moto_stack, png_bytes

BOX = ((1.0, 2.0), (30.0, 2.0), (30.0, 12.0), (1.0, 12.0))


@pytest.fixture
def aws_stack(monkeypatch):
    with moto_stack(monkeypatch) as stack:
        yield stack


class CountingTable:
    """A boto3 Table that records its Query calls (to see pagination happen)."""

    def __init__(self, table):
        self._table = table
        self.queries: list[dict] = []

    def query(self, **kwargs):
        self.queries.append(kwargs)
        return self._table.query(**kwargs)

    def __getattr__(self, name):
        return getattr(self._table, name)


def repo_for(stack: Stack, page_size: int | None = None) -> DynamoRepository:
    return DynamoRepository(
        CountingTable(stack.dynamodb.Table(stack.projects_table)),
        CountingTable(stack.dynamodb.Table(stack.pages_table)),
        page_size=page_size,
    )


def test_projects_are_keyed_by_user_and_read_with_query(aws_stack):
    repo = repo_for(aws_stack, page_size=2)
    for name in ("b", "a", "c", "d", "e"):
        repo.put_project("alice", name, 1000)
    repo.put_project("bob", "a", 2000)
    repo.put_project("alicia", "zz", 3000)

    assert [p.name for p in repo.list_projects("alice")] == ["a", "b", "c", "d", "e"]
    assert [p.name for p in repo.list_projects("bob")] == ["a"]
    assert repo.get_project("bob", "a").created_ms == 2000
    assert repo.get_project("bob", "b") is None
    # Five items two at a time: every LastEvaluatedKey was followed.
    alice_queries = [q for q in repo.projects.queries if q.get("Limit") == 2]
    assert len(alice_queries) >= 3
    item = aws_stack.dynamodb.Table(aws_stack.projects_table).get_item(
        Key={"username": "alice", "project_name": "a"}
    )["Item"]
    assert set(item) == {"username", "project_name", "timestamp"}


def test_pages_round_trip_with_geometry_and_published_items(aws_stack):
    repo = repo_for(aws_stack)
    repo.put_project("alice", "p", 1)
    page = Page("p", 2, PageStatus.DONE, [Line("Straße “x”", BOX, 0.91234)], 640, 480)
    repo.put_page("alice", page)
    # An item as the published OCR Lambda wrote it: no status, no geometry.
    aws_stack.dynamodb.Table(aws_stack.pages_table).put_item(
        Item={"project": "alice/p", "page": 1, "text": "old line\n"}
    )

    got = list(repo.iter_pages("alice", "p"))
    assert [p.number for p in got] == [1, 2]
    legacy, new = got
    assert legacy.status is PageStatus.DONE and legacy.text == "old line\n" and not legacy.lines
    assert new.lines == [Line("Straße “x”", BOX, 0.9123)]
    assert (new.width, new.height, new.text) == (640, 480, "Straße “x”\n")
    raw = aws_stack.dynamodb.Table(aws_stack.pages_table).get_item(
        Key={"project": "alice/p", "page": 2}
    )["Item"]
    assert raw["text"] == "Straße “x”\n" and raw["status"] == "done"
    assert repo.max_page_number("alice", "p") == 2
    assert repo.max_page_number("alice", "none") == 0
    assert repo.get_page("alice", "p", 3) is None


def test_counts_follow_every_result_page_and_stay_in_the_partition(aws_stack):
    repo = repo_for(aws_stack, page_size=3)
    for number in range(1, 11):
        status = PageStatus.PENDING if number % 4 == 0 else PageStatus.DONE
        repo.put_page("alice", Page("p", number, status, stored_text="t"))
    repo.put_page("alice", Page("p", 11, PageStatus.FAILED, error="bad"))
    for number in range(1, 6):
        repo.put_page("bob", Page("p", number, PageStatus.DONE))
        repo.put_page("alice", Page("p2", number, PageStatus.DONE))

    assert repo.count_pages("alice", "p") == 11
    assert repo.count_pages("alice", "p", PageStatus.DONE) == 8
    assert repo.count_pages("alice", "p", PageStatus.PENDING) == 2
    assert repo.count_pages("alice", "p", PageStatus.FAILED) == 1
    assert repo.count_pages("bob", "p", PageStatus.DONE) == 5
    assert [p.number for p in repo.iter_pages_after("alice", "p", 7)] == [8, 9, 10, 11]
    assert not any("Scan" in str(q) for q in repo.pages.queries)


def test_delete_takes_every_page_of_that_project_only(aws_stack):
    repo = repo_for(aws_stack, page_size=7)
    repo.put_project("alice", "a", 1)
    repo.put_project("alice", "ab", 1)
    for number in range(1, 61):  # more than one BatchWriteItem and several Query pages
        repo.put_page("alice", Page("a", number, PageStatus.DONE))
    repo.put_page("alice", Page("ab", 1, PageStatus.DONE))
    repo.put_page("bob", Page("a", 1, PageStatus.DONE))

    repo.delete_project("alice", "a")

    assert repo.get_project("alice", "a") is None
    assert repo.count_pages("alice", "a") == 0
    assert repo.count_pages("alice", "ab") == 1
    assert repo.count_pages("bob", "a") == 1


def test_oversized_geometry_is_dropped_but_text_kept(aws_stack):
    repo = repo_for(aws_stack)
    lines = [Line("x" * 400, BOX, 0.5) for _ in range(1000)]
    repo.put_page("alice", Page("p", 1, PageStatus.DONE, lines, 10, 10))
    page = repo.get_page("alice", "p", 1)
    assert page.lines == []
    assert page.text == "".join("x" * 400 + "\n" for _ in range(1000))


def test_s3_delete_prefix_keeps_neighbours_and_batches(aws_stack, monkeypatch):
    monkeypatch.setattr(s3_store, "DELETE_BATCH", 2)
    store = S3ObjectStore(aws_stack.s3, aws_stack.bucket)
    for key in ("u/a/1.png", "u/a/2.png", "u/a/3.png", "u/a/exports/x.pdf", "u/ab/1.png"):
        store.put(key, png_bytes(10, 10))

    assert store.delete_prefix("u/a/") == 4
    assert aws_stack.object_keys() == ["u/ab/1.png"]
    assert store.exists("u/ab/1.png") and not store.exists("u/a/1.png")
    with pytest.raises(NotFoundError):
        store.get("u/a/1.png")
    with pytest.raises(ValueError):
        store.delete_prefix("")
    assert store.local_path("u/ab/1.png") is None
    url = store.presigned_get_url("u/ab/1.png", 60)
    assert url.startswith("https://")
    assert "u/ab/1.png" in url and "Signature" in url
