"""Rendering helpers shared by commands."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.table import Table

from docscan.models import Page, Project


def when(created_ms: int | None) -> str:
    if created_ms is None:
        return "-"
    return datetime.fromtimestamp(created_ms / 1000, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def projects_table(projects: list[Project], current: str | None) -> Table:
    table = Table(box=None, pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("PROJECT", overflow="fold")
    table.add_column("PAGES", justify="right", no_wrap=True)
    table.add_column("CREATED", no_wrap=True)
    for project in projects:
        pages = "-" if project.page_count is None else str(project.page_count)
        if project.pages_pending:
            pages += f" ({project.pages_pending} pending)"
        if project.pages_failed:
            pages += f" ({project.pages_failed} failed)"
        marker = "*" if project.name == current else ""
        table.add_row(marker, project.name, pages, when(project.created_ms))
    return table


def pages_table(pages: list[Page]) -> Table:
    table = Table(box=None, pad_edge=False)
    table.add_column("PAGE", justify="right", no_wrap=True, min_width=4)
    table.add_column("STATUS", no_wrap=True, min_width=7)
    table.add_column("LINES", justify="right", no_wrap=True, min_width=5)
    table.add_column("SIZE", no_wrap=True, min_width=9)
    table.add_column("FIRST LINE / ERROR", overflow="ellipsis", no_wrap=True, ratio=1)
    for page in pages:
        first = page.error or (page.text.splitlines()[0] if page.text.strip() else "")
        size = f"{page.width}x{page.height}" if page.width else "-"
        table.add_row(str(page.number), str(page.status), str(len(page.lines)), size, first)
    return table
