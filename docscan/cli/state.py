"""What every command shares: the chosen profile, output mode, consoles and backend."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from docscan import config
from docscan.errors import UsageError

if TYPE_CHECKING:
    from docscan.backends.base import Backend


@dataclass
class AppState:
    profile_name: str = config.DEFAULT_PROFILE
    json: bool = False
    quiet: bool = False
    verbose: bool = False
    project_override: str | None = None
    out: Console = field(default_factory=lambda: Console(soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True, soft_wrap=True))
    _backend: Backend | None = None

    @property
    def profile(self) -> config.Profile:
        return config.load_profile(self.profile_name)

    def backend(self) -> Backend:
        """Built on first use, so commands that need none stay fast."""
        if self._backend is None:
            profile = self.profile
            if profile.kind == config.LOCAL_KIND:
                from docscan.backends.local import LocalBackend

                self._backend = LocalBackend(profile)
            else:
                from docscan.backends.aws import AwsBackend

                self._backend = AwsBackend(profile)
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def project(self, option: str | None = None) -> str:
        """The project a command works on: option, env/global option, then current."""
        name = option or self.project_override or self.profile.get("project")
        if not name:
            raise UsageError(
                "no project selected: pass --project NAME, or run 'docscan project use NAME'"
            )
        return name

    # -- output -------------------------------------------------------------------

    @property
    def show_progress(self) -> bool:
        return not self.quiet and not self.json and self.err.is_terminal

    def info(self, message: str) -> None:
        """A human message on stderr (never on stdout, which carries results)."""
        if not self.quiet and not self.json:
            self.err.print(message, highlight=False)

    def warn(self, message: str) -> None:
        if not self.json:
            self.err.print(f"[yellow]warning:[/] {message}", highlight=False)

    def emit_json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        sys.stdout.flush()


def get_state(ctx: typer.Context) -> AppState:
    """The AppState the root command stored."""
    state = ctx.find_root().obj
    if not isinstance(state, AppState):  # only when a command is invoked without the root
        state = ctx.find_root().obj = AppState()
    return state
