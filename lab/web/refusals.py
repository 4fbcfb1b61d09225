"""Refusals that carry more than a status: 405 with Allow, 413 with the limit.

A busy database (503 with Retry-After) is a DomainError carrying its own headers.

Kept apart from lab.web.errors, which answers every other error: these handlers only add
what their status needs (a header, a message naming the setting) and answer through it.
"""

from __future__ import annotations

from flask import Flask, current_app
from werkzeug.exceptions import MethodNotAllowed, RequestEntityTooLarge

from lab.web.errors import respond


def _method_not_allowed(error: MethodNotAllowed):
    allowed = ", ".join(sorted(error.valid_methods or []))
    return respond(405, f"This address answers {allowed} only.", headers={"Allow": allowed})


def _too_large(_error: RequestEntityTooLarge):
    limit = current_app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024)
    return respond(413, f"The request is larger than the {limit:g} MB limit (LAB_MAX_UPLOAD_MB). "
                        "Import large files with `lab import` on the server instead.")


def init_app(app: Flask) -> None:
    """Answer these refusals here rather than through the general error handler."""
    app.register_error_handler(MethodNotAllowed, _method_not_allowed)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
