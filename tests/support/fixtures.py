"""Shared pytest fixtures for AWS-profile tests. Import them explicitly:

    from tests.support.fixtures import *  # noqa: F403

Throw-away dirs and fake AWS credentials come from the autouse `isolated_env` of
tests/conftest.py; `aws` runs moto; `cognito` makes a user pool, app client and identity pool;
`published` adds the published backend's tables, bucket and API (mounted for docscan's
requests) and writes the `aws` profile; `cli` runs docscan in-process; `alice` is a
confirmed user logged in on the `aws` profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from moto import mock_aws
from typer.testing import CliRunner, Result

from docscan.backends.aws import api
from tests.support.apigw import ApiGatewayAdapter, cognito_verifier
from tests.support.cognito import API_URL, BUCKET, PASSWORD, CognitoSetup, create_cognito
from tests.support.published import PublishedBackend

__all__ = [
    "PublishedEnv",
    "RunCli",
    "alice",
    "aws",
    "cli",
    "cognito",
    "published",
]


@pytest.fixture
def aws(isolated_env) -> Iterator[None]:  # isolated_env comes from tests/conftest.py
    with mock_aws():
        yield


@pytest.fixture
def cognito(aws) -> CognitoSetup:
    return create_cognito()


@dataclass
class PublishedEnv:
    cognito: CognitoSetup
    backend: PublishedBackend
    adapter: ApiGatewayAdapter

    @property
    def api_url(self) -> str:
        return API_URL


@pytest.fixture
def published(cognito, monkeypatch) -> PublishedEnv:
    """The published backend on moto, its API mounted for docscan, profile `aws` written."""
    backend = PublishedBackend(region=cognito.region, bucket=BUCKET).create_resources()
    verify = cognito_verifier(cognito.region, cognito.user_pool_id, cognito.client_id)
    adapter = backend.adapter(verify)
    monkeypatch.setitem(api.TRANSPORTS, API_URL, adapter)
    cognito.write_profile("aws")
    return PublishedEnv(cognito, backend, adapter)


RunCli = Callable[..., Result]


@pytest.fixture
def cli() -> RunCli:
    """`cli("--profile", "aws", "whoami", input=..., code=0)`: runs docscan in-process and
    checks the exit code (pass code=None to skip the check)."""
    from docscan.cli.app import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None, code: int | None = 0) -> Result:
        result = runner.invoke(app, list(args), input=input)
        if code is not None:
            assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result

    return run


@pytest.fixture
def alice(published, cli) -> str:
    """A confirmed user `alice`, logged in on profile `aws` (via the CLI)."""
    published.cognito.create_user("alice")
    cli(
        "--profile",
        "aws",
        "login",
        "--username",
        "alice",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    return "alice"
