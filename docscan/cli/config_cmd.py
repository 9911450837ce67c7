"""`docscan config ...`: show the active profile and where docscan keeps things."""

from __future__ import annotations

import typer

from docscan import config
from docscan.cli.state import get_state

app = typer.Typer(help="Show and change profiles.", no_args_is_help=True)


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Show the active profile's settings and docscan's paths."""
    state = get_state(ctx)
    profile = state.profile
    data = {
        "profile": profile.name,
        "kind": profile.kind,
        "settings": dict(sorted(profile.settings.items())),
        "config_file": str(config.config_file()),
        "data_dir": str(config.data_dir()),
        "profiles": config.profile_names(),
    }
    if state.json:
        state.emit_json(data)
        return
    state.out.print(f"profile:     {profile.name} ({profile.kind})")
    for key, value in data["settings"].items():  # type: ignore[attr-defined]
        state.out.print(f"  {key} = {value}")
    state.out.print(f"config file: {data['config_file']}")
    state.out.print(f"data dir:    {data['data_dir']}")
    state.out.print(f"profiles:    {', '.join(config.profile_names())}")
