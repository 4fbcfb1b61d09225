"""Errors answered as JSON or HTML by what the client accepts; never a traceback."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from lab import db
from lab.errors import DomainError
from lab.pilots import audit
from lab.pilots.validation import describe_errors


def wants_json() -> bool:
    """Tell whether the client should get JSON rather than a page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def problems_of(error: Exception) -> list[dict[str, str]]:
    """Return the (field, reason) list an error carries, as dicts."""
    if isinstance(error, ValidationError):
        pairs = describe_errors(error)
    else:
        pairs = [_pair(problem) for problem in getattr(error, "problems", None) or []]
    return [{"field": field, "reason": reason} for field, reason in pairs]


def _pair(problem: Any) -> tuple[str, str]:
    if isinstance(problem, tuple | list) and len(problem) == 2:
        return str(problem[0]), str(problem[1])
    line, column = getattr(problem, "line", None), getattr(problem, "column", None)
    where = ".".join(str(part) for part in (line, column) if part not in (None, ""))
    return where, str(getattr(problem, "message", problem))


def respond(status: int, message: str, problems: list[dict[str, str]] | None = None,
            headers: dict[str, str] | None = None):
    """Answer an error in the form the client wants."""
    title = _title(status)
    if wants_json():
        body = {"error": title, "status": status, "message": message,
                "problems": problems or []}
        return jsonify(body), status, headers or {}
    page = render_template("error.html", status=status, title=title, message=message,
                           problems=problems or [])
    return page, status, headers or {}


def _title(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, "Error")


def record_denial(action: str, reason: str) -> None:
    """Write a refused request to the audit log; a failing log never hides the refusal."""
    actor = current_user.email if current_user.is_authenticated else "anonymous"
    try:
        with db.writing(db.engine()) as session:
            audit.record(session, actor=actor, action=action, object_type="request",
                         object_key=f"{request.method} {request.path}"[:200],
                         after={"reason": reason[:500]})
    except Exception:  # the refusal itself must still be answered
        current_app.logger.exception("could not record a denial in the audit log")


def _http_error(error: HTTPException):
    status = error.code or 500
    if status == 401 and not wants_json():
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if status == 401:
        record_denial("denied.unauthenticated", error.description or "no credentials")
        headers = {"WWW-Authenticate": 'Bearer realm="lab"'}
        return respond(401, error.description or "Sign in or send a bearer token.",
                       headers=headers)
    if status == 403:
        record_denial("denied", error.description or "forbidden")
    headers = {"Retry-After": str(error.retry_after)} if getattr(
        error, "retry_after", None) else None
    return respond(status, error.description or _title(status), headers=headers)


def _csrf_error(error: CSRFError):
    record_denial("denied.csrf", error.description)
    return respond(400, "The form had no valid CSRF token (it may have expired or come "
                        "from another site). Reload the page and try again.")


def _domain_error(error: DomainError):
    # The error carries its status; a refusal of the person is audited like any 403.
    if error.status == 403:
        record_denial("denied", str(error))
    return respond(error.status, str(error), problems_of(error), error.headers())


def _invalid_input(error: ValidationError):
    # A request model a view validated by hand refused the input.
    return respond(422, str(error), problems_of(error))


def _server_error(error: Exception):
    current_app.logger.exception("unhandled error", exc_info=error)
    return respond(500, "Something went wrong on our side; it has been logged. "
                        "Nothing you sent was half-saved.")


def init_app(app: Flask) -> None:
    """Answer every error through this module."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(ValidationError, _invalid_input)
    # Anything else, a plain LookupError or KeyError included, is a bug.
    app.register_error_handler(Exception, _server_error)
