"""Identity-pool credentials: the AWS keys page uploads are signed with.

`GetId` (once; the identity id is cached, since it names the user's S3 prefix) and
`GetCredentialsForIdentity` with the user's ID token. The credentials (about an hour) are
cached in the session file and wrapped in botocore's `RefreshableCredentials`, which
renews them before they expire, also in the middle of a long upload.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.loaders import Loader, create_loader

from docscan.backends.aws.auth import COGNITO_CONFIG, CognitoAuth, cognito_errors
from docscan.config import Profile
from docscan.errors import BackendError

METHOD = "cognito-identity"
# Renew this long before expiry (botocore's defaults are 15 and 10 minutes).
ADVISORY_REFRESH_S = 10 * 60
MANDATORY_REFRESH_S = 2 * 60


class IdentityPoolCredentials:
    def __init__(self, profile: Profile, auth: CognitoAuth) -> None:
        self.auth = auth
        self.identity_pool_id = profile.require("identity_pool_id")
        self.region = self.identity_pool_id.split(":", 1)[0]
        self.provider = f"cognito-idp.{auth.region}.amazonaws.com/{auth.user_pool_id}"
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client(
                "cognito-identity", region_name=self.region, config=COGNITO_CONFIG
            )
        return self._client

    def _logins(self) -> dict[str, str]:
        return {self.provider: self.auth.id_token()}

    def identity_id(self) -> str:
        """The user's identity id (the `<identityId>` of the S3 key scheme)."""
        state = self.auth.state()
        if state.get("identity_id") and state.get("identity_pool_id") == self.identity_pool_id:
            return str(state["identity_id"])
        logins = self._logins()
        with cognito_errors("identity pool"):
            identity_id = self.client.get_id(IdentityPoolId=self.identity_pool_id, Logins=logins)[
                "IdentityId"
            ]
        self.auth.update(
            identity_id=identity_id, identity_pool_id=self.identity_pool_id, credentials=None
        )
        return str(identity_id)

    def fetch(self) -> dict[str, str]:
        """New credentials, in the shape RefreshableCredentials wants (also cached)."""
        identity_id = self.identity_id()
        logins = self._logins()
        with cognito_errors("identity pool"):
            answer = self.client.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
        creds = answer.get("Credentials") or {}
        expiration = creds.get("Expiration")
        if not creds.get("AccessKeyId") or not isinstance(expiration, datetime):
            raise BackendError("the identity pool returned no credentials")
        metadata = {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretKey"],
            "token": creds["SessionToken"],
            "expiry_time": expiration.isoformat(),
        }
        self.auth.update(credentials=metadata)
        return metadata

    def credentials(self) -> RefreshableCredentials:
        cached = self.auth.state().get("credentials")
        usable = isinstance(cached, dict) and {"access_key", "secret_key", "token"} <= set(cached)
        return RefreshableCredentials.create_from_metadata(
            cached if usable else self.fetch(),
            refresh_using=self.fetch,
            method=METHOD,
            advisory_timeout=ADVISORY_REFRESH_S,
            mandatory_timeout=MANDATORY_REFRESH_S,
        )

    def client_for(self, service: str, region: str, config: Config) -> Any:
        """A boto3 client signed with these credentials, renewed as needed."""
        session = botocore.session.Session()
        session.register_component("data_loader", _loader())
        session.register_component(
            "credential_provider", CredentialResolver([_Provider(self.credentials)])
        )
        return boto3.Session(botocore_session=session).client(
            service, region_name=region, config=config
        )


@functools.cache
def _loader() -> Loader:
    """One loader per process: service models are parsed once, not once per client."""
    return create_loader()


class _Provider(CredentialProvider):
    METHOD = METHOD

    def __init__(self, load: Any) -> None:
        super().__init__()
        self._load = load

    def load(self) -> RefreshableCredentials:
        return self._load()
