"""Validation that people can read: strict models and their errors named by key.

Plans, backlog entries, learning cards, initiatives, raw-import mappings and the web's
forms and API bodies are all pydantic models on `Strict`; `describe_errors` turns what
pydantic refuses into (where, why) pairs that name an entry by its key, not its index.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class Strict(BaseModel):
    """Refuse unknown keys: a misspelt key must not silently vanish from the plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _label(data: Any, loc: tuple) -> str:
    """Name a location by key, not index: metrics[churn-90d].margin, pilot.team[Ana]."""
    label, node = "", data
    for part in loc:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            name = (node.get("key") or node.get("name")) if isinstance(node, dict) else None
            label += f"[{name}]" if isinstance(name, str) else f"[#{part + 1}]"
        else:
            node = node.get(part) if isinstance(node, dict) else None
            label += f".{part}" if label else str(part)
    return label


def describe_errors(error: ValidationError, data: Any = None) -> list[tuple[str, str]]:
    """Turn pydantic's errors into (dotted key, reason) pairs people can read."""
    problems = []
    for item in error.errors():
        where = _label(data, item["loc"])
        reason = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            reason = "unknown key (not part of the pre-registration schema)"
        elif item["type"] == "missing":
            reason = "missing (this key is required)"
        problems.append((where, reason))
    return problems
