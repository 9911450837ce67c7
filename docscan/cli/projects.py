"""`docscan project ...`: create, list, use, show, delete."""

from __future__ import annotations

import typer

from docscan import config
from docscan.cli.output import pages_table, projects_table
from docscan.cli.state import get_state
from docscan.errors import UsageError

app = typer.Typer(help="Create, list, select and delete projects.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME", help="Project name.")
) -> None:
    """Create a project and make it the current one."""
    state = get_state(ctx)
    project = state.backend().create_project(name)
    config.update_profile(state.profile_name, {"project": project.name})
    if state.json:
        state.emit_json(project.to_dict())
    else:
        state.info(f"created project [bold]{project.name}[/] (now the current project)")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List projects; the current one is marked with *."""
    state = get_state(ctx)
    projects = state.backend().list_projects()
    current = state.profile.get("project")
    if state.json:
        state.emit_json([p.to_dict() | {"current": p.name == current} for p in projects])
    elif not projects:
        state.info("no projects yet: 'docscan project create NAME' or 'docscan scan'")
    else:
        state.out.print(projects_table(projects, current))


@app.command("use")
def use(
    ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME", help="Project name.")
) -> None:
    """Make an existing project the current one."""
    state = get_state(ctx)
    project = state.backend().get_project(name)
    config.update_profile(state.profile_name, {"project": project.name})
    if state.json:
        state.emit_json(project.to_dict() | {"current": True})
    else:
        state.info(f"current project: [bold]{project.name}[/]")


@app.command("show")
def show(
    ctx: typer.Context,
    name: str | None = typer.Argument(
        None, metavar="[NAME]", help="Project name (default: current)."
    ),
) -> None:
    """Show a project and its pages."""
    state = get_state(ctx)
    backend = state.backend()
    project = backend.get_project(state.project(name))
    pages = backend.pages(project.name)
    if state.json:
        state.emit_json(
            project.to_dict() | {"pages": [p.to_dict() | {"lines": len(p.lines)} for p in pages]}
        )
        return
    state.out.print(projects_table([project], None))
    if pages:
        state.out.print()
        state.out.print(pages_table(pages))


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Project name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a project with all its pages and text."""
    state = get_state(ctx)
    backend = state.backend()
    project = backend.get_project(name)
    if not yes:
        pages = "" if project.page_count is None else f" and its {project.page_count} page(s)"
        try:
            confirmed = typer.confirm(f"Delete project {name!r}{pages}?", err=True)
        except typer.Abort:  # no answer (end of input)
            confirmed = False
        if not confirmed:
            raise UsageError(f"project {name!r} was not deleted (pass --yes to skip the question)")
    backend.delete_project(name)
    if state.profile.get("project") == name:
        config.update_profile(state.profile_name, {"project": None})
    if state.json:
        state.emit_json({"deleted": name})
    else:
        state.info(f"deleted project [bold]{name}[/]")
