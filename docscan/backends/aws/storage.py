"""Page images in the user's private S3 prefix.

Key scheme (fixed by the published OCR Lambda):
`private/<identityId>/<username>/<project>/<page>.png`, Content-Type `image/png`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from docscan.backends.aws.auth import scrub
from docscan.errors import AuthError, BackendError, ConfigError

DEFAULT_CONCURRENCY = 4


def s3_config(concurrency: int) -> Config:
    return Config(
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=max(10, concurrency),
    )


def project_prefix(identity_id: str, username: str, project: str) -> str:
    return f"private/{identity_id}/{username}/{project}/"


@dataclass(frozen=True)
class PageObject:
    number: int
    key: str
    data: bytes


@contextmanager
def s3_errors(action: str, bucket: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "ExpiredToken"):
            raise AuthError(
                f"{action}: the bucket {bucket!r} refused access ({code})",
                hint="check 'bucket' and 'identity_pool_id' in 'docscan config show'",
            ) from None
        if code in ("NoSuchBucket", "PermanentRedirect", "AuthorizationHeaderMalformed"):
            raise ConfigError(
                f"{action}: bucket {bucket!r} is not usable ({code})",
                hint="check 'bucket' and 'bucket_region' with 'docscan config show'",
            ) from None
        message = scrub(error.get("Message", ""))
        raise BackendError(f"{action}: S3 error {code}: {message}") from None
    except BotoCoreError as exc:
        raise BackendError(f"{action}: cannot reach S3: {scrub(str(exc))}") from None


class PageStorage:
    def __init__(self, client: Any, bucket: str, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.client = client
        self.bucket = bucket
        self.concurrency = concurrency

    def page_numbers(self, prefix: str) -> set[int]:
        """Numbers of the pages stored under a project prefix (processed or not)."""
        pattern = re.compile(re.escape(prefix) + r"([1-9][0-9]*)\.png")
        numbers: set[int] = set()
        with s3_errors("listing pages", self.bucket):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    match = pattern.fullmatch(item["Key"])
                    if match:
                        numbers.add(int(match.group(1)))
        return numbers

    def put_pages(
        self, pages: Sequence[PageObject], on_stored: Callable[[int], None] | None = None
    ) -> None:
        """Upload pages a few at a time; `on_stored` runs on this thread as each lands.
        On the first failure the pages not started yet are cancelled and the error raised
        (pages already stored stay stored)."""
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures: dict[Future[None], int] = {
                pool.submit(self._put, page): page.number for page in pages
            }
            pending = set(futures)
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    # Report what landed before raising what failed.
                    for future in sorted(done, key=lambda f: f.exception() is not None):
                        future.result()
                        if on_stored is not None:
                            on_stored(futures[future])
            except BaseException:
                for future in pending:
                    future.cancel()
                raise

    def _put(self, page: PageObject) -> None:
        with s3_errors(f"uploading page {page.number}", self.bucket):
            self.client.put_object(
                Bucket=self.bucket, Key=page.key, Body=page.data, ContentType="image/png"
            )
