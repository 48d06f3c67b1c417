"""What a handler raises to tell the person what to fix; the dispatcher shows it as is.

Its own module, below the router, the context and the forms engine, so each
of them (and every flow) can raise these without importing the others.
"""

from __future__ import annotations

__all__ = ["FormErrors", "UsageError", "UserError"]


class UserError(Exception):
    """Something the person must fix; the message is shown to them as is."""


class UsageError(UserError):
    """Malformed arguments to a command; shown with the command's usage."""


class FormErrors(UserError):
    """Field-by-field problems with a submitted form (shown beside each field)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
