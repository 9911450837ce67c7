"""Cognito answers through the CLI: each a one-line message and the right exit code.

moto accepts any password over SRP, so the wrong-password answer and the throttling
answers are replayed with botocore's Stubber on the client pycognito uses; the rest runs
on moto's user pool.
"""

from __future__ import annotations

import json
import time

import boto3
import jwt
import pytest
from botocore.stub import Stubber
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.cognitoidp.models import cognitoidp_backends

from docscan.backends.aws import auth as auth_module
from docscan.backends.aws.auth import session_path
from docscan.errors import ExitCode
from tests.support.cognito import PASSWORD
from tests.support.fixtures import *  # noqa: F403

AWS = ("--profile", "aws")
NEW_PASSWORD = "Brand-New-Pass-7"


def _session() -> dict:
    return json.loads(session_path("aws").read_text())


def _error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _stub_cognito(monkeypatch, responses):
    """Make every Cognito object docscan builds use a stubbed client. `responses` is a
    list of (method, service_response_or_error_code, expected_params_or_None)."""
    client = boto3.client("cognito-idp", region_name="us-east-1")
    stubber = Stubber(client)
    for method, answer, params in responses:
        if isinstance(answer, str):
            stubber.add_client_error(method, service_error_code=answer, expected_params=params)
        else:
            stubber.add_response(method, answer, params)
    stubber.activate()
    original = auth_module.CognitoAuth._cognito

    def stubbed(self, username=None, **tokens):
        cognito = original(self, username, **tokens)
        cognito.client = client
        return cognito

    monkeypatch.setattr(auth_module.CognitoAuth, "_cognito", stubbed)
    return stubber


SRP_CHALLENGE = {
    "ChallengeName": "PASSWORD_VERIFIER",
    "ChallengeParameters": {
        "SALT": "a1b2c3d4",
        "SRP_B": "9f" * 64,
        "USERNAME": "alice",
        "USER_ID_FOR_SRP": "alice",
        "SECRET_BLOCK": "c2VjcmV0",
    },
}


def test_wrong_password_is_an_auth_error(published, cli, monkeypatch):
    stubber = _stub_cognito(
        monkeypatch,
        [
            ("initiate_auth", SRP_CHALLENGE, None),
            ("respond_to_auth_challenge", "NotAuthorizedException", None),
        ],
    )
    result = cli(*AWS, "login", "-u", "alice", "--password-stdin", input="wrong\n", code=6)
    assert "login refused" in _error(result)
    stubber.assert_no_pending_responses()
    assert not session_path("aws").exists() or "id_token" not in _session()


def test_wrong_password_on_moto_password_auth_is_refused(published):
    """The same answer from moto itself (USER_PASSWORD_AUTH checks the password)."""
    published.cognito.create_user("alice")
    with pytest.raises(Exception) as info:
        published.cognito.idp.initiate_auth(
            ClientId=published.cognito.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": "wrong"},
        )
    assert info.value.response["Error"]["Code"] == "NotAuthorizedException"  # type: ignore[attr-defined]
    from docscan.backends.aws.auth import cognito_errors
    from docscan.errors import AuthError

    with (
        pytest.raises(AuthError, match="login refused: Incorrect username or password"),
        cognito_errors("login"),
    ):
        raise info.value


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("TooManyRequestsException", "too many requests"),
        ("LimitExceededException", "too many requests"),
        ("TooManyFailedAttemptsException", "too many requests"),
        ("UserNotFoundException", "no such user"),
        ("PasswordResetRequiredException", "password reset is required"),
    ],
)
def test_cognito_refusals_at_login(published, cli, monkeypatch, code, words):
    _stub_cognito(monkeypatch, [("initiate_auth", code, None)])
    result = cli(*AWS, "login", "-u", "alice", "--password-stdin", input="pw\n", code=6)
    assert words in _error(result)


def test_unknown_user_on_moto(published, cli):
    result = cli(*AWS, "login", "-u", "nobody", "--password-stdin", input="pw\n", code=6)
    assert "no such user" in _error(result)


def test_unconfirmed_user_is_told_how_to_confirm(published, cli):
    cli(
        *AWS,
        "signup",
        "-u",
        "bob",
        "--email",
        "bob@example.com",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    result = cli(*AWS, "login", "-u", "bob", "--password-stdin", input=PASSWORD + "\n", code=6)
    line = _error(result)
    assert "not confirmed" in line and "docscan confirm" in line


def test_signup_bad_inputs(published, cli):
    weak = cli(*AWS, "signup", "-u", "carol", "--email", "c@example.com", "--password-stdin",
               input="short\n", code=4)  # fmt: skip
    assert "password" in _error(weak)
    bad_mail = cli(*AWS, "signup", "-u", "carol", "--email", "nope", "--password-stdin",
                   input=PASSWORD + "\n", code=4)  # fmt: skip
    assert "e-mail" in _error(bad_mail)
    empty = cli(*AWS, "signup", "-u", "carol", "--email", "c@example.com", "--password-stdin",
                input="\n", code=4)  # fmt: skip
    assert "no password" in _error(empty)
    published.cognito.create_user("dave")
    taken = cli(*AWS, "signup", "-u", "dave", "--email", "d@example.com", "--password-stdin",
                input=PASSWORD + "\n", code=4)  # fmt: skip
    assert "already taken" in _error(taken)


def test_confirm_resend_and_expired_code(published, cli, monkeypatch):
    cli(*AWS, "signup", "-u", "erin", "--email", "erin@example.com", "--password-stdin",
        input=PASSWORD + "\n")  # fmt: skip
    cli(*AWS, "confirm", code=2)  # neither a code nor --resend
    delivery = {"Destination": "e***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    _stub_cognito(  # moto has no ResendConfirmationCode
        monkeypatch,
        [
            ("resend_confirmation_code", {"CodeDeliveryDetails": delivery}, None),
            ("confirm_sign_up", "ExpiredCodeException", None),
        ],
    )
    sent = cli(*AWS, "confirm", "--resend")  # the username is remembered from signup
    assert "e***@e*** (email)" in sent.stderr
    result = cli(*AWS, "confirm", "111111", code=6)
    assert "expired" in _error(result) and "--resend" in _error(result)


def test_code_mismatch(published, cli, monkeypatch):
    _stub_cognito(monkeypatch, [("confirm_sign_up", "CodeMismatchException", None)])
    result = cli(*AWS, "confirm", "111111", "-u", "erin", code=6)
    assert "wrong code" in _error(result)


def test_forgot_and_reset_password(published, cli):
    cognito = published.cognito
    cognito.create_user("frank")
    cli(*AWS, "password", "forgot", "-u", "frank")
    wrong = cli(*AWS, "password", "reset", "--code", "moto-confirmation-code:1", "-u", "frank",
                "--password-stdin", input=NEW_PASSWORD + "\n", code=6)  # fmt: skip
    assert "expired" in _error(wrong)
    user = cognitoidp_backends["123456789012"]["us-east-1"].user_pools[cognito.user_pool_id]
    code = user._get_user("frank").confirmation_code
    cli(
        *AWS, "password", "reset", "--code", code, "--password-stdin", input=NEW_PASSWORD + "\n"
    )  # fmt: skip  (username remembered from 'forgot')
    answer = cognito.idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "frank", "PASSWORD": NEW_PASSWORD},
    )
    assert "AuthenticationResult" in answer


def test_new_password_required(published, cli):
    cognito = published.cognito
    cognito.idp.admin_create_user(
        UserPoolId=cognito.user_pool_id, Username="gina", TemporaryPassword="Temp-Pass-1"
    )
    # Scripted without a new password: told how to give one.
    result = cli(*AWS, "login", "-u", "gina", "--password-stdin", input="Temp-Pass-1\n", code=6)
    assert "new password" in _error(result) and "--new-password-stdin" in _error(result)
    cli(*AWS, "login", "-u", "gina", "--password-stdin", "--new-password-stdin",
        input=f"Temp-Pass-1\n{NEW_PASSWORD}\n")  # fmt: skip
    assert _session()["username"] == "gina"
    status = cognito.idp.admin_get_user(UserPoolId=cognito.user_pool_id, Username="gina")
    assert status["UserStatus"] == "CONFIRMED"


def test_new_password_prompted(published, cli):
    cognito = published.cognito
    cognito.idp.admin_create_user(
        UserPoolId=cognito.user_pool_id, Username="gina", TemporaryPassword="Temp-Pass-1"
    )
    result = cli(*AWS, "login", input=f"gina\nTemp-Pass-1\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert NEW_PASSWORD not in result.stdout + result.stderr
    assert _session()["username"] == "gina"


@pytest.mark.parametrize("kind", ["SMS", "TOTP"])
def test_mfa_code(published, cli, kind):
    cognito = published.cognito
    cognito.create_user("hank")
    idp = cognito.idp
    if kind == "TOTP":
        tokens = idp.initiate_auth(
            ClientId=cognito.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "hank", "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        idp.associate_software_token(AccessToken=tokens["AccessToken"])
        idp.verify_software_token(AccessToken=tokens["AccessToken"], UserCode="123456")
        settings = {"SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    else:
        settings = {"SMSMfaSettings": {"Enabled": True, "PreferredMfa": True}}
    idp.admin_set_user_mfa_preference(UserPoolId=cognito.user_pool_id, Username="hank", **settings)
    scripted = cli(*AWS, "login", "-u", "hank", "--password-stdin", input=PASSWORD + "\n", code=6)
    assert f"{kind} code" in _error(scripted) and "--mfa-code" in _error(scripted)
    cli(*AWS, "login", "-u", "hank", "--password-stdin", "--mfa-code", "123456",
        input=PASSWORD + "\n")  # fmt: skip
    assert _session()["username"] == "hank"
    prompted = cli(*AWS, "login", "-u", "hank", input=f"{PASSWORD}\n654321\n")
    assert "Code from" in prompted.stderr


def test_wrong_mfa_code(published, cli, monkeypatch):
    _stub_cognito(
        monkeypatch,
        [
            ("initiate_auth", SRP_CHALLENGE, None),
            (
                "respond_to_auth_challenge",
                {"ChallengeName": "SMS_MFA", "Session": "s" * 20, "ChallengeParameters": {}},
                None,
            ),
            ("respond_to_auth_challenge", "CodeMismatchException", None),
        ],
    )
    result = cli(*AWS, "login", "-u", "alice", "--password-stdin", "--mfa-code", "000000",
                 input="pw\n", code=6)  # fmt: skip
    assert "wrong code" in _error(result)


def test_mfa_setup_challenge_is_explained(published, cli, monkeypatch):
    _stub_cognito(
        monkeypatch,
        [
            ("initiate_auth", SRP_CHALLENGE, None),
            (
                "respond_to_auth_challenge",
                {"ChallengeName": "MFA_SETUP", "Session": "s" * 20, "ChallengeParameters": {}},
                None,
            ),
        ],
    )
    result = cli(*AWS, "login", "-u", "alice", "--password-stdin", input="pw\n", code=6)
    assert "web app" in _error(result)


# -- the session: cache, refresh, expiry, forged tokens ---------------------------------


def _fake_token(claims: dict, key=None) -> str:
    """A token with the given claims, signed with a key that is not the pool's."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


def _rewrite_session(**values):
    data = _session()
    data.update(values)
    session_path("aws").write_text(json.dumps(data))


def test_expired_tokens_are_renewed_transparently(alice, cli):
    before = _session()
    expired = dict(jwt.decode(before["id_token"], options={"verify_signature": False}))
    expired["exp"] = int(time.time()) - 10
    _rewrite_session(id_token=_fake_token(expired))  # would get a 401 if it were sent
    cli(*AWS, "project", "list")
    after = _session()
    assert after["id_token"] not in (before["id_token"],)
    assert after["refresh_token"] == before["refresh_token"]
    assert jwt.decode(after["id_token"], options={"verify_signature": False})["exp"] > time.time()


def test_expired_refresh_token_asks_for_login(alice, cli):
    claims = dict(jwt.decode(_session()["id_token"], options={"verify_signature": False}))
    claims["exp"] = int(time.time()) - 10
    _rewrite_session(id_token=_fake_token(claims), refresh_token="revoked-or-expired")
    result = cli(*AWS, "project", "list", code=ExitCode.AUTH)
    assert _error(result) == "error: session expired (run 'docscan login')"
    cli(*AWS, "whoami", code=ExitCode.AUTH)


def test_throttled_renewal_keeps_the_session(alice, cli, monkeypatch):
    claims = dict(jwt.decode(_session()["id_token"], options={"verify_signature": False}))
    claims["exp"] = int(time.time()) - 10
    _rewrite_session(id_token=_fake_token(claims))
    refresh = _session()["refresh_token"]
    _stub_cognito(monkeypatch, [("initiate_auth", "TooManyRequestsException", None)])
    result = cli(*AWS, "project", "list", code=ExitCode.AUTH)
    assert "too many requests" in _error(result)
    assert _session()["refresh_token"] == refresh


def test_forged_token_gets_401_and_never_shows(alice, cli, published):
    claims = dict(jwt.decode(_session()["id_token"], options={"verify_signature": False}))
    forged = _fake_token(claims)
    _rewrite_session(id_token=forged)
    result = cli(*AWS, "-v", "project", "list", code=ExitCode.AUTH)
    assert "HTTP 401" in _error(result) and "docscan login" in _error(result)
    assert forged not in result.stdout + result.stderr
    assert published.adapter.calls[-1].status == 401


def test_tokens_never_printed(alice, cli):
    session = _session()
    outputs = [
        cli(*AWS, "whoami"),
        cli(*AWS, "--json", "whoami"),
        cli(*AWS, "-v", "config", "show"),
        cli(*AWS, "--json", "config", "show"),
    ]
    for result in outputs:
        for secret in ("id_token", "access_token", "refresh_token"):
            assert session[secret] not in result.stdout + result.stderr
    assert "alice" in outputs[0].stdout


def test_logout_everywhere_revokes(alice, cli):
    refresh = _session()["refresh_token"]
    cli(*AWS, "logout", "--everywhere")
    assert "refresh_token" not in _session()  # the username is kept for the next prompt
    assert _session()["last_username"] == "alice"
    again = cli(*AWS, "logout")
    assert "was not logged in" in again.stderr
    assert refresh


def test_not_logged_in(published, cli):
    result = cli(*AWS, "project", "list", code=ExitCode.AUTH)
    assert "not logged in" in _error(result) and "docscan login" in _error(result)


def test_local_profile_needs_no_login(cli):
    assert "no login" in cli("login").stderr
    assert "nothing to forget" in cli("logout").stderr
    assert "local user" in cli("whoami").stderr
    result = cli("signup", "-u", "x", "--email", "x@example.com", code=ExitCode.CONFIG)
    assert "AWS profile" in _error(result)
