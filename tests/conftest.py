"""Every test runs against throw-away directories and fake AWS credentials."""

from __future__ import annotations

import pytest

_CLEARED = (
    "DOCSCAN_PROFILE",
    "DOCSCAN_PROJECT",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """docscan's data and config in tmp dirs; AWS calls can only reach moto."""
    monkeypatch.setenv("DOCSCAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCSCAN_CONFIG_DIR", str(tmp_path / "config"))
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return tmp_path
