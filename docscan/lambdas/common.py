"""What every Lambda shares: settings from the environment, AWS clients, the service.

Settings are read on every invocation (they are a few environment lookups), clients
once per container and reused across invocations, as Lambda recommends.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3

from docscan.errors import ConfigError
from docscan.scanner.dynamo_store import DynamoRepository
from docscan.scanner.s3_store import S3ObjectStore
from docscan.scanner.service import ScannerService
from docscan.scanner.textract_engine import TextractEngine, textract_client_config


def _env_int(name: str, default: int | None) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be an integer, not {raw!r}") from None


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is not set")
    return value


@dataclass(frozen=True)
class Settings:
    """The function's configuration (the template sets these variables)."""

    projects_table: str | None
    pages_table: str | None
    bucket: str | None
    query_page_size: int | None  # Limit of each DynamoDB Query call; None: 1 MB pages
    pdf_inline_limit: int  # longest data: URL returned inline, in characters
    pdf_url_expires: int  # seconds a presigned PDF URL stays valid
    pages_per_response: int  # GET /pages/{project}: pages per response at most
    pages_response_bytes: int  # GET /pages/{project}: JSON bytes per response, roughly
    max_receive_count: int  # the OCR queue's redrive maxReceiveCount
    textract_max_attempts: int
    textract_retry_mode: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            projects_table=os.environ.get("PROJECTS_TABLE_NAME") or None,
            pages_table=os.environ.get("PAGES_TABLE_NAME") or None,
            bucket=os.environ.get("BUCKET_NAME") or None,
            query_page_size=_env_int("DOCSCAN_QUERY_PAGE_SIZE", None),
            # API Gateway and Lambda cap a response near 6 MB; stay well below it.
            pdf_inline_limit=_env_int("DOCSCAN_PDF_INLINE_LIMIT", 4_500_000) or 0,
            pdf_url_expires=_env_int("DOCSCAN_PDF_URL_EXPIRES", 900) or 900,
            pages_per_response=_env_int("DOCSCAN_PAGES_PER_RESPONSE", 100) or 100,
            pages_response_bytes=_env_int("DOCSCAN_PAGES_RESPONSE_BYTES", 4_000_000) or 4_000_000,
            max_receive_count=_env_int("DOCSCAN_MAX_RECEIVE_COUNT", 5) or 5,
            textract_max_attempts=_env_int("DOCSCAN_TEXTRACT_MAX_ATTEMPTS", 8) or 8,
            textract_retry_mode=os.environ.get("DOCSCAN_TEXTRACT_RETRY_MODE", "standard"),
        )


# -- clients, one set per container ------------------------------------------------


@cache
def _resource(service: str) -> Any:
    return boto3.resource(service)


@cache
def _client(service: str) -> Any:
    return boto3.client(service)


@cache
def _textract_client(max_attempts: int, mode: str) -> Any:
    return boto3.client("textract", config=textract_client_config(max_attempts, mode))


def reset_clients() -> None:
    """Forget the cached clients (tests start each case on fresh mocked endpoints)."""
    _resource.cache_clear()
    _client.cache_clear()
    _textract_client.cache_clear()


def s3_client() -> Any:
    return _client("s3")


def repository(settings: Settings) -> DynamoRepository:
    dynamodb = _resource("dynamodb")
    return DynamoRepository(
        dynamodb.Table(settings.projects_table or _required("PROJECTS_TABLE_NAME")),
        dynamodb.Table(settings.pages_table or _required("PAGES_TABLE_NAME")),
        page_size=settings.query_page_size,
    )


def object_store(settings: Settings) -> S3ObjectStore:
    return S3ObjectStore(s3_client(), settings.bucket or _required("BUCKET_NAME"))


def textract_engine_factory(
    settings: Settings, bucket: str | None = None, key: str | None = None
) -> Callable[[], TextractEngine]:
    """Engines that read the page from `bucket`/`key` in S3 when given."""

    def make() -> TextractEngine:
        client = _textract_client(settings.textract_max_attempts, settings.textract_retry_mode)
        return TextractEngine(client, bucket=bucket, key=key)

    return make


def scanner_service(
    settings: Settings,
    owner: str,
    *,
    key_prefix: str = "",
    repo: DynamoRepository | None = None,
    objects: S3ObjectStore | None = None,
    engine: Callable[[], TextractEngine] | None = None,
) -> ScannerService:
    """The scanner service acting for `owner` (the Cognito username).

    `key_prefix` is `private/<identityId>/` when the call touches page images.
    """
    return ScannerService(
        repo or repository(settings),
        objects or object_store(settings),
        engine or textract_engine_factory(settings),
        owner=owner,
        key_prefix=key_prefix,
    )
