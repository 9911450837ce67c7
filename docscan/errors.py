"""Every error a user can meet, each carrying its exit code.

The CLI catches `DocscanError` in one place and prints `str(error)` as a single line;
anything else is a bug and is shown as such.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # a bug or an unexpected failure
    USAGE = 2  # bad command line (Typer/Click uses 2 as well)
    NOT_FOUND = 3  # project, page or file that does not exist
    BAD_INPUT = 4  # an input we cannot use: not an image, corrupt, too large, bad name
    BACKEND = 5  # the backend or the network failed
    AUTH = 6  # not logged in, wrong password, expired session, forbidden
    CONFIG = 7  # a profile setting is missing or invalid
    TIMEOUT = 8  # waited for OCR and it did not finish
    INTERRUPTED = 130  # Ctrl-C


class DocscanError(Exception):
    """Base class: a one-line message and an exit code."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(DocscanError):
    exit_code = ExitCode.USAGE


class NotFoundError(DocscanError):
    exit_code = ExitCode.NOT_FOUND


class BadInputError(DocscanError):
    exit_code = ExitCode.BAD_INPUT


class BackendError(DocscanError):
    exit_code = ExitCode.BACKEND


class AuthError(DocscanError):
    exit_code = ExitCode.AUTH


class ConfigError(DocscanError):
    exit_code = ExitCode.CONFIG


class WaitTimeoutError(DocscanError):
    exit_code = ExitCode.TIMEOUT


class OcrError(DocscanError):
    """The OCR engine failed on one page; the page stays stored and is marked failed."""

    exit_code = ExitCode.BACKEND
