"""A moto Cognito setup: user pool, public app client, identity pool; and an AWS profile
pointing at it (and at the published backend's API and bucket)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docscan import config
from tests.support.clients import client

REGION = "us-east-1"
API_URL = "https://api.example.test/Prod"
BUCKET = "docscan-pages-test"
PASSWORD = "Correct-Horse-9"


@dataclass(frozen=True)
class CognitoSetup:
    region: str
    user_pool_id: str
    client_id: str
    identity_pool_id: str

    @property
    def idp(self) -> Any:
        return client("cognito-idp", self.region)

    def confirm(self, username: str) -> None:
        """What clicking the e-mailed code does (moto sends no mail)."""
        self.idp.admin_confirm_sign_up(UserPoolId=self.user_pool_id, Username=username)

    def create_user(
        self, username: str, password: str = PASSWORD, email: str | None = None
    ) -> None:
        """A confirmed user, as after signup + confirm."""
        self.idp.sign_up(
            ClientId=self.client_id,
            Username=username,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email or f"{username}@example.com"}],
        )
        self.confirm(username)

    def settings(self, **extra: str) -> dict[str, str]:
        return {
            "region": self.region,
            "user_pool_id": self.user_pool_id,
            "client_id": self.client_id,
            "identity_pool_id": self.identity_pool_id,
            "api_url": API_URL,
            "bucket": BUCKET,
            **extra,
        }

    def write_profile(self, name: str = "aws", **extra: str) -> config.Profile:
        """Save an AWS profile for this setup in the (test) config dir."""
        return config.update_profile(name, {"kind": config.AWS_KIND, **self.settings(**extra)})


def create_cognito(region: str = REGION) -> CognitoSetup:
    """Must run under `moto.mock_aws`."""
    idp = client("cognito-idp", region)
    pool_id = idp.create_user_pool(
        PoolName="docscan-test",
        AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True}],
    )["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        GenerateSecret=False,
        ExplicitAuthFlows=[
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
    )["UserPoolClient"]["ClientId"]
    identity_pool_id = client("cognito-identity", region).create_identity_pool(
        IdentityPoolName="docscan_test",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[
            {
                "ProviderName": f"cognito-idp.{region}.amazonaws.com/{pool_id}",
                "ClientId": client_id,
            }
        ],
    )["IdentityPoolId"]
    return CognitoSetup(region, pool_id, client_id, identity_pool_id)
