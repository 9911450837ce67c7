"""`docscan config ...`: show, set and import profile settings.

Profiles hold no secrets (tokens live in the per-profile session cache), so `show`
prints every setting as it is.
"""

from __future__ import annotations

from pathlib import Path

import typer

from docscan import config
from docscan.cli.state import AppState, get_state
from docscan.errors import BadInputError, ConfigError

app = typer.Typer(help="Show and change profiles.", no_args_is_help=True)

# The profile `config import` writes to when the active profile is `local`.
DEFAULT_AWS_PROFILE = "aws"


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Show the active profile's settings and docscan's paths."""
    state = get_state(ctx)
    profile = state.profile
    data = {
        "profile": profile.name,
        "kind": profile.kind,
        "settings": dict(sorted(profile.settings.items())),
        "missing": _missing(profile),
        "config_file": str(config.config_file()),
        "data_dir": str(config.data_dir()),
        "profiles": config.profile_names(),
    }
    if state.json:
        state.emit_json(data)
        return
    state.out.print(f"profile:     {profile.name} ({profile.kind})", highlight=False)
    for key, value in data["settings"].items():  # type: ignore[attr-defined]
        state.out.print(f"  {key} = {value}", highlight=False)
    if data["missing"]:
        state.out.print(f"  missing: {', '.join(data['missing'])}", highlight=False)
    state.out.print(f"config file: {data['config_file']}", highlight=False)
    state.out.print(f"data dir:    {data['data_dir']}", highlight=False)
    state.out.print(f"profiles:    {', '.join(config.profile_names())}", highlight=False)


def _missing(profile: config.Profile) -> list[str]:
    from docscan.backends.aws.settings import missing

    return missing(profile) if profile.kind == config.AWS_KIND else []


def _check_aws(state: AppState, name: str, key: str) -> None:
    if key != "project" and config.load_profile(name).kind == config.LOCAL_KIND:
        raise ConfigError(
            f"profile {name!r} is the local profile and has no AWS settings",
            hint="pass --profile NAME for an AWS profile",
        )


@app.command("set")
def set_(
    ctx: typer.Context,
    key: str = typer.Argument(
        ..., metavar="KEY", help="Setting: region, user_pool_id, client_id, ..."
    ),
    value: str = typer.Argument(..., metavar="VALUE", help="Its value."),
) -> None:
    """Set one setting of the active profile (checked before it is saved).

    Keys: region, user_pool_id, client_id, identity_pool_id, api_url, bucket,
    bucket_region, upload_concurrency, project.
    """
    from docscan.backends.aws.settings import validate

    state = get_state(ctx)
    stored = validate(key, value)
    _check_aws(state, state.profile_name, key)
    config.update_profile(state.profile_name, {key: stored})
    if state.json:
        state.emit_json({"profile": state.profile_name, key: stored})
    else:
        state.info(f"{state.profile_name}: {key} = {stored}")


@app.command("unset")
def unset(
    ctx: typer.Context, key: str = typer.Argument(..., metavar="KEY", help="Setting to remove.")
) -> None:
    """Remove one setting from the active profile."""
    from docscan.backends.aws.settings import SETTINGS

    state = get_state(ctx)
    if key not in SETTINGS:
        raise BadInputError(f"unknown setting {key!r}: use one of {', '.join(SETTINGS)}")
    config.update_profile(state.profile_name, {key: None})
    state.info(f"{state.profile_name}: {key} removed")


@app.command("import")
def import_(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(
        ...,
        metavar="FILE",
        help="aws-exports.js, api-config.js and/or stack outputs (JSON), in any mix.",
    ),
    profile: str | None = typer.Option(
        None,
        "--profile",
        help=(
            "Profile to write (default: the active profile, or 'aws' when the active "
            "profile is 'local')."
        ),
    ),
) -> None:
    """Read an AWS profile's settings from the files the published backend's users have:
    Amplify's aws-exports.js, the sample's api-config.js, SAM/CloudFormation outputs."""
    from docscan.backends.aws.settings import read_settings_file

    state = get_state(ctx)
    target = profile or (
        DEFAULT_AWS_PROFILE if state.profile_name == config.DEFAULT_PROFILE else state.profile_name
    )
    _check_aws(state, target, "region")
    found: dict[str, str] = {}
    for path in files:
        for key, value in read_settings_file(path).items():
            if key in found and found[key] != value:
                state.warn(f"{path} sets {key} = {value} (was {found[key]} in an earlier file)")
            found[key] = value
    result = config.update_profile(target, dict(found))
    missing = _missing(result)
    if state.json:
        state.emit_json({"profile": target, "imported": found, "missing": missing})
        return
    for key, value in found.items():
        state.info(f"{target}: {key} = {value}")
    if missing:
        state.warn(
            f"profile {target!r} still lacks {', '.join(missing)}: "
            f"'docscan --profile {target} config set KEY VALUE' or import another file"
        )
    if target != state.profile_name:
        state.info(f"use it with 'docscan --profile {target} ...' or DOCSCAN_PROFILE={target}")
