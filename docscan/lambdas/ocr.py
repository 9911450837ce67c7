"""The OCR Lambda: S3 upload events, delivered in batches by SQS, through Textract.

Storage first: S3 sends every `private/**.png` upload to an SQS queue whose redrive
policy moves a message to a dead-letter queue after `maxReceiveCount` receives. For
each message this function

1. parses the page key `private/<identityId>/<username>/<project>/<page>.png`
   (decoded with `unquote_plus`: S3 writes a space as "+"),
2. marks the page `pending` (the upload itself wrote no item: clients upload straight
   to S3 with identity-pool credentials),
3. runs the scanner service's `process_page`, Textract reading the image from S3, and
   stores the lines with their pixel boxes and confidences, and the text as published.

Textract throttling is retried inside the call by botocore (exponential backoff with
jitter); a message whose page still cannot be read this time is reported in
`batchItemFailures`, so SQS delivers it again later and the rest of the batch is not
repeated. On its last allowed receive the page is also marked `failed` (clients stop
waiting), and SQS then moves the message to the dead-letter queue: a page is never
silently lost, and redriving the DLQ processes it again. Pages Textract refuses for good
(not an image, too large) are marked `failed` at once and not retried.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from docscan.errors import BadInputError, NotFoundError
from docscan.lambdas import common
from docscan.models import Page, PageStatus
from docscan.scanner.names import validate_project_name
from docscan.scanner.s3_store import S3ObjectStore

log = logging.getLogger("docscan.lambdas.ocr")
log.setLevel(logging.INFO)

_PAGE_FILE = re.compile(r"^([1-9][0-9]{0,8})\.png$")


@dataclass(frozen=True)
class PageObject:
    """An uploaded page image, from its S3 key."""

    bucket: str
    key: str
    identity_id: str
    username: str
    project: str
    number: int

    @property
    def key_prefix(self) -> str:
        return f"private/{self.identity_id}/"


def parse_page_key(bucket: str, key: str) -> PageObject:
    """The page a (decoded) key names, or BadInputError when it names none."""
    parts = key.split("/")
    if len(parts) != 5 or parts[0] != "private" or not all(parts[1:4]):
        raise BadInputError(f"{key!r} is not private/<identityId>/<username>/<project>/<page>.png")
    match = _PAGE_FILE.match(parts[4])
    if match is None:
        raise BadInputError(f"{key!r} does not end in <page>.png with a positive page number")
    project = validate_project_name(parts[3])
    return PageObject(bucket, key, parts[1], parts[2], project, int(match.group(1)))


def page_objects(message_body: str) -> list[PageObject]:
    """The page images an SQS message (an S3 event notification) announces."""
    body = json.loads(message_body)
    if body.get("Event") == "s3:TestEvent":
        return []  # S3 sends one when the notification is set up
    found = []
    for record in body.get("Records", []):
        if not str(record.get("eventName", "ObjectCreated")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        key = unquote_plus(s3["object"]["key"])
        try:
            found.append(parse_page_key(s3["bucket"]["name"], key))
        except BadInputError as exc:
            # Not a page of the key scheme: nothing to OCR, now or on a retry.
            log.warning("skipping %s: %s", key, exc)
    return found


def process_object(settings: common.Settings, obj: PageObject, receive_count: int) -> Page | None:
    """OCR one uploaded page; raise when it should be retried later."""
    repo = common.repository(settings)
    objects = S3ObjectStore(common.s3_client(), obj.bucket)
    if not objects.exists(obj.key):
        # Deleted (with its project, or replaced and removed) before we got to it.
        log.info("skipping %s: the object is gone", obj.key)
        return None
    service = common.scanner_service(
        settings,
        obj.username,
        key_prefix=obj.key_prefix,
        repo=repo,
        objects=objects,
        engine=common.textract_engine_factory(settings, obj.bucket, obj.key),
    )
    repo.put_page(obj.username, Page(obj.project, obj.number, PageStatus.PENDING))
    try:
        page = service.process_page(obj.project, obj.number)
    except NotFoundError:
        log.info("skipping %s: the object went away while it was read", obj.key)
        return None
    except Exception as exc:
        if receive_count >= settings.max_receive_count:
            repo.put_page(
                obj.username,
                Page(
                    obj.project,
                    obj.number,
                    PageStatus.FAILED,
                    error=(
                        f"OCR failed {receive_count} times (last: {exc}); the image is kept "
                        "and its event is in the dead-letter queue"
                    ),
                ),
            )
        raise
    log.info("%s: %s, %d lines", obj.key, page.status, len(page.lines))
    return page


def handler(event: dict[str, Any], context: Any = None) -> dict[str, list[dict[str, str]]]:
    """SQS batch handler with partial batch responses (`ReportBatchItemFailures`)."""
    settings = common.Settings.from_env()
    failures = []
    for record in event.get("Records", []):
        message_id = record.get("messageId", "")
        try:
            receive_count = int(record.get("attributes", {}).get("ApproximateReceiveCount", 1))
            for obj in page_objects(record["body"]):
                process_object(settings, obj, receive_count)
        except Exception:
            log.exception("message %s failed; SQS will deliver it again", message_id)
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


__all__ = ["PageObject", "handler", "page_objects", "parse_page_key", "process_object"]
