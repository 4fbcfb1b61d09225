"""Errors the domain raises, each carrying the HTTP status it stands for.

The web answers a DomainError with its `status`, its message and its `problems`; the
CLI prints the message and exits non-zero. The status lives on the class, so renaming
or adding an error cannot change how it is answered. Anything that escapes and is not
a DomainError (or pydantic's ValidationError) is a bug: the web answers 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DomainError(ValueError):
    """A request the domain refuses; str() says why, `problems` says where and what."""

    status = 400

    def __init__(self, message: str = "", problems: Sequence[Any] = ()):
        super().__init__(message)
        # (where, what) pairs; an import's problems also carry a line and a column.
        self.problems = list(problems)

    def headers(self) -> dict[str, str]:
        """Return the HTTP headers the answer needs besides the status (none by default)."""
        return {}


class Invalid(DomainError):
    """Input that breaks a rule: the plan, a row, a field (422)."""

    status = 422


class Forbidden(DomainError):
    """A change this person may not make, whatever their role (403)."""

    status = 403


class NotFound(DomainError, LookupError):
    """No such object: no pilot, hypothesis, token... (404)."""

    status = 404


class Conflict(DomainError):
    """A change the object's current state refuses (409)."""

    status = 409
