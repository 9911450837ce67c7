"""An in-process API Gateway (REST API, Lambda proxy integration, Cognito authorizer) for
`requests`.

moto's API Gateway does not enforce a Cognito authorizer and cannot run Lambdas without
Docker, so tests mount this adapter on the API's base URL instead:

    adapter = ApiGatewayAdapter(routes, verify=cognito_verifier(region, pool_id, client_id))
    session.mount("https://api.example.test/Prod", adapter)

Each route is `(method, "/pages/count/{project}", handler)` with a Lambda handler
`handler(event, context) -> {"statusCode", "headers", "body", "isBase64Encoded"?}`.
Like API Gateway: an unknown route or method is 403 `Missing Authentication Token`; a
missing, expired or forged token is 401 `Unauthorized`; a handler that raises (or answers
above the Lambda payload limit) is 502; path parameters reach the handler exactly as they
appeared in the URL (REST APIs do not decode them). A custom `BaseAdapter` is not touched
by moto's `responses` patching, which only replaces `HTTPAdapter.send`.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Route = tuple[str, str, Handler]
Verifier = Callable[[str], Mapping[str, Any]]

LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024


@dataclass
class Call:
    """One request the adapter answered (tests assert on these)."""

    method: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class _Context:
    """The bits of a Lambda context object handlers commonly read."""

    function_name = "emulated"
    memory_limit_in_mb = 512

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def _template(path: str) -> tuple[re.Pattern[str], int]:
    """A regex for a route template and its number of literal segments (for priority)."""
    parts, literals = [], 0
    for segment in path.strip("/").split("/"):
        if segment.endswith("+}"):
            parts.append(f"(?P<{segment[1:-2]}>.+)")
        elif segment.startswith("{"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
            literals += 1
    return re.compile("/" + "/".join(parts)), literals


class ApiGatewayAdapter(BaseAdapter):
    def __init__(
        self,
        routes: list[Route],
        verify: Verifier | None,
        *,
        stage: str = "Prod",
        before_request: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self.stage = stage
        self.verify = verify
        self.before_request = before_request
        compiled = [
            (method.upper(), path, *_template(path), handler) for method, path, handler in routes
        ]
        # API Gateway picks the most specific resource: literal segments win.
        self.routes = sorted(compiled, key=lambda r: -r[3])
        self.calls: list[Call] = []

    def close(self) -> None:
        pass

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self.before_request is not None:
            self.before_request()
        url = urlsplit(request.url or "")
        method = (request.method or "GET").upper()
        headers = {k: v if isinstance(v, str) else v.decode() for k, v in request.headers.items()}
        status, response_headers, body = self._dispatch(method, url, headers, request.body)
        self.calls.append(Call(method, url.path, status, headers))
        return self._response(request, status, response_headers, body)

    # -- routing ----------------------------------------------------------------

    def _dispatch(
        self, method: str, url: Any, headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], bytes]:
        prefix = f"/{self.stage}"
        if not (url.path == prefix or url.path.startswith(prefix + "/")):
            return _gateway(403, "Missing Authentication Token")
        path = url.path[len(prefix) :] or "/"
        for route_method, template, regex, _, handler in self.routes:
            match = regex.fullmatch(path)
            if match is None or route_method not in (method, "ANY"):
                continue
            claims = self._authorize(headers)
            if claims is None:
                return _gateway(401, "Unauthorized")
            event = self._event(method, path, template, match.groupdict(), url, headers, body)
            event["requestContext"]["authorizer"] = {"claims": claims}
            return self._invoke(handler, event)
        return _gateway(403, "Missing Authentication Token")

    def _authorize(self, headers: dict[str, str]) -> dict[str, str] | None:
        if self.verify is None:
            return {}
        value = CaseInsensitiveDict(headers).get("Authorization")
        if not value:
            return None
        token = value[7:] if value.lower().startswith("bearer ") else value
        try:
            claims = self.verify(token)
        except Exception:
            return None
        # The authorizer hands claims to the Lambda as strings.
        return {key: str(value) for key, value in claims.items()}

    def _event(
        self,
        method: str,
        path: str,
        template: str,
        params: dict[str, str],
        url: Any,
        headers: dict[str, str],
        body: Any,
    ) -> dict[str, Any]:
        query = dict(parse_qsl(url.query, keep_blank_values=True)) or None
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        return {
            "resource": template,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query,
            "multiValueQueryStringParameters": (
                {k: [v] for k, v in query.items()} if query else None
            ),
            # As REST APIs do: the raw segment, not percent-decoded.
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": template,
                "httpMethod": method,
                "path": f"/{self.stage}{path}",
                "stage": self.stage,
                "requestId": str(uuid.uuid4()),
                "requestTimeEpoch": int(time.time() * 1000),
                "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent")},
            },
            "body": body,
            "isBase64Encoded": False,
        }

    @staticmethod
    def _invoke(handler: Handler, event: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        try:
            result = handler(event, _Context())
            status = int(result.get("statusCode", 200))
            body = result.get("body") or ""
            data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
            headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        except Exception:
            return _gateway(502, "Internal server error")
        if len(data) > LAMBDA_PAYLOAD_LIMIT:
            return _gateway(502, "Internal server error")
        return status, headers, data

    @staticmethod
    def _response(
        request: requests.PreparedRequest, status: int, headers: dict[str, str], body: bytes
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        response._content = body
        response.url = request.url or ""
        response.request = request
        response.reason = {200: "OK", 401: "Unauthorized", 403: "Forbidden"}.get(status, "")
        response.encoding = "utf-8"
        return response


def _gateway(status: int, message: str) -> tuple[int, dict[str, str], bytes]:
    """An answer API Gateway itself gives (no Lambda involved)."""
    body = json.dumps({"message": message}).encode()
    return status, {"Content-Type": "application/json", "x-amzn-ErrorType": message}, body


def cognito_verifier(region: str, user_pool_id: str, client_id: str) -> Verifier:
    """Verify an ID token as API Gateway's Cognito authorizer does (signature against the
    pool's JWKS, issuer, audience, expiry, token_use); returns its claims. Works under
    `mock_aws`, which answers the JWKS URL."""
    from pycognito import Cognito

    cognito = Cognito(user_pool_id, client_id, user_pool_region=region)

    def verify(token: str) -> Mapping[str, Any]:
        return cognito.verify_token(token, "id_token", "id")

    return verify
