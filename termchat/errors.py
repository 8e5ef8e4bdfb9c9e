"""The error hierarchy, and the one place that maps it to exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class TermchatError(Exception):
    """Base for every error termchat reports to the user as one line."""

    exit_code = EXIT_API

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = self.message if not self.hint else f"{self.message} ({self.hint})"
        return " ".join(text.split())


class ApiError(TermchatError):
    """The server or the network failed a request."""

    exit_code = EXIT_API

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.retry_after = retry_after


class NotSupportedError(ApiError):
    """The server does not offer an endpoint (e.g. 404 on /v1/conversations)."""


class ConfigError(TermchatError):
    """The config file, a flag or an environment variable is wrong."""

    exit_code = EXIT_USAGE


class BaseUrlError(ConfigError):
    """The base URL misses the API's path: the server answers under `<url>/v1` instead."""


class UsageError(TermchatError):
    """The command line asks for something that cannot be done."""

    exit_code = EXIT_USAGE


class StoreError(TermchatError):
    """The local database cannot be opened, read or written."""

    exit_code = EXIT_API


class NotFoundError(UsageError):
    """An id names no conversation or job, locally or on the server."""
