"""Progress bars on stderr, shown only to a person at a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from docscan.cli.state import AppState


class Bar:
    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._progress = progress
        self._task = task

    def advance(self, note: str | None = None) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, note=note or "")


@contextmanager
def progress_bar(state: AppState, description: str, total: int) -> Iterator[Bar]:
    if not state.show_progress or total <= 0:
        yield Bar(None, None)
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
    )
    with Progress(*columns, console=state.err, transient=False) as progress:
        task = progress.add_task(description, total=total, note="")
        yield Bar(progress, task)
