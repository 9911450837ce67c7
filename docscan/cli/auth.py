"""Identity commands. The local profile needs no account; AWS profiles use Cognito.

Every prompt has an option (`--username`, `--email`, `--mfa-code`) and every secret can
come from standard input (`--password-stdin`, `--new-password-stdin`, one per line, in
that order), so sign-up, confirmation and login can be scripted. Prompts go to stderr.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

from docscan import config
from docscan.cli.state import AppState, get_state
from docscan.errors import AuthError, BadInputError, ConfigError, UsageError

if TYPE_CHECKING:
    from docscan.backends.aws.auth import CognitoAuth, Delivery

USERNAME_OPTION = typer.Option(None, "--username", "-u", help="Cognito username.")
PASSWORD_STDIN_OPTION = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of standard input."
)
NEW_PASSWORD_STDIN_OPTION = typer.Option(
    False,
    "--new-password-stdin",
    help="Read a new password from standard input (after --password-stdin's line).",
)


def _local_noop(state: AppState, what: str) -> bool:
    if state.profile.kind != config.LOCAL_KIND:
        return False
    if state.json:
        state.emit_json({"profile": state.profile_name, "kind": "local", "message": what})
    else:
        state.info(what)
    return True


def _cognito(state: AppState, command: str) -> CognitoAuth:
    """The profile's Cognito user pool; account commands make no sense on `local`."""
    if state.profile.kind == config.LOCAL_KIND:
        raise ConfigError(
            f"'docscan {command}' needs an AWS profile; the local profile has no accounts",
            hint="pass --profile NAME, after 'docscan config import FILE'",
        )
    from docscan.backends.aws.auth import CognitoAuth

    return CognitoAuth(state.profile)


def _stdin_secret(what: str) -> str:
    line = sys.stdin.readline()
    secret = line.rstrip("\r\n")
    if not secret:
        raise BadInputError(f"no {what} on standard input")
    return secret


def _password(from_stdin: bool, prompt: str = "Password", *, confirm: bool = False) -> str:
    if from_stdin:
        return _stdin_secret(prompt.lower())
    value = str(typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True))
    if not value:
        raise BadInputError(f"{prompt.lower()} is empty")
    return value


def _username(auth: CognitoAuth, value: str | None, *, ask: bool) -> str:
    if value:
        return value
    if ask:
        return str(typer.prompt("Username", default=auth.last_username, err=True)).strip()
    if auth.last_username:
        return auth.last_username
    raise UsageError("no username: pass --username NAME")


def _sent(state: AppState, delivery: Delivery | None, then: str) -> None:
    where = f" to {delivery}" if delivery else ""
    state.info(f"a code was sent{where}; {then}")


# -- login / logout / whoami ----------------------------------------------------------


def login(
    ctx: typer.Context,
    username: str | None = USERNAME_OPTION,
    password_stdin: bool = PASSWORD_STDIN_OPTION,
    new_password_stdin: bool = NEW_PASSWORD_STDIN_OPTION,
    mfa_code: str | None = typer.Option(
        None, "--mfa-code", help="Code from the authenticator app or SMS, if asked for one."
    ),
) -> None:
    """Log in (AWS profiles, SRP); the local profile needs no login."""
    state = get_state(ctx)
    if _local_noop(state, "the local profile needs no login"):
        return
    from docscan.backends.aws.auth import NotConfirmedError

    auth = _cognito(state, "login")
    interactive = not password_stdin
    name = _username(auth, username, ask=interactive)
    password = _password(password_stdin)

    def new_password() -> str:
        if new_password_stdin:
            return _stdin_secret("new password")
        if not interactive:
            raise AuthError(
                "Cognito requires a new password for this account",
                hint="log in again with --new-password-stdin, or interactively",
            )
        state.info("Cognito requires a new password for this account.")
        return _password(False, "New password", confirm=True)

    def mfa(kind: str) -> str:
        if mfa_code:
            return mfa_code
        if not interactive:
            raise AuthError(f"login needs a {kind} code", hint="pass --mfa-code CODE")
        source = "your authenticator app" if kind == "TOTP" else "the SMS just sent"
        return str(typer.prompt(f"Code from {source}", err=True)).strip()

    try:
        claims = auth.login(name, password, new_password=new_password, mfa_code=mfa)
    except NotConfirmedError:
        if not (interactive and sys.stdin.isatty()):
            raise
        code = str(
            typer.prompt("Account not confirmed yet. Code from the sign-up message", err=True)
        )
        auth.confirm_sign_up(name, code.strip())
        claims = auth.login(name, password, new_password=new_password, mfa_code=mfa)
    who = str(claims.get("cognito:username") or name)
    if state.json:
        state.emit_json({"profile": state.profile_name, "username": who})
    else:
        state.info(f"logged in as [bold]{who}[/] on profile {state.profile_name}")


def logout(
    ctx: typer.Context,
    everywhere: bool = typer.Option(
        False, "--everywhere", help="Also sign out every other device and app (AWS)."
    ),
) -> None:
    """Forget cached tokens (AWS profiles)."""
    state = get_state(ctx)
    if _local_noop(state, "the local profile needs no login, so there is nothing to forget"):
        return
    had_session = _cognito(state, "logout").logout(everywhere=everywhere)
    message = "logged out" if had_session else "was not logged in"
    if state.json:
        state.emit_json({"profile": state.profile_name, "logged_out": had_session})
    else:
        state.info(f"{message} (profile {state.profile_name})")


def whoami(ctx: typer.Context) -> None:
    """Show who docscan acts as."""
    state = get_state(ctx)
    if _local_noop(state, "local user (profile 'local', no account needed)"):
        return
    from docscan.backends.aws.auth import token_claims

    auth = _cognito(state, "whoami")
    claims = token_claims(auth.tokens()["id_token"])  # renews an expired session
    info: dict[str, Any] = {
        "profile": state.profile_name,
        "username": auth.username,
        "email": claims.get("email"),
        "identity_id": auth.state().get("identity_id"),
        "session_expires": _iso(claims.get("exp")),
    }
    if state.json:
        state.emit_json(info)
        return
    for key, value in info.items():
        state.out.print(f"{key + ':':<17}{value if value is not None else '-'}", highlight=False)


def _iso(epoch: Any) -> str | None:
    if not isinstance(epoch, int | float):
        return None
    return datetime.fromtimestamp(epoch, tz=UTC).astimezone().isoformat(timespec="seconds")


# -- sign-up and confirmation ----------------------------------------------------------


def signup(
    ctx: typer.Context,
    username: str | None = USERNAME_OPTION,
    email: str | None = typer.Option(None, "--email", help="E-mail address for the code."),
    password_stdin: bool = PASSWORD_STDIN_OPTION,
) -> None:
    """Create an account (AWS profiles); a code is sent to confirm it."""
    state = get_state(ctx)
    auth = _cognito(state, "signup")
    name = username or str(typer.prompt("Username", err=True)).strip()
    address = email or str(typer.prompt("E-mail", err=True)).strip()
    if "@" not in address:
        raise BadInputError(f"{address!r} is not an e-mail address")
    password = _password(password_stdin, confirm=True)
    confirmed, delivery = auth.sign_up(name, address, password)
    if state.json:
        state.emit_json(
            {"username": name, "confirmed": confirmed, "code_sent_to": str(delivery or "")}
        )
    elif confirmed:
        state.info(f"account [bold]{name}[/] created; run 'docscan login'")
    else:
        _sent(state, delivery, "run 'docscan confirm CODE', then 'docscan login'")


def confirm(
    ctx: typer.Context,
    code: str | None = typer.Argument(
        None, metavar="CODE", help="The code from the sign-up message."
    ),
    username: str | None = USERNAME_OPTION,
    resend: bool = typer.Option(False, "--resend", help="Send a new code instead."),
) -> None:
    """Confirm a new account with the code sent at sign-up (or --resend it)."""
    state = get_state(ctx)
    auth = _cognito(state, "confirm")
    name = _username(auth, username, ask=False)
    if resend:
        if code:
            raise UsageError("give either a CODE or --resend, not both")
        delivery = auth.resend_code(name)
        if state.json:
            state.emit_json({"username": name, "code_sent_to": str(delivery or "")})
        else:
            _sent(state, delivery, "run 'docscan confirm CODE'")
        return
    if not code:
        raise UsageError("give the CODE from the sign-up message, or --resend for a new one")
    auth.confirm_sign_up(name, code.strip())
    if state.json:
        state.emit_json({"username": name, "confirmed": True})
    else:
        state.info(f"account [bold]{name}[/] confirmed; run 'docscan login'")


# -- forgotten password ----------------------------------------------------------------

password_app = typer.Typer(help="Reset a forgotten password (AWS profiles).", no_args_is_help=True)


@password_app.command("forgot")
def password_forgot(ctx: typer.Context, username: str | None = USERNAME_OPTION) -> None:
    """Send a code to reset the password."""
    state = get_state(ctx)
    auth = _cognito(state, "password forgot")
    name = _username(auth, username, ask=False)
    delivery = auth.forgot_password(name)
    if state.json:
        state.emit_json({"username": name, "code_sent_to": str(delivery or "")})
    else:
        _sent(state, delivery, "run 'docscan password reset --code CODE'")


@password_app.command("reset")
def password_reset(
    ctx: typer.Context,
    code: str = typer.Option(..., "--code", help="The code from 'docscan password forgot'."),
    username: str | None = USERNAME_OPTION,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from standard input."
    ),
) -> None:
    """Choose a new password with the code sent by 'docscan password forgot'."""
    state = get_state(ctx)
    auth = _cognito(state, "password reset")
    name = _username(auth, username, ask=False)
    new_password = _password(password_stdin, "New password", confirm=True)
    auth.reset_password(name, code.strip(), new_password)
    if state.json:
        state.emit_json({"username": name, "password_reset": True})
    else:
        state.info(f"password of [bold]{name}[/] changed; run 'docscan login'")


def register(app: typer.Typer) -> None:
    app.command()(login)
    app.command()(logout)
    app.command()(whoami)
    app.command()(signup)
    app.command()(confirm)
    app.add_typer(password_app, name="password")
