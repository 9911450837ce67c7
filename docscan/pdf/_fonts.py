"""The bundled font used for every text we put in a PDF."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path

FONT_FAMILY = "DejaVuSans"
_FONT_RESOURCE = "fonts/DejaVuSans.ttf"


@contextmanager
def font_file() -> Iterator[Path]:
    """Path of the bundled DejaVu Sans (extracted to a temporary file if the package is zipped)."""
    with as_file(files(__package__).joinpath(_FONT_RESOURCE)) as path:
        yield Path(path)
