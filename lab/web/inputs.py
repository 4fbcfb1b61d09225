"""Text no database can store is refused at the door, with a 4xx naming where it was.

PostgreSQL refuses NUL characters in text, and no database stores half of a UTF-16
surrogate pair; either would otherwise surface as a 500 deep inside a write.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request

REASON = "contains a NUL character or broken Unicode, which cannot be stored"


def storable(text: str) -> bool:
    """Tell whether a text can be stored: no NUL, no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_problems(value: Any, where: str = "") -> list[tuple[str, str]]:
    """Name every place in decoded JSON holding a text that cannot be stored."""
    if isinstance(value, str):
        return [] if storable(value) else [(where or "body", REASON)]
    if isinstance(value, dict):
        found = [(f"{where}.{key}" if where else str(key), REASON)
                 for key in value if isinstance(key, str) and not storable(key)]
        for key, item in value.items():
            found += text_problems(item, f"{where}.{key}" if where else str(key))
        return found
    if isinstance(value, list):
        return [problem for index, item in enumerate(value)
                for problem in text_problems(item, f"{where}[#{index + 1}]")]
    return []


def _refuse_unstorable_text() -> None:
    places = [("the address", value) for value in (request.view_args or {}).values()
              if isinstance(value, str)]
    places += [(f"query parameter {name}", value) for name, value in request.args.items(multi=True)]
    places += [(f"form field {name}", value) for name, value in request.form.items(multi=True)]
    for where, value in places:
        if not storable(value):
            abort(400, f"The request's {where} {REASON}.")


def init_app(app: Flask) -> None:
    """Check every request's address, query string and form before any view runs."""
    app.before_request(_refuse_unstorable_text)
