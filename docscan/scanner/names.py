"""Project-name rules shared by every backend.

The S3 key scheme `.../<username>/<project>/<page>.png` is split on `/` by the OCR
Lambda, so a `/` can never be part of a name. The published backend also puts the name
into URL paths without decoding it, so there only URL-unreserved characters round-trip.
"""

from __future__ import annotations

import re

from docscan.errors import BadInputError

MAX_LENGTH = 128
_UNRESERVED = re.compile(r"^[A-Za-z0-9._~-]+$")


def validate_project_name(name: str, *, url_safe_only: bool = False) -> str:
    """Return the name unchanged, or raise BadInputError saying what is wrong with it."""
    if not name or not name.strip():
        raise BadInputError("project name is empty")
    if len(name) > MAX_LENGTH:
        raise BadInputError(f"project name is longer than {MAX_LENGTH} characters")
    if "/" in name or "\\" in name:
        raise BadInputError(
            f"project name {name!r} contains a slash, which the key scheme cannot hold"
        )
    if name in {".", ".."}:
        raise BadInputError(f"project name {name!r} is not allowed")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise BadInputError(f"project name {name!r} contains control characters")
    if name != name.strip():
        raise BadInputError(f"project name {name!r} starts or ends with white space")
    if url_safe_only and not _UNRESERVED.match(name):
        raise BadInputError(
            f"project name {name!r} cannot be used with this backend: "
            "use only letters, digits, '-', '_', '.' and '~'"
        )
    return name
