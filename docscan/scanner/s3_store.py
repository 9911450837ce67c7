"""The AWS object store: page images (and exported PDFs) in the user file bucket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from docscan.errors import BackendError, NotFoundError

_MISSING = {"NoSuchKey", "404", "NotFound"}
DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys per call


class S3ObjectStore:
    """`ObjectStore` on one bucket; keys are full object keys (`private/<identityId>/...`)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(self, key: str, data: bytes, content_type: str = "image/png", **extra: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **extra
        )

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise NotFoundError(f"stored page image {key} is missing") from None
            raise
        body = response["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise
        return True

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with `prefix`.

        Callers pass a prefix ending in "/" so that project "a" never takes "ab" with it.
        """
        if not prefix:
            raise ValueError("refusing to delete a whole bucket")
        deleted = 0
        paginator = self.client.get_paginator("list_objects_v2")
        batch: list[dict[str, str]] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                batch.append({"Key": obj["Key"]})
                if len(batch) == DELETE_BATCH:
                    deleted += self._delete(batch)
                    batch = []
        if batch:
            deleted += self._delete(batch)
        return deleted

    def _delete(self, batch: list[dict[str, str]]) -> int:
        response = self.client.delete_objects(
            Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
        )
        errors = response.get("Errors", [])
        if errors:
            first = errors[0]
            raise BackendError(
                f"could not delete {len(errors)} object(s), e.g. {first.get('Key')}: "
                f"{first.get('Code')} {first.get('Message')}"
            )
        return len(batch)

    def local_path(self, key: str) -> Path | None:
        return None  # objects live in S3, never in a local file

    def presigned_get_url(self, key: str, expires_in: int) -> str:
        """An https URL that downloads the object without credentials, for `expires_in` s."""
        return str(
            self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=int(expires_in),
            )
        )


__all__ = ["S3ObjectStore"]
