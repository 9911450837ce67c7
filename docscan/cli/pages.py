"""Page commands: upload, pages, wait, text, pdf, and the one-shot `scan`."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from docscan.cli.output import pages_table
from docscan.cli.progress import progress_bar
from docscan.cli.state import AppState, get_state
from docscan.errors import BadInputError, NotFoundError, UsageError
from docscan.models import Page, PageStatus, page_ranges

if TYPE_CHECKING:
    from docscan.images import PreparedPage

PROJECT_OPTION = typer.Option(
    None, "--project", "-p", envvar="DOCSCAN_PROJECT", help="Project (default: current)."
)


def _prepare(paths: list[Path]) -> list[PreparedPage]:
    from docscan.images import prepare_all  # Pillow plugins load on first use

    return prepare_all(paths)


def _store(state: AppState, project: str, paths: list[Path], replace: int | None) -> list[int]:
    """Validate every input, then store them all; nothing is stored if any input is bad."""
    prepared = _prepare(paths)
    with progress_bar(state, "storing", len(prepared)) as bar:
        numbers = state.backend().upload(
            project, prepared, replace=replace, on_stored=lambda n: bar.advance(f"page {n}")
        )
    return numbers


def _process(
    state: AppState,
    project: str,
    numbers: list[int] | None = None,
    *,
    retry_failed: bool = False,
    timeout: float | None = None,
) -> list[Page]:
    backend = state.backend()
    if numbers is None:
        todo = [
            p
            for p in backend.pages(project)
            if p.status is PageStatus.PENDING or (retry_failed and p.status is PageStatus.FAILED)
        ]
        total = len(todo)
        if backend.kind != "local":  # wait for exactly the pages still pending
            numbers = [p.number for p in todo]
    else:
        total = len(numbers)
    if total == 0:
        return []
    verb = "reading" if backend.kind == "local" else "waiting for OCR"
    with progress_bar(state, verb, total) as bar:
        pages = backend.process(
            project,
            numbers,
            retry_failed=retry_failed,
            timeout=timeout,
            on_page=lambda page: bar.advance(f"page {page.number} {page.status}"),
        )
    for page in pages:
        if page.status is PageStatus.FAILED:
            state.warn(f"page {page.number} failed OCR: {page.error}")
    return pages


def upload(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(
        None, metavar="IMAGE", help="Page images (PNG, JPEG, TIFF, HEIC, ...)."
    ),
    project: str | None = PROJECT_OPTION,
    page: int | None = typer.Option(None, "--page", min=1, help="Replace page N."),
    retry: bool = typer.Option(False, "--retry", help="Also process pending and failed pages."),
    wait: bool = typer.Option(False, "--wait", help="Wait for OCR to finish (AWS)."),
    no_ocr: bool = typer.Option(False, "--no-ocr", help="Store only; OCR later (local)."),
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds to wait with --wait."),
) -> None:
    """Store page images in a project and run OCR on them."""
    state = get_state(ctx)
    name = state.project(project)
    if not files and not retry:
        raise UsageError("give page images to upload, or --retry to finish pending pages")
    backend = state.backend()
    backend.get_project(name)
    numbers = _store(state, name, list(files), page) if files else []
    if numbers:
        stored = _plural(len(numbers), "page")
        state.info(f"stored {stored} in [bold]{name}[/]: {page_ranges(numbers)}")
    processed: list[Page] = []
    if backend.kind == "local" and not no_ocr:
        processed = _process(state, name, retry_failed=retry)
    elif backend.kind != "local" and (wait or retry):
        processed = _process(state, name, numbers or None, timeout=timeout)
    if state.json:
        state.emit_json(
            {"project": name, "pages": numbers, "processed": [p.to_dict() for p in processed]}
        )


def pages(ctx: typer.Context, project: str | None = PROJECT_OPTION) -> None:
    """List the pages of a project with their OCR status."""
    state = get_state(ctx)
    name = state.project(project)
    result = state.backend().pages(name)
    if state.json:
        state.emit_json([p.to_dict() for p in result])
    elif not result:
        state.info(f"project {name} has no pages yet")
    else:
        state.out.print(pages_table(result))


def wait(
    ctx: typer.Context,
    project: str | None = PROJECT_OPTION,
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds to wait."),
) -> None:
    """Finish OCR of every pending page (locally) or wait for it (AWS)."""
    state = get_state(ctx)
    name = state.project(project)
    processed = _process(state, name, timeout=timeout)
    if state.json:
        state.emit_json({"project": name, "processed": [p.to_dict() for p in processed]})
    else:
        state.info(f"{_plural(len(processed), 'page')} processed")


def text(
    ctx: typer.Context,
    project: str | None = PROJECT_OPTION,
    page: int | None = typer.Option(None, "--page", min=1, help="Only page N."),
) -> None:
    """Print the text of every page, pages separated by a form feed."""
    state = get_state(ctx)
    name = state.project(project)
    backend = state.backend()
    if backend.kind == "local":
        _process(state, name)
    result = backend.pages(name)
    if page is not None:
        result = [p for p in result if p.number == page]
        if not result:
            raise NotFoundError(f"project {name!r} has no page {page}")
    for p in result:
        if p.status is not PageStatus.DONE:
            state.warn(f"page {p.number} is {p.status}" + (f": {p.error}" if p.error else ""))
    if state.json:
        state.emit_json({"project": name, "pages": [p.to_dict() for p in result]})
        return
    out = typer.get_text_stream("stdout")
    out.write("\f".join(p.text for p in result))
    out.flush()


def pdf(
    ctx: typer.Context,
    out: Path = typer.Argument(..., metavar="OUT.pdf", help="Where to write the PDF."),
    project: str | None = PROJECT_OPTION,
    text_only: bool = typer.Option(False, "--text-only", help="Text pages, no images (local)."),
    open_: bool = typer.Option(False, "--open", help="Open the PDF when written."),
) -> None:
    """Save the project's PDF: page images with a searchable text layer.

    On an AWS profile the PDF is the one the backend renders; the published sample
    backend renders text pages only (one per scanned page), with or without --text-only.
    """
    state = get_state(ctx)
    name = state.project(project)
    backend = state.backend()
    if backend.kind == "local":
        _process(state, name)
    _check_output(out)
    count = backend.write_pdf(name, out, text_only=text_only)
    _report_pdf(state, name, out, count, open_)


def scan(
    ctx: typer.Context,
    images: list[Path] = typer.Argument(..., metavar="IMAGE", help="Page images, in page order."),
    output: Path = typer.Option(..., "--output", "-o", help="PDF to write."),
    project: str | None = PROJECT_OPTION,
    text_only: bool = typer.Option(False, "--text-only", help="Text pages, no images."),
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds to wait for OCR (AWS)."),
    open_: bool = typer.Option(False, "--open", help="Open the PDF when written."),
) -> None:
    """The whole pipeline: store, OCR and write the PDF in one command."""
    state = get_state(ctx)
    started = time.monotonic()
    _check_output(output)
    backend = state.backend()
    prepared_check = project or state.project_override
    name = prepared_check or _free_project_name(state, output)
    numbers = _store_new(state, name, list(images))
    pages = _process(state, name, numbers if backend.kind != "local" else None, timeout=timeout)
    count = backend.write_pdf(name, output, text_only=text_only)
    failed = [p.number for p in pages if p.status is PageStatus.FAILED]
    if state.json:
        state.emit_json(
            {
                "project": name,
                "pages": numbers,
                "failed": failed,
                "output": str(output.resolve()),
                "pdf_pages": count,
                "seconds": round(time.monotonic() - started, 3),
            }
        )
        return
    _report_pdf(state, name, output, count, open_)


def _store_new(state: AppState, name: str, images: list[Path]) -> list[int]:
    prepared = _prepare(images)  # validate everything before creating anything
    backend = state.backend()
    backend.create_project(name, exist_ok=True)
    with progress_bar(state, "storing", len(prepared)) as bar:
        return backend.upload(name, prepared, on_stored=lambda n: bar.advance(f"page {n}"))


def _free_project_name(state: AppState, output: Path) -> str:
    """A new project named after the output file, made unique: re-running a scan
    must not append the same pages to the previous run's project."""
    base = re.sub(r"[^A-Za-z0-9._~-]+", "-", output.stem).strip("-.") or "scan"
    existing = {p.name for p in state.backend().list_projects()}
    name, n = base, 2
    while name in existing:
        name, n = f"{base}-{n}", n + 1
    return name


def _check_output(out: Path) -> None:
    if out.is_dir():
        raise BadInputError(f"{out} is a directory; give a file name for the PDF")
    if not out.parent.exists():
        raise NotFoundError(f"directory {out.parent} does not exist")


def _report_pdf(state: AppState, project: str, out: Path, count: int, open_: bool) -> None:
    if state.json:
        state.emit_json({"project": project, "output": str(out.resolve()), "pages": count})
    else:
        state.info(f"wrote {out} ({_plural(count, 'page')} from [bold]{project}[/])")
    if open_:
        typer.launch(str(out))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def register(app: typer.Typer) -> None:
    app.command()(upload)
    app.command()(pages)
    app.command()(wait)
    app.command()(text)
    app.command()(pdf)
    app.command()(scan)
