"""The AWS repository: the two DynamoDB tables of the published backend.

Tables and keys are the published ones, so existing data keeps working:

- projects: `username` (HASH) / `project_name` (RANGE), plus `timestamp` (epoch ms).
- pages: `project` (HASH, the string "<username>/<project>") / `page` (RANGE, number),
  plus `text` (every line followed by "\\n").

docscan adds, on the page items it writes, `status`, `width`, `height`, `error` and
`lines` (a compact JSON string of `Line.to_dict()` values). An item written by the
published backend has none of them: it is a finished page whose text is all we know.

Every read is a Query on the caller's own partition key that follows
`LastEvaluatedKey` to the end: never a Scan, so never another user's rows and never a
count cut short at 1 MB of data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from docscan.models import Line, Page, PageStatus, Project

# DynamoDB refuses items above 400 KB; past this the line geometry is dropped (the text,
# which is what the published backend kept, is always stored).
MAX_LINES_BYTES = 300_000


def pages_key(owner: str, project: str) -> str:
    """The pages table's partition key for one project of one user."""
    return f"{owner}/{project}"


class DynamoRepository:
    """`Repository` on the projects and pages tables (boto3 `Table` resources).

    `page_size` is the `Limit` of each Query call (None: DynamoDB's 1 MB pages); it only
    changes how many round trips a read takes, never its result.
    """

    def __init__(self, projects_table: Any, pages_table: Any, page_size: int | None = None) -> None:
        self.projects = projects_table
        self.pages = pages_table
        self.page_size = page_size

    # -- queries ----------------------------------------------------------------

    def _query(self, table: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item a Query matches, following LastEvaluatedKey."""
        if self.page_size:
            kwargs["Limit"] = self.page_size
        while True:
            response = table.query(**kwargs)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def _count(self, table: Any, **kwargs: Any) -> int:
        """How many items a Query (with its filter) matches, over every result page."""
        kwargs["Select"] = "COUNT"
        if self.page_size:
            kwargs["Limit"] = self.page_size
        total = 0
        while True:
            response = table.query(**kwargs)
            total += int(response.get("Count", 0))
            last = response.get("LastEvaluatedKey")
            if not last:
                return total
            kwargs["ExclusiveStartKey"] = last

    # -- projects ---------------------------------------------------------------

    def put_project(self, owner: str, name: str, created_ms: int) -> None:
        self.projects.put_item(
            Item={"username": owner, "project_name": name, "timestamp": int(created_ms)}
        )

    def get_project(self, owner: str, name: str) -> Project | None:
        item = self.projects.get_item(
            Key={"username": owner, "project_name": name}, ConsistentRead=True
        ).get("Item")
        return None if item is None else _project(item)

    def list_projects(self, owner: str) -> list[Project]:
        return [
            _project(item)
            for item in self._query(self.projects, KeyConditionExpression=Key("username").eq(owner))
        ]

    def delete_project(self, owner: str, name: str) -> None:
        # Pages first: a failure half-way leaves a project with fewer pages, which a second
        # delete finishes, rather than page items no project points to.
        self.delete_pages(owner, name)
        self.projects.delete_item(Key={"username": owner, "project_name": name})

    def delete_pages(self, owner: str, project: str) -> int:
        """Delete every page item of the project; return how many."""
        keys = list(
            self._query(
                self.pages,
                KeyConditionExpression=Key("project").eq(pages_key(owner, project)),
                ProjectionExpression="#p, #n",
                ExpressionAttributeNames={"#p": "project", "#n": "page"},
            )
        )
        # batch_writer groups deletes by 25 and resends UnprocessedItems itself.
        with self.pages.batch_writer() as batch:
            for key in keys:
                batch.delete_item(Key={"project": key["project"], "page": key["page"]})
        return len(keys)

    # -- pages ------------------------------------------------------------------

    def put_page(self, owner: str, page: Page) -> None:
        lines = json.dumps(
            [_compact_line(line) for line in page.lines], ensure_ascii=False, separators=(",", ":")
        )
        text = page.text
        if len(lines.encode()) + len(text.encode()) > MAX_LINES_BYTES:
            lines = "[]"
        item: dict[str, Any] = {
            "project": pages_key(owner, page.project),
            "page": int(page.number),
            "text": text,
            "status": str(page.status),
            "width": int(page.width),
            "height": int(page.height),
            "lines": lines,
            "updated_ms": int(time.time() * 1000),
        }
        if page.error:
            item["error"] = page.error
        self.pages.put_item(Item=item)

    def get_page(self, owner: str, project: str, number: int) -> Page | None:
        item = self.pages.get_item(
            Key={"project": pages_key(owner, project), "page": int(number)}, ConsistentRead=True
        ).get("Item")
        return None if item is None else _page(project, item)

    def iter_pages(self, owner: str, project: str) -> Iterator[Page]:
        return self.iter_pages_after(owner, project, 0)

    def iter_pages_after(self, owner: str, project: str, after: int) -> Iterator[Page]:
        """Pages numbered above `after`, in page-number order, read lazily."""
        condition = Key("project").eq(pages_key(owner, project)) & Key("page").gt(int(after))
        for item in self._query(self.pages, KeyConditionExpression=condition):
            yield _page(project, item)

    def max_page_number(self, owner: str, project: str) -> int:
        response = self.pages.query(
            KeyConditionExpression=Key("project").eq(pages_key(owner, project)),
            ScanIndexForward=False,
            Limit=1,
            ProjectionExpression="#n",
            ExpressionAttributeNames={"#n": "page"},
        )
        items = response.get("Items", [])
        return int(items[0]["page"]) if items else 0

    def count_pages(self, owner: str, project: str, status: PageStatus | None = None) -> int:
        """How many pages the project has (in `status`, when given).

        Items written by the published backend have no status: they count as done.
        """
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("project").eq(pages_key(owner, project))
        }
        if status is PageStatus.DONE:
            kwargs["FilterExpression"] = Attr("status").not_exists() | Attr("status").eq("done")
        elif status is not None:
            kwargs["FilterExpression"] = Attr("status").eq(str(status))
        return self._count(self.pages, **kwargs)


def _compact_line(line: Line) -> dict[str, object]:
    return {
        "text": line.text,
        "box": [[round(x, 1), round(y, 1)] for x, y in line.box],
        "confidence": round(line.confidence, 4),
    }


def _int(value: Any, default: int = 0) -> int:
    if value is None:
        return default
    if isinstance(value, Decimal | int | float | str):
        return int(value)
    return default


def _project(item: dict[str, Any]) -> Project:
    created = item.get("timestamp")
    return Project(
        name=str(item["project_name"]), created_ms=None if created is None else _int(created)
    )


def _page(project: str, item: dict[str, Any]) -> Page:
    raw_lines = item.get("lines")
    lines = [Line.from_dict(entry) for entry in json.loads(raw_lines)] if raw_lines else []
    return Page(
        project=project,
        number=_int(item["page"]),
        # No status: an item of the published backend, written once OCR had finished.
        status=PageStatus(item.get("status", PageStatus.DONE)),
        lines=lines,
        width=_int(item.get("width")),
        height=_int(item.get("height")),
        error=item.get("error"),
        stored_text=str(item.get("text", "")),
    )


__all__ = ["DynamoRepository", "pages_key"]
