"""Cognito user-pool identity for AWS profiles: sign-up, confirmation, SRP login, password
reset, and the per-profile session cache.

The session cache is one JSON file per profile in the config dir, created mode 0600
(`config.write_private_file`). It holds the user's tokens, the identity-pool identity id
and the identity-pool credentials, so each command starts without a round trip to
Cognito. Expired ID/access tokens are renewed with the refresh token; when that fails the
user is asked to log in again. Tokens and passwords never appear in messages.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pycognito import Cognito
from pycognito.exceptions import (
    ForceChangePasswordException,
    SMSMFAChallengeException,
    SoftwareTokenMFAChallengeException,
    TokenVerificationException,
)

from docscan.config import Profile, config_dir, write_private_file
from docscan.errors import (
    AuthError,
    BackendError,
    BadInputError,
    ConfigError,
    DocscanError,
)

SESSION_VERSION = 1
# Renew tokens this long before they expire, so a request never leaves with a dying token.
REFRESH_MARGIN_S = 120
LOGIN_HINT = "run 'docscan login'"

# Cognito's user-facing operations are unauthenticated: never sign them with whatever AWS
# credentials happen to be around. botocore's standard retry mode handles throttling.
COGNITO_CONFIG = Config(
    signature_version=UNSIGNED,
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=10,
    read_timeout=30,
)

# JWTs and other long opaque strings, which must never reach the terminal.
_SECRET_LIKE = re.compile(r"[A-Za-z0-9_\-+/=]{40,}(\.[A-Za-z0-9_\-+/=]+){0,2}")


def scrub(message: str) -> str:
    """A message from AWS, one line, with anything token-like masked."""
    line = " ".join(str(message).split())
    return _SECRET_LIKE.sub("[redacted]", line)[:300]


def session_path(profile_name: str) -> Path:
    return config_dir() / "sessions" / f"{quote(profile_name, safe='')}.json"


@dataclass(frozen=True)
class Delivery:
    """Where Cognito sent a code (the destination comes masked, like a***@e***)."""

    destination: str
    medium: str

    @classmethod
    def from_response(cls, response: dict[str, Any]) -> Delivery | None:
        details = response.get("CodeDeliveryDetails")
        if not details:
            return None
        return cls(
            destination=str(details.get("Destination", "?")),
            medium=str(details.get("DeliveryMedium", "?")).lower().replace("_", " "),
        )

    def __str__(self) -> str:
        return f"{self.destination} ({self.medium})"


# -- errors ------------------------------------------------------------------------


class NotConfirmedError(AuthError):
    """The account exists but its sign-up code was never confirmed."""


_TOO_MANY = "too many requests to Cognito: wait a few minutes and try again"
_BY_CODE: dict[str, tuple[type[DocscanError], str, str | None]] = {
    "UserNotFoundException": (AuthError, "no such user", "check the username, or 'docscan signup'"),
    "UserNotConfirmedException": (
        NotConfirmedError,
        "the account is not confirmed yet",
        "run 'docscan confirm CODE' with the code from the sign-up message, "
        "or 'docscan confirm --resend'",
    ),
    "PasswordResetRequiredException": (
        AuthError,
        "a password reset is required",
        "run 'docscan password forgot', then 'docscan password reset --code CODE'",
    ),
    "UsernameExistsException": (BadInputError, "that username is already taken", None),
    "AliasExistsException": (BadInputError, "that e-mail address is already used", None),
    "CodeMismatchException": (AuthError, "wrong code", "check the code and try again"),
    "ExpiredCodeException": (
        AuthError,
        "the code has expired",
        "ask for a new one ('docscan confirm --resend' or 'docscan password forgot')",
    ),
    "TooManyRequestsException": (AuthError, _TOO_MANY, None),
    "LimitExceededException": (AuthError, _TOO_MANY, None),
    "TooManyFailedAttemptsException": (AuthError, _TOO_MANY, None),
    "CodeDeliveryFailureException": (BackendError, "Cognito could not send the code", None),
    "InternalErrorException": (BackendError, "Cognito failed (internal error)", "try again"),
    "UserLambdaValidationException": (AuthError, "the user pool refused the request", None),
    "InvalidLambdaResponseException": (BackendError, "the user pool's trigger failed", None),
    "ResourceNotFoundException": (
        ConfigError,
        "Cognito does not know this pool or client",
        "check user_pool_id, client_id and identity_pool_id with 'docscan config show'",
    ),
    "InvalidIdentityPoolConfigurationException": (
        ConfigError,
        "the identity pool is misconfigured (roles)",
        None,
    ),
}


@contextmanager
def cognito_errors(action: str) -> Iterator[None]:
    """Turn Cognito's answers into one-line docscan errors (never with a token inside)."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = scrub(error.get("Message", ""))
        if code == "NotAuthorizedException":
            if "refresh token" in message.lower():
                raise AuthError("session expired", hint=LOGIN_HINT) from None
            if "disabled" in message.lower():
                raise AuthError("the account is disabled") from None
            raise AuthError(f"{action} refused: {message or 'not authorized'}") from None
        if code in ("InvalidPasswordException", "InvalidParameterException"):
            raise BadInputError(f"{action}: {message or code}") from None
        kind, text, hint = _BY_CODE.get(code, (BackendError, f"Cognito error {code}", None))
        if code not in _BY_CODE and message:
            text = f"{text}: {message}"
        raise kind(f"{action}: {text}", hint=hint) from None
    except TokenVerificationException:
        raise AuthError(f"{action}: Cognito's token did not verify", hint=LOGIN_HINT) from None
    except BotoCoreError as exc:
        raise BackendError(f"{action}: cannot reach Cognito: {scrub(str(exc))}") from None


# -- the session cache ---------------------------------------------------------------


class SessionCache:
    """The per-profile session file (tokens, identity, credentials); always mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # unreadable or damaged: as good as logged out
        return data if isinstance(data, dict) and data.get("version") == SESSION_VERSION else {}

    def save(self, data: dict[str, Any]) -> None:
        data = {**data, "version": SESSION_VERSION}
        write_private_file(self.path, json.dumps(data, indent=1, sort_keys=True).encode())

    def clear(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True


def token_claims(token: str) -> dict[str, Any]:
    """Claims of one of our own cached tokens, for display and expiry (not for trust)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


# -- Cognito -------------------------------------------------------------------------

NewPasswordPrompt = Callable[[], str]
MfaPrompt = Callable[[str], str]  # called with "SMS" or "TOTP", returns the code


class CognitoAuth:
    """A user pool seen from one profile: account operations and the cached session."""

    def __init__(self, profile: Profile, cache: SessionCache | None = None) -> None:
        self.profile = profile
        self.region = profile.require("region")
        self.user_pool_id = profile.require("user_pool_id")
        self.client_id = profile.require("client_id")
        self.cache = cache or SessionCache(session_path(profile.name))
        self._lock = threading.RLock()
        self._data: dict[str, Any] | None = None

    def _cognito(self, username: str | None = None, **tokens: str | None) -> Cognito:
        return Cognito(
            self.user_pool_id,
            self.client_id,
            user_pool_region=self.region,
            username=username,
            botocore_config=COGNITO_CONFIG,
            **tokens,
        )

    # -- cached state ---------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The cache, or {} if it belongs to another pool/client (the profile changed)."""
        with self._lock:
            if self._data is None:
                data = self.cache.load()
                same_pool = (data.get("user_pool_id"), data.get("client_id")) == (
                    self.user_pool_id,
                    self.client_id,
                )
                self._data = data if same_pool else {}
            return self._data

    def update(self, **values: Any) -> None:
        """Merge values into the cache and save it (None removes a key)."""
        with self._lock:
            data = dict(self.state())
            for key, value in values.items():
                if value is None:
                    data.pop(key, None)
                else:
                    data[key] = value
            data.update(user_pool_id=self.user_pool_id, client_id=self.client_id)
            self.cache.save(data)
            self._data = data

    @property
    def last_username(self) -> str | None:
        state = self.state()
        return state.get("username") or state.get("last_username")

    @property
    def logged_in(self) -> bool:
        return bool(self.state().get("refresh_token"))

    # -- account operations ---------------------------------------------------

    def sign_up(self, username: str, email: str, password: str) -> tuple[bool, Delivery | None]:
        """Register; returns (already confirmed, where the code went)."""
        cognito = self._cognito()
        cognito.set_base_attributes(email=email)
        with cognito_errors("sign-up"):
            response = cognito.register(username, password)
        self.update(last_username=username)
        return bool(response.get("UserConfirmed")), Delivery.from_response(response)

    def confirm_sign_up(self, username: str, code: str) -> None:
        with cognito_errors("confirmation"):
            self._cognito().confirm_sign_up(code, username=username)
        self.update(last_username=username)

    def resend_code(self, username: str) -> Delivery | None:
        params = {"ClientId": self.client_id, "Username": username}
        with cognito_errors("resending the code"):
            response = self._cognito().client.resend_confirmation_code(**params)
        return Delivery.from_response(response)

    def forgot_password(self, username: str) -> Delivery | None:
        params = {"ClientId": self.client_id, "Username": username}
        with cognito_errors("password reset"):
            response = self._cognito().client.forgot_password(**params)
        self.update(last_username=username)
        return Delivery.from_response(response)

    def reset_password(self, username: str, code: str, new_password: str) -> None:
        with cognito_errors("password reset"):
            self._cognito(username).confirm_forgot_password(code, new_password)

    def login(
        self,
        username: str,
        password: str,
        *,
        new_password: NewPasswordPrompt,
        mfa_code: MfaPrompt,
    ) -> dict[str, Any]:
        """SRP login, answering the challenges Cognito may pose; returns the ID claims."""
        cognito = self._cognito(username)
        with cognito_errors("login"):
            try:
                cognito.authenticate(password)
            except ForceChangePasswordException:
                _complete(lambda: cognito.new_password_challenge(password, new_password()))
            except SoftwareTokenMFAChallengeException:
                _complete(lambda: cognito.respond_to_software_token_mfa_challenge(mfa_code("TOTP")))
            except SMSMFAChallengeException:
                _complete(lambda: cognito.respond_to_sms_mfa_challenge(mfa_code("SMS")))
            except (KeyError, NotImplementedError):
                raise _unsupported_challenge() from None
        claims = cognito.id_claims or {}
        name = str(claims.get("cognito:username") or username)
        state = self.state()
        keep_identity = state.get("username") == name
        self.update(
            username=name,
            last_username=name,
            id_token=cognito.id_token,
            access_token=cognito.access_token,
            refresh_token=cognito.refresh_token,
            identity_id=state.get("identity_id") if keep_identity else None,
            credentials=state.get("credentials") if keep_identity else None,
        )
        return claims

    def logout(self, *, everywhere: bool = False) -> bool:
        """Forget the session; with `everywhere`, also revoke every refresh token of the
        user (Cognito GlobalSignOut). Returns whether there was a session."""
        state = self.state()
        try:
            if everywhere and state.get("refresh_token"):
                access_token = self.tokens()["access_token"]
                with cognito_errors("sign-out"):
                    self._cognito().client.global_sign_out(AccessToken=access_token)
        finally:  # the local session goes even when signing out elsewhere failed
            self.cache.clear()
            with self._lock:
                self._data = {}
            if state.get("username"):  # remembered for the next login prompt
                self.update(last_username=state["username"])
        return bool(state.get("refresh_token"))

    # -- tokens ---------------------------------------------------------------

    def tokens(self) -> dict[str, str]:
        """Valid tokens (renewed when about to expire), or AuthError."""
        with self._lock:
            state = self.state()
            if not state.get("refresh_token"):
                raise AuthError(f"not logged in on profile {self.profile.name!r}", hint=LOGIN_HINT)
            expires = min(
                float(token_claims(state.get(name) or "").get("exp") or 0)
                for name in ("id_token", "access_token")
            )
            if expires - time.time() <= REFRESH_MARGIN_S:
                self._refresh(state)
                state = self.state()
            return {k: state[k] for k in ("id_token", "access_token", "refresh_token")}

    def id_token(self) -> str:
        return self.tokens()["id_token"]

    @property
    def username(self) -> str:
        """The `cognito:username` the backend keys everything on."""
        self.tokens()
        return str(self.state()["username"])

    def _refresh(self, state: dict[str, Any]) -> None:
        cognito = self._cognito(
            state.get("username"),
            id_token=state.get("id_token"),
            access_token=state.get("access_token"),
            refresh_token=state["refresh_token"],
        )
        with cognito_errors("session renewal"):
            try:
                cognito.renew_access_token()
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NotAuthorizedException":
                    raise  # throttling, network...: the session may still be good
                # The refresh token expired or was revoked: the session is over.
                self.update(id_token=None, access_token=None, refresh_token=None, credentials=None)
                raise AuthError("session expired", hint=LOGIN_HINT) from None
        self.update(
            id_token=cognito.id_token,
            access_token=cognito.access_token,
            refresh_token=cognito.refresh_token or state["refresh_token"],
        )


def _complete(step: Callable[[], None]) -> None:
    """Answer a login challenge; Cognito may pose another one docscan cannot answer."""
    try:
        step()
    except (KeyError, NotImplementedError):
        raise _unsupported_challenge() from None


def _unsupported_challenge() -> DocscanError:
    return AuthError(
        "login needs a step docscan cannot do (such as setting up MFA)",
        hint="finish it once in the web app, then run 'docscan login' again",
    )
