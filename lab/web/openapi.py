"""API operations declared once: routed, validated and described from the same models.

`Api.route` registers a view on the blueprint together with its request model, its reply
model and the role it needs; the wrapper validates the request with that model and
serializes the reply with the other, and `Api.document` builds the OpenAPI document from
the same declarations, so the document cannot drift from what the server does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from lab.errors import Invalid
from lab.pilots.audit import jsonable
from lab.pilots.validation import describe_errors
from lab.web.inputs import text_problems
from lab.web.schemas import ErrorOut
from lab.web.security import role_required

REF = "#/components/schemas/{model}"
PATH_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
LARGEST_ID = 2**31 - 1  # ids are 32-bit integer columns on PostgreSQL
MAX_NESTING = 32  # the deepest request (a plan's metrics) nests four levels
KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 80,
              "pattern": "^[a-z0-9][a-z0-9._-]*$"}
ERROR_TEXT = {400: "Malformed request (not JSON, nested too deeply, or no CSRF token with a "
                   "cookie session)",
              401: "Not signed in, or the bearer token is unknown, revoked or expired",
              403: "Without the role this needs, or a read-only token asked to write",
              404: "No such object", 409: "Conflicts with the object's state",
              413: "Larger than the upload limit (LAB_MAX_UPLOAD_MB)",
              415: "The body is not JSON",
              422: "Invalid: each problem names its field and the reason",
              503: "The database is busy with another write: retry after Retry-After seconds"}


@dataclass
class Operation:
    """One API operation as the document describes it."""

    method: str
    rule: str
    name: str
    summary: str
    role: str | None
    reply: type[BaseModel] | None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    conflicts: bool = False
    tag: str = "pilots"


class InvalidRequest(Invalid):
    """A request body or query its model refuses; `problems` names each field and why."""

    def __init__(self, problems: list[tuple[str, str]]):
        count = len(problems)
        super().__init__(f"The request has {count} problem{'s' if count != 1 else ''}: "
                         + "; ".join(f"{where}: {what}" for where, what in problems), problems)


def refusal(error: ValidationError, data: Any) -> InvalidRequest:
    """Name each problem by its place in the request, as the plan's messages do."""
    problems = []
    for item, (where, what) in zip(error.errors(), describe_errors(error, data), strict=True):
        if item["type"] == "extra_forbidden":
            what = "unknown field (not part of this request's schema)"
        problems.append((where, what))
    return InvalidRequest(problems)


def read_body(model: type[BaseModel]) -> BaseModel:
    """Validate the JSON body with a model, strictly, as JSON Schema reads it."""
    if not request.is_json:
        abort(415, "Send the body as JSON, with Content-Type: application/json.")
    raw = request.get_data() or b""
    too_deep = (f"The body is nested more than {MAX_NESTING} levels deep; no request to "
                "this API needs that.")
    try:
        data = json.loads(raw)
    except RecursionError:  # deeper than the decoder's own stack allows
        abort(400, too_deep)
    except ValueError:
        abort(400, "The body is not valid JSON.")
    if nesting(data) > MAX_NESTING:
        abort(400, too_deep)
    unstorable = text_problems(data)
    if unstorable:
        raise InvalidRequest(unstorable)
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as error:
        raise refusal(error, data) from None


def nesting(value: Any) -> int:
    """Return how deeply decoded JSON nests arrays and objects, without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth <= MAX_NESTING:  # past the limit the answer is known
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, depth) for child in children)
    return deepest


def read_query(model: type[BaseModel]) -> BaseModel:
    """Validate the query string with a model."""
    data = request.args.to_dict()
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise refusal(error, data) from None


class Api:
    """A blueprint whose operations are declared with their models."""

    def __init__(self, blueprint: Blueprint):
        self.blueprint = blueprint
        self.operations: list[Operation] = []

    def route(self, method: str, rule: str, *, summary: str, reply: type[BaseModel] | None,
              role: str | None = "viewer", **options: Any) -> Callable:
        """Declare an operation and route it."""

        def decorate(view: Callable) -> Callable:
            operation = Operation(method, rule, view.__name__, summary, role, reply,
                                  **options)
            self.operations.append(operation)
            handler = self._handler(view, operation)
            if role is not None:
                handler = role_required(role)(handler)
            self.blueprint.add_url_rule(rule, view.__name__, handler, methods=[method])
            return view

        return decorate

    @staticmethod
    def _handler(view: Callable, operation: Operation) -> Callable:
        @wraps(view)
        def handle(**path: Any) -> Response | tuple:
            if operation.body is not None:
                path["body"] = read_body(operation.body)
            if operation.query is not None:
                path["query"] = read_query(operation.query)
            result = view(**path)
            if result is None:
                return Response(status=204)
            return jsonify(jsonable(result.model_dump(mode="json"))), operation.status

        return handle

    def document(self, title: str, version: str) -> dict[str, Any]:
        """Build the OpenAPI 3.1 document from the declared operations."""
        wanted = {(ErrorOut, "serialization")}
        for operation in self.operations:
            if operation.body:
                wanted.add((operation.body, "validation"))
            if operation.query:
                wanted.add((operation.query, "validation"))
            if operation.reply:
                wanted.add((operation.reply, "serialization"))
        refs, schemas = models_json_schema(sorted(wanted, key=lambda pair: pair[0].__name__),
                                           ref_template=REF)
        paths: dict[str, dict[str, Any]] = {}
        for operation in self.operations:
            path = PATH_PARAMETER.sub(r"{\2}", self.blueprint.url_prefix + operation.rule)
            paths.setdefault(path, {})[operation.method.lower()] = _describe(operation, refs)
        return {"openapi": "3.1.0", "info": {"title": title, "version": version},
                "paths": paths, "components": {
                    "schemas": schemas.get("$defs", {}), "securitySchemes": SECURITY}}


SECURITY = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "An API token (analysts and above create them)."},
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                   "description": "A signed-in browser session; writes need X-CSRFToken."},
}


def _describe(operation: Operation, refs: dict) -> dict[str, Any]:
    """Describe one operation: parameters, body, replies and security."""
    described: dict[str, Any] = {
        "operationId": operation.name, "summary": operation.summary, "tags": [operation.tag],
        "parameters": _parameters(operation, refs), "responses": _responses(operation, refs),
        "security": [{"bearerAuth": []}, {"cookieAuth": []}] if operation.role else [],
    }
    if operation.role:
        described["x-required-role"] = operation.role
    if operation.body:
        described["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(operation.body, "validation")]}}}
    return described


def _parameters(operation: Operation, refs: dict) -> list[dict[str, Any]]:
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}
                   if converter == "id"
                   else KEY_SCHEMA}
                  for converter, name in PATH_PARAMETER.findall(operation.rule)]
    if operation.query:
        schema = operation.query.model_json_schema(ref_template=REF)
        parameters += [{"name": name, "in": "query", "required": False, "schema": field}
                       for name, field in schema["properties"].items()]
    return parameters


def _responses(operation: Operation, refs: dict) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": refs[(ErrorOut, "serialization")]}}}
    codes = [401, 403] if operation.role else []
    if PATH_PARAMETER.search(operation.rule):
        codes.append(404)
    if operation.body:
        codes += [400, 413, 415, 422]
    elif operation.method in ("POST", "DELETE") and operation.role:
        codes.append(400)  # a cookie session's write without a CSRF token
    if operation.method in ("POST", "DELETE"):
        codes.append(503)  # a write kept waiting for the database's lock
    if operation.query:
        # 400: a query parameter holding a NUL or broken Unicode (lab.web.inputs).
        codes += [400, 422]
    if operation.conflicts:
        codes.append(409)
    replies: dict[str, Any] = {str(code): {"description": ERROR_TEXT[code], **error}
                               for code in sorted(set(codes))}
    if operation.reply is None:
        replies[str(operation.status)] = {"description": "Done"}
    else:
        replies[str(operation.status)] = {"description": operation.summary, "content": {
            "application/json": {"schema": refs[(operation.reply, "serialization")]}}}
    return replies
