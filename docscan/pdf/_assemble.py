"""Assemble a PDF from small PDFs ("parts") without holding them in memory.

The writers render a few pages at a time into a part file in a private work directory.
A document of one part is that file, renamed. Otherwise the parts are concatenated with
qpdf's page selection (a `pikepdf.Job`, the in-process `qpdf --empty --pages ...`), which
copies stream data lazily from the source files while writing: page images go from file
to file and are never all in memory. (Copying pages with `Pdf.pages.extend` would not do:
pikepdf copies foreign stream data into memory at once.)

qpdf still keeps every object dictionary of the document in memory while writing, a few
kilobytes per page, and keeps its source files open, so parts are merged `MERGE_BATCH` at
a time: every `MERGE_BATCH` parts of one level become one part of the next level.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from docscan.errors import BadInputError, NotFoundError

if TYPE_CHECKING:
    import pikepdf

MERGE_BATCH = 100  # source files open at once while merging
FPDF_SUBSET_PREFIX = "/MPDFAA+"  # fpdf2 gives every font subset this same tag


class PartAssembler:
    """Receives parts in page order and assembles them into one document."""

    def __init__(self, temp_parent: Path | None = None) -> None:
        self._temp_parent = temp_parent
        self._workdir: Path | None = None
        self._levels: list[list[Path]] = []
        self._serial = 0
        self._tags = 0

    @property
    def empty(self) -> bool:
        return not any(self._levels)

    @contextmanager
    def part(self) -> Iterator[Path]:
        """A path to write the next part to; it joins the document when the block ends."""
        try:
            path = self._new_path()
            yield path
            self._push(0, path)
        except OSError as exc:
            where = self._workdir or self._temp_parent or tempfile.gettempdir()
            raise BadInputError(
                f"cannot write temporary files in {where}: {exc.strerror or exc}"
            ) from exc

    def subset_tag(self) -> str | None:
        """A font subset tag unique in this document for the next part (None for the first).

        fpdf2 tags every subset it embeds MPDFAA; subsets that differ must not share a
        tag in one file, or a viewer may draw glyphs from the wrong one.
        """
        if self.empty:
            return None
        number, self._tags = self._tags, self._tags + 1
        letters = ""
        for _ in range(5):
            number, digit = divmod(number, 26)
            letters = chr(ord("A") + digit) + letters
        return "D" + letters

    def finish(self) -> Path:
        """The complete document: a file in the work directory, which close() removes."""
        parts = [path for level in reversed(self._levels) for path in level]
        if not parts:
            raise ValueError("no parts to assemble")
        while len(parts) > 1:
            parts = [self._merge_to_file(batch) for batch in _batches(parts, MERGE_BATCH)]
        return parts[0]

    def close(self) -> None:
        self._levels = []
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> PartAssembler:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _new_path(self) -> Path:
        if self._workdir is None:
            self._workdir = Path(
                tempfile.mkdtemp(prefix=".docscan-pdf-", suffix=".tmp", dir=self._temp_parent)
            )
        self._serial += 1
        return self._workdir / f"part-{self._serial:07d}.pdf"

    def _push(self, level: int, path: Path) -> None:
        if len(self._levels) <= level:
            self._levels.append([])
        self._levels[level].append(path)
        if len(self._levels[level]) >= MERGE_BATCH:
            merged = self._merge_to_file(self._levels[level])
            self._levels[level] = []
            self._push(level + 1, merged)

    def _merge_to_file(self, parts: list[Path]) -> Path:
        if len(parts) == 1:
            return parts[0]
        target = self._new_path()
        _merge(parts, target)
        for part in parts:
            part.unlink()
        return target


def _batches(items: list[Path], size: int) -> Iterator[list[Path]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _merge(parts: list[Path], target: Path) -> None:
    import pikepdf

    job = pikepdf.Job(
        {
            "empty": "",
            "pages": [{"file": str(part.resolve())} for part in parts],
            "outputFile": str(target.resolve()),
            "objectStreams": "generate",
            "minVersion": "1.5",
            "removeUnreferencedResources": "no",
        }
    )
    job.run()
    if job.exit_code == pikepdf.Job.EXIT_ERROR:  # pragma: no cover - run() raises first
        raise OSError(f"qpdf could not merge the pages of {target.name}")


def retag_subsets(pdf: pikepdf.Pdf, tag: str) -> None:
    """Replace fpdf2's subset tag with `tag` in every font of `pdf`'s pages."""
    import pikepdf

    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        resources = page.obj.get("/Resources")
        fonts = resources.get("/Font") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(fonts, pikepdf.Dictionary):
            continue
        for _, font in fonts.items():
            if font.objgen in seen or not str(font.get("/BaseFont", "")).startswith(
                FPDF_SUBSET_PREFIX
            ):
                continue
            seen.add(font.objgen)
            name = pikepdf.Name(f"/{tag}+{str(font.BaseFont)[len(FPDF_SUBSET_PREFIX) :]}")
            font.BaseFont = name
            for descendant in font.get("/DescendantFonts", pikepdf.Array()):
                descendant.BaseFont = name
                descriptor = descendant.get("/FontDescriptor")
                if descriptor is not None:
                    descriptor.FontName = name


def write_atomically(out: Path, produce: Callable[[PartAssembler], int]) -> int:
    """Run `produce` (which adds parts and returns a page count) and write the result to `out`.

    Everything is written in a temporary directory inside `out`'s directory (so on the
    same file system) and the finished file renamed over `out`; on any error, including
    one raised by `produce`, the temporary files are removed and an existing `out` is
    left untouched.
    """
    out = Path(out)
    directory = out.parent
    if not directory.is_dir():
        raise NotFoundError(f"output directory does not exist: {directory}")
    if out.is_dir():
        raise BadInputError(f"cannot write the PDF to {out}: it is a directory")
    with PartAssembler(temp_parent=directory) as parts:
        count = produce(parts)
        if count == 0:
            raise BadInputError("no pages to write")
        try:
            os.replace(parts.finish(), out)
        except OSError as exc:
            raise BadInputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return count


def assemble_bytes(produce: Callable[[PartAssembler], int]) -> bytes:
    """Like write_atomically, into memory (the parts go to the system temp directory)."""
    with PartAssembler() as parts:
        count = produce(parts)
        if count == 0:
            raise BadInputError("no pages to write")
        try:
            return parts.finish().read_bytes()
        except OSError as exc:
            raise BadInputError(f"cannot assemble the PDF: {exc.strerror or exc}") from exc
