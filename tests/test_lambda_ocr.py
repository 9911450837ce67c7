"""The Textract engine and the OCR Lambda: S3 uploads -> SQS (moto) -> handler.

Uploads go to the moto bucket configured with the template's notification filter, so
the messages in the queue are the ones S3 would send; `drain_queue` plays Lambda's SQS
event source (moto applies the queue's redrive policy on receive).
"""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

import boto3
import pytest
from PIL import Image

from docscan.errors import BackendError, OcrError
from docscan.lambdas import ocr
from docscan.models import PageStatus
from docscan.scanner.dynamo_store import DynamoRepository
from docscan.scanner.textract_engine import TextractEngine, lines_from_blocks
from tests.lambda_support import (
    REGION,
    Stack,
    TextractStub,
    drain_queue,
    identity_id,
    line_block,
    moto_stack,
    png_bytes,
)


@pytest.fixture
def aws_stack(monkeypatch):
    with moto_stack(monkeypatch) as stack:
        yield stack


@pytest.fixture
def textract(monkeypatch):
    return TextractStub().install(monkeypatch)


@pytest.fixture
def no_sleep(monkeypatch):
    """botocore's retry backoff, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", slept.append)
    return slept


def repo(stack: Stack) -> DynamoRepository:
    return DynamoRepository(
        stack.dynamodb.Table(stack.projects_table), stack.dynamodb.Table(stack.pages_table)
    )


# -- geometry ---------------------------------------------------------------------------


def test_line_blocks_become_pixel_boxes_with_unit_confidence():
    rotated = line_block("tilted", (0.0, 0.0, 0.0, 0.0), 87.5)
    rotated["Geometry"]["Polygon"] = [
        {"X": 0.5, "Y": 0.1},
        {"X": 0.6, "Y": 0.5},
        {"X": 0.55, "Y": 0.52},
        {"X": 0.45, "Y": 0.12},
    ]
    no_polygon = line_block("boxed", (0.25, 0.5, 0.5, 0.1), 100.0)
    del no_polygon["Geometry"]["Polygon"]
    blocks = [{"BlockType": "PAGE"}, rotated, {"BlockType": "WORD", "Text": "w"}, no_polygon]

    first, second = lines_from_blocks(blocks, 1000, 2000)

    assert first.text == "tilted" and first.confidence == pytest.approx(0.875)
    assert first.box == ((500.0, 200.0), (600.0, 1000.0), (550.0, 1040.0), (450.0, 240.0))
    assert second.box == ((250.0, 1000.0), (750.0, 1000.0), (750.0, 1200.0), (250.0, 1200.0))
    assert second.confidence == 1.0


# -- the engine on its own -------------------------------------------------------------------


def test_engine_sends_bytes_or_an_s3_reference(aws_stack, textract):
    client = boto3.client("textract", region_name=REGION)
    textract.by_width[321] = ["from bytes"]
    result = TextractEngine(client).recognize(Image.new("RGB", (321, 100), "white"))
    assert [line.text for line in result.lines] == ["from bytes"]
    assert result.rotation == 0

    textract.texts["private/k/1.png"] = ["from s3"]
    engine = TextractEngine(client, bucket=aws_stack.bucket, key="private/k/1.png")
    assert [line.text for line in engine.recognize(Image.new("L", (50, 50))).lines] == ["from s3"]
    assert textract.documents[-1] == {
        "S3Object": {"Bucket": aws_stack.bucket, "Name": "private/k/1.png"}
    }


def test_engine_errors_are_permanent_or_retryable(aws_stack, textract, no_sleep):
    from docscan.scanner.textract_engine import textract_client_config

    client = boto3.client(
        "textract", region_name=REGION, config=textract_client_config(max_attempts=2)
    )
    textract.refuse.add("bad.png")
    with pytest.raises(OcrError, match="UnsupportedDocument"):
        TextractEngine(client, "bkt", "bad.png").recognize(Image.new("L", (9, 9)))
    textract.throttle["busy.png"] = 5
    with pytest.raises(BackendError, match="ThrottlingException"):
        TextractEngine(client, "bkt", "busy.png").recognize(Image.new("L", (9, 9)))
    assert textract.throttle["busy.png"] == 3  # two attempts, as configured
    with pytest.raises(OcrError, match="10000 px"):
        TextractEngine(client).recognize(Image.new("L", (10_001, 1)))


# -- the Lambda ---------------------------------------------------------------------------


def test_upload_is_processed_with_spaces_decoded(aws_stack, textract):
    ident = identity_id()
    key = aws_stack.put_page_image(ident, "alice", "tax return 2026", 1, png_bytes(800, 600))
    textract.texts[key] = ["First line “quoted”", "Second — line"]

    result = drain_queue(aws_stack, ocr.handler)

    assert (result.processed, result.failures) == (1, 0)
    page = repo(aws_stack).get_page("alice", "tax return 2026", 1)
    assert page.status is PageStatus.DONE
    assert page.text == "First line “quoted”\nSecond — line\n"
    assert (page.width, page.height) == (800, 600)
    assert page.lines[0].box[0] == (80.0, 30.0)
    assert page.lines[0].confidence == pytest.approx(0.985)
    # Textract read the object in place (the key arrived as "tax+return+2026").
    assert textract.documents == [{"S3Object": {"Bucket": aws_stack.bucket, "Name": key}}]


def test_only_page_keys_reach_the_queue_or_get_processed(aws_stack, textract):
    ident = identity_id()
    s3 = aws_stack.s3
    s3.put_object(Bucket=aws_stack.bucket, Key=f"private/{ident}/alice/p/notes.txt", Body=b"x")
    s3.put_object(Bucket=aws_stack.bucket, Key="exports/alice/x/p.pdf", Body=b"%PDF")
    s3.put_object(Bucket=aws_stack.bucket, Key="public/a.png", Body=png_bytes())
    assert aws_stack.queue_depth(aws_stack.queue_url) == 0  # filtered by the notification

    for key in (
        f"private/{ident}/alice/p/0.png",
        f"private/{ident}/alice/p/cover.png",
        f"private/{ident}/alice/p/sub/1.png",
        f"private/{ident}/alice/p/007.png",
    ):
        s3.put_object(Bucket=aws_stack.bucket, Key=key, Body=png_bytes())
    result = drain_queue(aws_stack, ocr.handler)

    assert (result.processed, result.failures) == (4, 0)  # acknowledged, never retried
    assert textract.documents == []
    assert repo(aws_stack).count_pages("alice", "p") == 0


def test_test_events_and_vanished_objects_are_acknowledged(aws_stack, textract):
    ident = identity_id()
    key = aws_stack.put_page_image(ident, "alice", "p", 1)
    aws_stack.s3.delete_object(Bucket=aws_stack.bucket, Key=key)
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": aws_stack.bucket}
    aws_stack.sqs.send_message(QueueUrl=aws_stack.queue_url, MessageBody=json.dumps(test_event))

    result = drain_queue(aws_stack, ocr.handler)

    assert (result.processed, result.failures) == (2, 0)
    assert repo(aws_stack).get_page("alice", "p", 1) is None


def test_throttling_is_retried_with_backoff_then_succeeds(aws_stack, textract, no_sleep):
    key = aws_stack.put_page_image(identity_id(), "alice", "p", 1)
    textract.texts[key] = ["finally"]
    textract.throttle[key] = 2

    result = drain_queue(aws_stack, ocr.handler)

    assert (result.invocations, result.failures) == (1, 0)
    assert len(no_sleep) == 2 and all(delay >= 0 for delay in no_sleep)
    assert repo(aws_stack).get_page("alice", "p", 1).text == "finally\n"


def test_throttling_past_the_retries_is_left_to_sqs(aws_stack, textract, no_sleep, monkeypatch):
    monkeypatch.setenv("DOCSCAN_TEXTRACT_MAX_ATTEMPTS", "2")
    key = aws_stack.put_page_image(identity_id(), "alice", "p", 1)
    textract.texts[key] = ["third time lucky"]
    textract.throttle[key] = 3  # one delivery of two attempts is not enough

    result = drain_queue(aws_stack, ocr.handler)

    assert (result.invocations, result.failures, result.processed) == (2, 1, 1)
    assert repo(aws_stack).get_page("alice", "p", 1).status is PageStatus.DONE


def test_a_poisoned_page_ends_failed_and_in_the_dead_letter_queue(aws_stack, textract, monkeypatch):
    monkeypatch.setenv("DOCSCAN_TEXTRACT_MAX_ATTEMPTS", "1")
    ident = identity_id()
    good = aws_stack.put_page_image(ident, "alice", "p", 1)
    bad = aws_stack.put_page_image(ident, "alice", "p", 2)
    textract.texts[good] = ["fine"]
    textract.poison.add(bad)

    result = drain_queue(aws_stack, ocr.handler)

    # Each receive of the bad message is one failure; the good one went through once.
    assert result.failures == aws_stack.max_receive_count
    assert result.processed == 1
    store = repo(aws_stack)
    assert store.get_page("alice", "p", 1).status is PageStatus.DONE
    failed = store.get_page("alice", "p", 2)
    assert failed.status is PageStatus.FAILED
    assert "dead-letter" in failed.error and "InternalServerError" in failed.error
    assert aws_stack.queue_depth(aws_stack.queue_url) == 0
    dead = aws_stack.sqs.receive_message(QueueUrl=aws_stack.dlq_url, MaxNumberOfMessages=10)
    (message,) = dead["Messages"]
    [record] = json.loads(message["Body"])["Records"]
    assert unquote_plus(record["s3"]["object"]["key"]) == bad
    assert bad in aws_stack.object_keys("private/")  # the image itself is kept


def test_pages_textract_refuses_fail_at_once(aws_stack, textract):
    key = aws_stack.put_page_image(identity_id(), "alice", "p", 1)
    textract.refuse.add(key)
    result = drain_queue(aws_stack, ocr.handler)
    assert (result.processed, result.failures) == (1, 0)
    page = repo(aws_stack).get_page("alice", "p", 1)
    assert page.status is PageStatus.FAILED and "UnsupportedDocument" in page.error


def test_an_unreadable_image_fails_the_page(aws_stack, textract):
    aws_stack.put_page_image(identity_id(), "alice", "p", 1, data=b"not a png")
    result = drain_queue(aws_stack, ocr.handler)
    assert (result.processed, result.failures) == (1, 0)
    assert repo(aws_stack).get_page("alice", "p", 1).status is PageStatus.FAILED
    assert textract.documents == []


def test_partial_batch_failure_names_only_the_failing_message(aws_stack, textract, monkeypatch):
    monkeypatch.setenv("DOCSCAN_TEXTRACT_MAX_ATTEMPTS", "1")
    ident = identity_id()
    keys = [aws_stack.put_page_image(ident, "bob", "p", n) for n in (1, 2, 3)]
    textract.poison.add(keys[1])
    messages = aws_stack.sqs.receive_message(
        QueueUrl=aws_stack.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    event = {
        "Records": [
            {"messageId": m["MessageId"], "body": m["Body"], "attributes": m["Attributes"]}
            for m in messages
        ]
    }

    response = ocr.handler(event, None)

    bad_ids = [m["MessageId"] for m in messages if keys[1].split("/")[-1] in m["Body"]]
    assert response == {"batchItemFailures": [{"itemIdentifier": bad_ids[0]}]}
    pages = {p.number: p.status for p in repo(aws_stack).iter_pages("bob", "p")}
    # Marked pending at receipt; not failed yet: SQS will deliver it again.
    assert pages == {1: PageStatus.DONE, 2: PageStatus.PENDING, 3: PageStatus.DONE}


def test_a_malformed_message_is_retried_not_dropped(aws_stack):
    response = ocr.handler({"Records": [{"messageId": "m1", "body": "{not json"}]}, None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
