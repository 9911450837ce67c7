"""The `docscan` command: global options, the command tree, and the one place errors
become exit codes."""

from __future__ import annotations

import sys
import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from docscan import __version__, config
from docscan.cli.state import AppState
from docscan.errors import DocscanError, ExitCode


class DocscanGroup(TyperGroup):
    """Runs the whole command chain and maps every error to its exit code."""

    # Typer types this with its vendored Click context, which typer.Context extends.
    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except DocscanError as exc:
            _report(ctx, str(exc), exc.hint)
            ctx.exit(int(exc.exit_code))
        except (KeyboardInterrupt, typer.Abort):
            _report(ctx, "interrupted; everything stored so far is kept")
            ctx.exit(int(ExitCode.INTERRUPTED))
        finally:
            state = ctx.obj
            if isinstance(state, AppState):
                state.close()


def _report(ctx: typer.Context, message: str, hint: str | None = None) -> None:
    state = ctx.obj if isinstance(ctx.obj, AppState) else None
    if state is not None and state.verbose and sys.exc_info()[0] is not None:
        traceback.print_exc()
    line = f"error: {message}"
    if hint:
        line += f" ({hint})"
    typer.echo(line, err=True)


app = typer.Typer(
    cls=DocscanGroup,
    name="docscan",
    help="Turn page images into text and searchable PDFs, offline or on AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"docscan {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: str = typer.Option(
        config.DEFAULT_PROFILE, "--profile", envvar="DOCSCAN_PROFILE", help="Profile to use."
    ),
    json_output: bool = typer.Option(
        False, "--json", help="Machine-readable output on stdout, nothing else there."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors on stderr."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Tracebacks and details."),
    project: str | None = typer.Option(
        None, "--project", "-p", envvar="DOCSCAN_PROJECT", help="Project to work on."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    ctx.obj = AppState(
        profile_name=profile,
        json=json_output,
        quiet=quiet,
        verbose=verbose,
        project_override=project,
    )


def _register() -> None:
    from docscan.cli import auth, config_cmd, pages, projects

    app.add_typer(projects.app, name="project")
    app.add_typer(config_cmd.app, name="config")
    pages.register(app)
    auth.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point; usage errors and --help are handled by Typer."""
    app(args=argv, prog_name="docscan")
