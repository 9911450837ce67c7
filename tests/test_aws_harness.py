"""The test harness itself (the API Gateway emulation others reuse), and the identity-pool
credentials and upload plumbing of the AWS backend."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import jwt
import requests
from PIL import Image

from docscan.backends.aws import AwsBackend
from docscan.backends.aws.auth import session_path
from docscan.config import load_profile, update_profile
from docscan.images import prepare_all
from tests.support.apigw import ApiGatewayAdapter
from tests.support.fixtures import *  # noqa: F403

BASE = "https://api.example.test/Prod"


def _echo(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}


def _boom(event, context):
    raise UnicodeEncodeError("latin-1", "\u201c", 0, 1, "ordinal not in range(256)")


def _session(adapter) -> requests.Session:
    session = requests.Session()
    session.mount(BASE, adapter)
    return session


def _verify(token):
    if token != "good":
        raise ValueError("bad token")
    return {"cognito:username": "alice", "exp": 123}


def test_adapter_builds_rest_proxy_events_and_answers_like_api_gateway(aws):
    """Under mock_aws too: a custom BaseAdapter is not intercepted by moto's patching."""
    seen = []
    adapter = ApiGatewayAdapter(
        [
            ("GET", "/pages/{project}", _echo),
            ("GET", "/pages/count/{project}", _echo),
            ("POST", "/boom", _boom),
        ],
        _verify,
        before_request=lambda: seen.append("pumped"),
    )
    http = _session(adapter)
    auth = {"Authorization": "Bearer good"}
    event = http.get(f"{BASE}/pages/a%20b%2Fc?next=x%2By", headers=auth).json()
    assert event["pathParameters"] == {"project": "a%20b%2Fc"}  # not decoded
    assert event["resource"] == "/pages/{project}" and event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"next": "x+y"}
    assert event["requestContext"]["authorizer"]["claims"] == {
        "cognito:username": "alice",
        "exp": "123",  # claims arrive as strings
    }
    assert event["requestContext"]["stage"] == "Prod"
    literal = http.get(f"{BASE}/pages/count/p", headers=auth).json()
    assert literal["resource"] == "/pages/count/{project}"

    missing = http.get(f"{BASE}/nothing", headers=auth)
    assert missing.status_code == 403 and missing.json() == {
        "message": "Missing Authentication Token"
    }
    assert http.post(f"{BASE}/pages/x", headers=auth).status_code == 403  # method not routed
    assert http.get(f"{BASE}/pages/x").status_code == 401  # no token
    assert http.get(f"{BASE}/pages/x", headers={"Authorization": "forged"}).status_code == 401
    assert http.post(f"{BASE}/boom", headers=auth).status_code == 502
    assert seen == ["pumped"] * 7
    assert [c.status for c in adapter.calls] == [200, 200, 403, 403, 401, 401, 502]


# -- identity-pool credentials and uploads --------------------------------------------


def _images(tmp_path, n):
    paths = []
    for i in range(n):
        path = tmp_path / f"p{i}.png"
        Image.new("L", (100, 120 + i), 255).save(path)
        paths.append(path)
    return prepare_all(paths)


def test_expired_identity_credentials_are_renewed_and_the_identity_kept(alice, tmp_path):
    backend = AwsBackend(load_profile("aws"))
    backend.create_project("book")
    backend.upload("book", _images(tmp_path, 1))
    cached = json.loads(session_path("aws").read_text())
    identity = cached["identity_id"]
    cached["credentials"]["expiry_time"] = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    session_path("aws").write_text(json.dumps(cached))

    backend = AwsBackend(load_profile("aws"))
    backend.upload("book", _images(tmp_path, 1))
    renewed = json.loads(session_path("aws").read_text())
    assert renewed["identity_id"] == identity  # GetId is not asked again
    assert datetime.fromisoformat(renewed["credentials"]["expiry_time"]) > datetime.now(UTC)
    assert backend.storage.page_numbers(backend._prefix("book")) == {1, 2}


def test_uploads_run_concurrently_and_report_on_the_calling_thread(alice, tmp_path):
    update_profile("aws", {"upload_concurrency": "3"})
    backend = AwsBackend(load_profile("aws"))
    backend.create_project("book")
    assert backend.storage.concurrency == 3
    threads = []
    numbers = backend.upload(
        "book", _images(tmp_path, 5), on_stored=lambda n: threads.append((n, threading.get_ident()))
    )
    assert numbers == [1, 2, 3, 4, 5]
    assert sorted(n for n, _ in threads) == numbers
    assert {ident for _, ident in threads} == {threading.get_ident()}


def test_identity_is_asked_with_the_id_token_of_the_pool(alice):
    backend = AwsBackend(load_profile("aws"))
    logins = backend.identity._logins()
    (provider, token), *_ = logins.items()
    assert provider.endswith(backend.auth.user_pool_id)
    assert provider.startswith("cognito-idp.us-east-1.amazonaws.com/")
    assert jwt.decode(token, options={"verify_signature": False})["token_use"] == "id"
