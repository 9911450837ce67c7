"""AWS profile settings: the keys docscan knows, their validation, and reading them out of
the files a user of the published backend already has.

Three kinds of file are understood, in any combination:

- Amplify's `aws-exports.js` (or `amplifyconfiguration.json`): `aws_project_region`,
  `aws_cognito_identity_pool_id`, `aws_user_pools_id`, `aws_user_pools_web_client_id`;
- the sample web app's `api-config.js`: `endpoint`, `s3_bucket_name`, `s3_region`;
- SAM/CloudFormation stack outputs as JSON: `{"ApiURL": ...}`, a list of
  `{"OutputKey", "OutputValue"}`, or the whole `aws cloudformation describe-stacks` answer.

The `.js` files are JavaScript, not JSON: the object literal is read with a small
tokenizer that knows comments, unquoted keys, single-quoted strings and trailing commas.
Nothing is ever evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docscan.config import Profile
from docscan.errors import BadInputError, ConfigError, NotFoundError

# -- the settings of an AWS profile --------------------------------------------------

REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def _pattern(regex: str, what: str) -> Callable[[str], str]:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise BadInputError(f"{value!r} is not {what}")
        return value

    return check


def _api_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
        raise BadInputError(
            f"{value!r} is not an API base URL "
            "(like https://abc123.execute-api.us-east-1.amazonaws.com/Prod)"
        )
    return value.rstrip("/")


def _concurrency(value: str) -> str:
    if not value.isdigit() or not 1 <= int(value) <= 32:
        raise BadInputError(f"upload_concurrency must be a number from 1 to 32, not {value!r}")
    return str(int(value))


@dataclass(frozen=True)
class Setting:
    key: str
    help: str
    check: Callable[[str], str]


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("region", "region of Cognito and the API", _pattern(REGION.pattern, "a region")),
        Setting(
            "user_pool_id",
            "Cognito user pool id",
            _pattern(r"^[a-z]{2}(-[a-z]+)+-\d+_[0-9A-Za-z]+$", "a user pool id (REGION_ID)"),
        ),
        Setting(
            "client_id",
            "Cognito app client id (public client, no secret)",
            _pattern(r"^[\w+]{1,128}$", "an app client id"),
        ),
        Setting(
            "identity_pool_id",
            "Cognito identity pool id",
            _pattern(r"^[a-z]{2}(-[a-z]+)+-\d+:[0-9a-f-]+$", "an identity pool id (REGION:UUID)"),
        ),
        Setting("api_url", "REST API stage URL", _api_url),
        Setting(
            "bucket",
            "S3 bucket for page images",
            _pattern(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "an S3 bucket name"),
        ),
        Setting(
            "bucket_region",
            "region of the bucket (default: region)",
            _pattern(REGION.pattern, "a region"),
        ),
        Setting("upload_concurrency", "pages uploaded at once (default 4)", _concurrency),
        Setting("project", "current project", lambda value: value),
    )
}


# What an AWS profile needs before any command can reach the backend.
REQUIRED = ("region", "user_pool_id", "client_id", "identity_pool_id", "api_url", "bucket")


def missing(profile: Profile) -> list[str]:
    return [key for key in REQUIRED if not profile.get(key)]


def require_all(profile: Profile) -> None:
    """ConfigError naming every missing setting and how to set them."""
    absent = missing(profile)
    if len(absent) == 1:
        profile.require(absent[0])
    if absent:
        raise ConfigError(
            f"profile {profile.name!r} has no {', '.join(absent)}: import them with "
            f"'docscan --profile {profile.name} config import FILE...' or set each with "
            f"'docscan --profile {profile.name} config set KEY VALUE'"
        )


def validate(key: str, value: str) -> str:
    """The value to store for `key`, or BadInputError naming what is wrong."""
    setting = SETTINGS.get(key)
    if setting is None:
        raise BadInputError(f"unknown setting {key!r}: use one of {', '.join(SETTINGS)}")
    value = value.strip()
    if not value:
        raise BadInputError(f"{key} cannot be empty (use 'docscan config unset {key}')")
    return setting.check(value)


# -- reading the files a user already has -------------------------------------------

# Source key -> setting, for every file kind (their key names do not overlap).
_KEYS = {
    # aws-exports.js / amplifyconfiguration.json
    "aws_project_region": "region",
    "aws_cognito_region": "region",
    "aws_user_pools_id": "user_pool_id",
    "aws_user_pools_web_client_id": "client_id",
    "aws_cognito_identity_pool_id": "identity_pool_id",
    "aws_user_files_s3_bucket": "bucket",
    "aws_user_files_s3_bucket_region": "bucket_region",
    # api-config.js
    "endpoint": "api_url",
    "s3_bucket_name": "bucket",
    "s3_region": "bucket_region",
    # stack outputs (the published template's, and docscan's own template's)
    "ApiURL": "api_url",
    "UserFileBucket": "bucket",
    "Region": "region",
    "UserPoolId": "user_pool_id",
    "UserPoolClientId": "client_id",
    "IdentityPoolId": "identity_pool_id",
}
# When a file has both, the first named wins (aws_project_region over aws_cognito_region).
_PRIORITY = list(_KEYS)


def read_settings_file(path: Path) -> dict[str, str]:
    """The profile settings found in one file (validated), or BadInputError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFoundError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"cannot read {path}: {exc}") from None
    try:
        document: Any = json.loads(text)
    except ValueError:
        try:
            document = parse_js_object(text)
        except ValueError as exc:
            raise BadInputError(f"{path} is neither JSON nor a JavaScript object: {exc}") from None
    found = _flatten(document)
    settings: dict[str, str] = {}
    for source in _PRIORITY:
        value = found.get(source)
        key = _KEYS[source]
        if key in settings or not isinstance(value, str) or not value.strip():
            continue
        try:
            settings[key] = validate(key, value)
        except BadInputError as exc:
            raise BadInputError(f"{path}: {source}: {exc}") from None
    if not settings:
        raise BadInputError(
            f"{path} has none of the settings docscan reads "
            "(aws-exports.js, api-config.js or stack outputs as JSON)"
        )
    return settings


def _flatten(document: Any) -> dict[str, Any]:
    """Top-level keys, plus stack outputs wherever the known shapes put them."""
    found: dict[str, Any] = {}
    if isinstance(document, dict):
        for stack in document.get("Stacks") or []:  # describe-stacks
            if isinstance(stack, dict):
                found.update(_outputs(stack.get("Outputs")))
        found.update(_outputs(document.get("Outputs")))
        found.update({k: v for k, v in document.items() if isinstance(v, str)})
    else:
        found.update(_outputs(document))  # --query 'Stacks[0].Outputs', sam list stack-outputs
    return found


def _outputs(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {
        item["OutputKey"]: item.get("OutputValue")
        for item in items
        if isinstance(item, dict) and isinstance(item.get("OutputKey"), str)
    }


# -- a JavaScript object literal, read without evaluating it ------------------------

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>//[^\n]*|/\*.*?\*/)
    | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\$]|\\.|\$(?!\{))*`)
    | (?P<number>-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))
    | (?P<name>[A-Za-z_$][\w$]*)
    | (?P<punct>[{}\[\],:;=().])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_LITERALS = {"true": True, "false": False, "null": None, "undefined": None}


def _unescape(match: re.Match[str]) -> str:
    escape = match.group(1)
    if escape[0] in "ux" and len(escape) > 1:
        return chr(int(escape[1:].strip("{}"), 16))
    if escape in ("\n", "\r\n"):
        return ""  # line continuation
    return _SIMPLE_ESCAPES.get(escape, escape)


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"unexpected {text[pos]!r} at line {text.count(chr(10), 0, pos) + 1}")
        kind = match.lastgroup or ""
        if kind not in ("space", "comment"):
            yield kind, match.group(), pos
        pos = match.end()


def parse_js_object(text: str) -> dict[str, Any]:
    """The first object literal in a JavaScript file (`const x = {...}; export default x;`,
    `module.exports = {...}`, `window.config = {...}` ...), as plain Python data."""
    tokens = list(_tokens(text))
    start = next((i for i, (kind, value, _) in enumerate(tokens) if value == "{"), None)
    if start is None:
        raise ValueError("no object literal found")
    value, _ = _parse_value(tokens, start)
    return value


def _parse_value(tokens: list[tuple[str, str, int]], i: int) -> tuple[Any, int]:
    if i >= len(tokens):
        raise ValueError("unexpected end of file")
    kind, text, _ = tokens[i]
    if text == "{":
        return _parse_container(tokens, i + 1, "}", keyed=True)
    if text == "[":
        return _parse_container(tokens, i + 1, "]", keyed=False)
    if kind == "string":
        return _ESCAPE.sub(_unescape, text[1:-1]), i + 1
    if kind == "number":
        return _number(text), i + 1
    if kind == "name" and text in _LITERALS:
        return _LITERALS[text], i + 1
    raise ValueError(f"unsupported value {text!r} (only literals can be read)")


def _number(text: str) -> int | float:
    if text.lstrip("-")[:2].lower() == "0x":
        return int(text, 16)
    return float(text) if any(c in text for c in ".eE") else int(text)


def _parse_container(
    tokens: list[tuple[str, str, int]], i: int, close: str, *, keyed: bool
) -> tuple[Any, int]:
    result: Any = {} if keyed else []
    while True:
        if i >= len(tokens):
            raise ValueError(f"missing {close!r}")
        if tokens[i][1] == close:  # also accepts a trailing comma
            return result, i + 1
        if keyed:
            kind, text, _ = tokens[i]
            if kind == "string":
                key = _ESCAPE.sub(_unescape, text[1:-1])
            elif kind in ("name", "number"):
                key = text
            else:
                raise ValueError(f"unexpected {text!r} where a key should be")
            if i + 1 >= len(tokens) or tokens[i + 1][1] != ":":
                raise ValueError(f"missing ':' after key {key!r}")
            result[key], i = _parse_value(tokens, i + 2)
        else:
            value, i = _parse_value(tokens, i)
            result.append(value)
        if i < len(tokens) and tokens[i][1] == ",":
            i += 1
        elif i >= len(tokens) or tokens[i][1] != close:
            found = tokens[i][1] if i < len(tokens) else "end of file"
            raise ValueError(f"expected ',' or {close!r}, found {found!r}")
