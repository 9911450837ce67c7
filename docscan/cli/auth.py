"""Identity commands. The local profile needs no account; AWS profiles use Cognito."""

from __future__ import annotations

import typer

from docscan import config
from docscan.cli.state import AppState, get_state
from docscan.errors import ConfigError


def _local_noop(state: AppState, what: str) -> bool:
    if state.profile.kind != config.LOCAL_KIND:
        return False
    if state.json:
        state.emit_json({"profile": state.profile_name, "kind": "local", "message": what})
    else:
        state.info(what)
    return True


def login(ctx: typer.Context) -> None:
    """Log in (AWS profiles); the local profile needs no login."""
    state = get_state(ctx)
    if not _local_noop(state, "the local profile needs no login"):
        raise ConfigError("AWS login is not available in this build")


def logout(ctx: typer.Context) -> None:
    """Forget cached tokens (AWS profiles)."""
    state = get_state(ctx)
    if not _local_noop(state, "the local profile needs no login, so there is nothing to forget"):
        raise ConfigError("AWS logout is not available in this build")


def whoami(ctx: typer.Context) -> None:
    """Show who docscan acts as."""
    state = get_state(ctx)
    if not _local_noop(state, "local user (profile 'local', no account needed)"):
        raise ConfigError("AWS identity is not available in this build")


def register(app: typer.Typer) -> None:
    app.command()(login)
    app.command()(logout)
    app.command()(whoami)
