"""The published sample backend, as the contract in DESIGN.md describes it, on moto.

Five routes as Lambda handlers over two DynamoDB tables (projects: `username` +
`project_name`; pages: `project` + `page`) and an S3 bucket, plus an OCR step that
mimics the published OCR Lambda. Its defects are kept where a client must survive them:
POST /projects answers plain text, path parameters are not decoded, the PDF is rendered
with a Latin-1 font (a 5xx for any other character), and the OCR Lambda decodes keys
with `unquote`, so a project name with a space is never processed. (The Scan paging
defect is left out: tests never hold 1 MB of rows.)

OCR results are injected per page by the test: `ocr` maps a page to its lines, as a dict
`{(project, page): [lines]}` or a callable `(username, project, page) -> lines | None`;
`None` (or a missing entry with `default_lines=None`) leaves the page unprocessed, which
is how tests make `wait` time out. `pump()` runs the OCR step for every `.png` object
stored since the last pump; `adapter()` runs it before each request.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus, unquote

from boto3.dynamodb.conditions import Attr, Key

from tests.support.apigw import ApiGatewayAdapter, Route, Verifier
from tests.support.clients import client, resource

Lines = Sequence[str]
OcrSource = dict[tuple[str, int], Lines] | Callable[[str, str, int], Lines | None]

PROJECTS_TABLE = "projects"
PAGES_TABLE = "pages"


class PublishedBackend:
    def __init__(
        self,
        *,
        region: str,
        bucket: str,
        ocr: OcrSource | None = None,
        default_lines: Lines | None = ("page {page} of {project}",),
    ) -> None:
        self.region = region
        self.bucket = bucket
        self.ocr: OcrSource = ocr if ocr is not None else {}
        self.default_lines = default_lines
        self.dynamodb = resource("dynamodb", region)
        self.s3 = client("s3", region)
        self.projects = self.dynamodb.Table(PROJECTS_TABLE)
        self.pages = self.dynamodb.Table(PAGES_TABLE)
        self._seen: dict[str, str] = {}  # key -> ETag processed
        self.ocr_failures: list[str] = []  # keys the OCR Lambda could not process

    def create_resources(self) -> PublishedBackend:
        if self.region == "us-east-1":
            self.s3.create_bucket(Bucket=self.bucket)
        else:
            self.s3.create_bucket(
                Bucket=self.bucket,
                CreateBucketConfiguration={"LocationConstraint": self.region},
            )
        self.dynamodb.create_table(
            TableName=PROJECTS_TABLE,
            KeySchema=[
                {"AttributeName": "username", "KeyType": "HASH"},
                {"AttributeName": "project_name", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "username", "AttributeType": "S"},
                {"AttributeName": "project_name", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        self.dynamodb.create_table(
            TableName=PAGES_TABLE,
            KeySchema=[
                {"AttributeName": "project", "KeyType": "HASH"},
                {"AttributeName": "page", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "project", "AttributeType": "S"},
                {"AttributeName": "page", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        return self

    # -- API Gateway ------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            ("POST", "/projects", self.create_project),
            ("GET", "/projects", self.list_projects),
            ("POST", "/projects/delete", self.delete_project),
            ("GET", "/pages/count/{project}", self.page_count),
            ("GET", "/pages/pdf/{project}", self.pdf),
        ]

    def adapter(self, verify: Verifier | None, *, stage: str = "Prod") -> ApiGatewayAdapter:
        return ApiGatewayAdapter(self.routes(), verify, stage=stage, before_request=self.pump)

    # -- the Lambdas (as published: no decoding of path parameters) ------------------

    @staticmethod
    def _user(event: dict[str, Any]) -> str:
        return event["requestContext"]["authorizer"]["claims"]["cognito:username"]

    def create_project(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        name = json.loads(event["body"])["name"]
        self.projects.put_item(
            Item={
                "username": self._user(event),
                "project_name": name,
                "timestamp": Decimal(str(time.time() * 1000)),
            }
        )
        return {"statusCode": 200, "headers": _CORS, "body": f"Project {name} created"}

    def list_projects(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        items = self.projects.scan(FilterExpression=Attr("username").eq(self._user(event)))
        body = json.dumps(items["Items"], default=float)  # Decimal -> float, as published
        return {"statusCode": 200, "headers": _CORS, "body": body}

    def delete_project(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        data = json.loads(event["body"])
        user, name, identity = self._user(event), data["name"], data["identityId"]
        self.projects.delete_item(Key={"username": user, "project_name": name})
        for item in self._page_items(f"{user}/{name}"):
            self.pages.delete_item(Key={"project": item["project"], "page": item["page"]})
        listing = self.s3.list_objects_v2(
            Bucket=self.bucket, Prefix=f"private/{identity}/{user}/{name}"
        )
        for obj in listing.get("Contents", []):
            self.s3.delete_object(Bucket=self.bucket, Key=obj["Key"])
        return {"statusCode": 200, "headers": _CORS, "body": ""}

    def page_count(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        project = f"{self._user(event)}/{event['pathParameters']['project']}"
        body = json.dumps({"page_count": len(self._page_items(project))})
        return {"statusCode": 200, "headers": _CORS, "body": body}

    def pdf(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        from docscan.pdf import PdfPage, render_text_pdf_bytes

        project = f"{self._user(event)}/{event['pathParameters']['project']}"
        items = sorted(self._page_items(project), key=lambda item: int(item["page"]))
        texts = [str(item["text"]) for item in items]
        for text in texts:
            text.encode("latin-1")  # the published PDF's core font: raises, so API GW 502s
        pdf = render_text_pdf_bytes([PdfPage(width=0, height=0, text=text) for text in texts])
        url = "data:application/pdf;base64," + base64.b64encode(pdf).decode("ascii")
        return {"statusCode": 200, "headers": _CORS, "body": json.dumps({"url": url})}

    def _page_items(self, project: str) -> list[dict[str, Any]]:
        return self.pages.query(KeyConditionExpression=Key("project").eq(project))["Items"]

    # -- the OCR Lambda -----------------------------------------------------------

    def pump(self) -> int:
        """Process every `.png` object stored since the last pump; returns how many."""
        done = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for obj in page.get("Contents", []):
                key, etag = obj["Key"], obj["ETag"]
                if not key.endswith(".png") or self._seen.get(key) == etag:
                    continue
                if self._ocr_event(quote_plus(key, safe="/")):  # S3 event keys: '+' for ' '
                    self._seen[key] = etag
                    done += 1
        return done

    def _ocr_event(self, event_key: str) -> bool:
        """The published OCR Lambda's parsing: `unquote` (not `unquote_plus`), split."""
        key = unquote(event_key)
        parts = key.split("/")
        try:
            username, project = parts[2], parts[3]
            page = int(parts[4].split(".")[0])
            if page < 1:
                raise ValueError(page)
            self.s3.head_object(Bucket=self.bucket, Key=key)  # Textract reads the object
        except Exception:
            self.ocr_failures.append(key)
            return True  # the Lambda failed; S3 does not send the event again
        lines = self._lines(username, project, page)
        if lines is None:
            return False  # still "in OCR": try again at the next pump
        text = "".join(f"{line}\n" for line in lines)
        self.pages.put_item(Item={"project": f"{username}/{project}", "page": page, "text": text})
        return True

    def _lines(self, username: str, project: str, page: int) -> Lines | None:
        if callable(self.ocr):
            return self.ocr(username, project, page)
        if (project, page) in self.ocr:
            return self.ocr[(project, page)]
        if self.default_lines is None:
            return None
        return [line.format(page=page, project=project) for line in self.default_lines]


_CORS = {"Access-Control-Allow-Origin": "*"}
