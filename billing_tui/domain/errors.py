"""Domain errors: each message is one line a billing rep can read and act on.

Services raise these; screens show ``str(error)`` as is, so messages name the record or
the input at fault and what to do next, never a stack trace or an internal id.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a rep may see; ``str(e)`` is the message to show."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(DomainError):
    """Bad input; ``field`` names the form field to focus, when there is one."""

    def __init__(self, message: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MoneyParseError(ValidationError):
    """An amount that does not parse; the message quotes what was typed."""


class ConflictError(DomainError):
    """Optimistic-lock failure: the record changed under the rep since it was opened."""

    def __init__(self, record: str, detail: str = "") -> None:
        message = f"{record} was changed by someone else since you opened it; reload and try again."
        if detail:
            message = f"{message} ({detail})"
        super().__init__(message)
        self.record = record
        self.detail = detail


class NotFoundError(DomainError):
    """The record asked for does not exist (or is not visible to this user)."""


class PermissionDenied(DomainError):
    """The user's role or approval limit does not allow the action."""


class AuthError(DomainError):
    """Login failed or the session is no longer valid."""


class IllegalTransition(DomainError):
    """A claim status change the status machine does not allow."""


class DuplicateError(ValidationError):
    """The thing was already done (a trace number used, a file imported); nothing was written."""
