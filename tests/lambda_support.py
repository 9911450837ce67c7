"""Helpers for the Lambda tests: the template's AWS resources in moto, Textract answers,
API Gateway proxy events and an SQS event-source stand-in.

Everything here runs inside `moto.mock_aws`. Moto gives a canned, empty Textract answer
and never reads the image, so `TextractStub` patches moto's Textract responder in-process
to answer per S3 object (or per image size, for bytes), and to throttle or fail on demand.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.exceptions import JsonRESTError
from moto.textract.responses import TextractResponse
from PIL import Image
from samtranslator.yaml_helper import yaml_parse

import docscan.lambdas
from docscan.lambdas import common

REGION = "us-east-1"
TEMPLATE_PATH = Path(docscan.lambdas.__file__).parent / "template.yaml"


def load_template() -> dict[str, Any]:
    return copy.deepcopy(_parsed_template())


@functools.cache
def _parsed_template() -> dict[str, Any]:
    return yaml_parse(TEMPLATE_PATH.read_text(encoding="utf-8"))


@functools.cache
def _shared_session() -> boto3.Session:
    return boto3.Session(region_name=REGION)


def identity_id() -> str:
    return f"{REGION}:{uuid.uuid4()}"


def png_bytes(width: int = 400, height: int = 300) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, format="PNG")
    return buffer.getvalue()


# -- the template's resources, created in moto ----------------------------------------------


@dataclass
class Stack:
    """The stateful resources of template.yaml, as moto resources."""

    projects_table: str
    pages_table: str
    bucket: str
    queue_url: str
    dlq_url: str
    max_receive_count: int
    env: dict[str, str]
    s3: Any
    sqs: Any
    dynamodb: Any

    def put_page_image(
        self, identity: str, username: str, project: str, number: int, data: bytes | None = None
    ) -> str:
        """Upload as a client does (straight to S3); returns the key."""
        key = f"private/{identity}/{username}/{project}/{number}.png"
        self.s3.put_object(
            Bucket=self.bucket, Key=key, Body=data or png_bytes(), ContentType="image/png"
        )
        return key

    def object_keys(self, prefix: str = "") -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def queue_depth(self, url: str) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(
            attrs["ApproximateNumberOfMessagesNotVisible"]
        )


def _table_spec(resource: dict[str, Any]) -> dict[str, Any]:
    props = resource["Properties"]
    return {
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",
    }


def create_stack(prefix: str = "docscan", bucket: str | None = None) -> Stack:
    """Create, in moto, the tables, bucket, queues and notification the template declares,
    with the template's own key schemas, redrive policy and notification filter."""
    template = load_template()
    resources = template["Resources"]
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)

    projects, pages = f"{prefix}-projects", f"{prefix}-pages"
    dynamodb.create_table(TableName=projects, **_table_spec(resources["ProjectsTable"]))
    dynamodb.create_table(TableName=pages, **_table_spec(resources["PagesTable"]))

    queue_props = resources["PageQueue"]["Properties"]
    max_receive = int(queue_props["RedrivePolicy"]["maxReceiveCount"])
    dlq_url = sqs.create_queue(QueueName=f"{prefix}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=f"{prefix}-pages",
        Attributes={
            "VisibilityTimeout": str(queue_props["VisibilityTimeout"]),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive}
            ),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]

    bucket = bucket or f"{prefix}-user-files"
    s3.create_bucket(Bucket=bucket)
    bucket_props = resources["UserFileBucket"]["Properties"]
    queue_configs = []
    for config in bucket_props["NotificationConfiguration"]["QueueConfigurations"]:
        rules = config["Filter"]["S3Key"]["Rules"]
        queue_configs.append(
            {
                "QueueArn": queue_arn,
                "Events": [config["Event"]],
                "Filter": {
                    "Key": {
                        "FilterRules": [
                            {"Name": rule["Name"], "Value": rule["Value"]} for rule in rules
                        ]
                    }
                },
            }
        )
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queue_configs}
    )
    # S3 announces a new notification configuration with a test event: drop it.
    sqs.purge_queue(QueueUrl=queue_url)

    env = {
        "PROJECTS_TABLE_NAME": projects,
        "PAGES_TABLE_NAME": pages,
        "BUCKET_NAME": bucket,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }
    ocr_env = resources["ProcessDocument"]["Properties"]["Environment"]["Variables"]
    env.update({name: str(value) for name, value in ocr_env.items()})
    return Stack(
        projects,
        pages,
        bucket,
        queue_url,
        dlq_url,
        max_receive,
        env,
        s3,
        sqs,
        boto3.resource("dynamodb", region_name=REGION),
    )


@contextlib.contextmanager
def moto_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The template's resources in moto, and the functions' environment pointing at them
    (test modules wrap this in their `aws_stack` fixture)."""
    with mock_aws():
        # One session for the whole run: botocore then parses each service model once.
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", _shared_session())
        common.reset_clients()
        stack = create_stack()
        for name, value in stack.env.items():
            monkeypatch.setenv(name, value)
        try:
            yield stack
        finally:
            common.reset_clients()


# -- Textract answers --------------------------------------------------------------------


Rect = tuple[float, float, float, float]  # left, top, width, height as page fractions


def line_block(text: str, rect: Rect, confidence: float = 99.0) -> dict[str, Any]:
    left, top, width, height = rect
    return {
        "BlockType": "LINE",
        "Id": str(uuid.uuid4()),
        "Text": text,
        "Confidence": confidence,
        "Geometry": {
            "BoundingBox": {"Left": left, "Top": top, "Width": width, "Height": height},
            "Polygon": [
                {"X": left, "Y": top},
                {"X": left + width, "Y": top},
                {"X": left + width, "Y": top + height},
                {"X": left, "Y": top + height},
            ],
        },
    }


def blocks_for(lines: list[str]) -> list[dict[str, Any]]:
    """A PAGE, its LINE blocks (one per text, stacked) and a WORD block to be ignored."""
    blocks: list[dict[str, Any]] = [{"BlockType": "PAGE", "Id": "page", "Geometry": {}}]
    for index, text in enumerate(lines):
        blocks.append(line_block(text, (0.1, 0.05 + 0.06 * index, 0.8, 0.05), 98.5))
        blocks.append(
            {
                "BlockType": "WORD",
                "Id": str(uuid.uuid4()),
                "Text": text.split()[0] if text.split() else text,
            }
        )
    return blocks


@dataclass
class TextractStub:
    """Per-object answers for moto's DetectDocumentText.

    `texts[key]` are the lines for the S3 object `key` (else `resolver(key)`, when set);
    `by_width[w]` those for an image sent as bytes whose width is `w`. `throttle[key] = n`
    answers n ThrottlingExceptions before succeeding (`throttle_any`: the next n calls,
    whatever the key); keys in `poison` always fail with InternalServerError, keys in
    `refuse` with UnsupportedDocumentException.
    """

    texts: dict[str, list[str]] = field(default_factory=dict)
    resolver: Callable[[str], list[str]] | None = None
    by_width: dict[int, list[str]] = field(default_factory=dict)
    throttle: dict[str, int] = field(default_factory=dict)
    throttle_any: int = 0
    poison: set[str] = field(default_factory=set)
    refuse: set[str] = field(default_factory=set)
    documents: list[dict[str, Any]] = field(default_factory=list)
    throttled: int = 0

    def answer(self, document: dict[str, Any]) -> dict[str, Any]:
        self.documents.append(document)
        if "S3Object" in document:
            key = document["S3Object"]["Name"]
            if key in self.poison:
                raise JsonRESTError("InternalServerError", "poisoned page", code=500)
            if key in self.refuse:
                raise JsonRESTError("UnsupportedDocumentException", "not a document")
            if self.throttle.get(key, 0) > 0 or self.throttle_any > 0:
                if self.throttle.get(key, 0) > 0:
                    self.throttle[key] -= 1
                else:
                    self.throttle_any -= 1
                self.throttled += 1
                raise JsonRESTError("ThrottlingException", "Rate exceeded")
            if key in self.texts or self.resolver is None:
                lines = self.texts.get(key, [])
            else:
                lines = self.resolver(key)
        else:
            image = Image.open(io.BytesIO(base64.b64decode(document["Bytes"])))
            lines = self.by_width.get(image.size[0], [])
        return {
            "Blocks": blocks_for(lines),
            "DetectDocumentTextModelVersion": "1.0",
            "DocumentMetadata": {"Pages": 1},
        }

    def install(self, monkeypatch: Any) -> TextractStub:
        stub = self

        def detect_document_text(self: TextractResponse) -> str:
            return json.dumps(stub.answer(json.loads(self.body)["Document"]))

        monkeypatch.setattr(TextractResponse, "detect_document_text", detect_document_text)
        return self


# -- API Gateway proxy events ------------------------------------------------------------


def api_event(
    method: str,
    resource: str,
    username: str | None = "alice",
    *,
    project: str | None = None,
    body: object = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API proxy event as API Gateway builds it after the Cognito authorizer.

    `project` goes into the path percent-encoded, and into `pathParameters` as sent
    (REST APIs do not decode path parameters).
    """
    from urllib.parse import quote

    path = resource
    params = None
    if project is not None:
        encoded = quote(project, safe="")
        path = resource.replace("{project}", encoded).replace("{project+}", encoded)
        params = {"project": encoded}
    claims = {} if username is None else {"cognito:username": username, "token_use": "id"}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Authorization": "Bearer token"},
        "queryStringParameters": query,
        "pathParameters": params,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "stage": "Prod",
            "requestTimeEpoch": 1_700_000_000_000,
            "authorizer": {"claims": claims},
        },
        "body": None if body is None else body if isinstance(body, str) else json.dumps(body),
        "isBase64Encoded": False,
    }


def json_body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


# -- the SQS event source, played by the test ----------------------------------------------


@dataclass
class DrainResult:
    invocations: int = 0
    processed: int = 0  # messages deleted after success
    failures: int = 0  # batch item failures reported


def drain_queue(
    stack: Stack,
    handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    *,
    batch_size: int = 5,
    max_rounds: int = 50,
) -> DrainResult:
    """Play Lambda's SQS event source mapping until the queue is empty.

    Receives batches (moto counts receives and moves a message to the dead-letter
    queue on the receive after `maxReceiveCount`, like SQS), invokes the handler with
    the SQS event, deletes the messages not reported in `batchItemFailures`, and makes
    the reported ones visible again at once (instead of waiting out the visibility
    timeout).
    """
    result = DrainResult()
    for _ in range(max_rounds):
        messages = stack.sqs.receive_message(
            QueueUrl=stack.queue_url,
            MaxNumberOfMessages=batch_size,
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return result
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "awsRegion": REGION,
                }
                for m in messages
            ]
        }
        response = handler(event, None)
        result.invocations += 1
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        result.failures += len(failed)
        for m in messages:
            if m["MessageId"] in failed:
                stack.sqs.change_message_visibility(
                    QueueUrl=stack.queue_url,
                    ReceiptHandle=m["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
            else:
                stack.sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=m["ReceiptHandle"])
                result.processed += 1
    raise AssertionError(f"the queue was not drained in {max_rounds} rounds")
