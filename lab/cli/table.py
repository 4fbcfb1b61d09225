"""A plain-text table of recommendations, for `lab check` and `lab demo`, wrapped to fit."""

from __future__ import annotations

import math
import shutil
import textwrap
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from lab.words import Effect, evidence_word, judged, outcome_word

HEADERS = ("pilot", "status", "recommendation", "primary effect", "reasons")
if TYPE_CHECKING:  # the table reads stored answers too, so `lab check` needs no pandas
    from lab.analysis.result import Recommendation

NARROWEST_REASONS = 30  # the other columns wrap before the reasons get narrower than this


def primary_effect(recommendation: Recommendation | Mapping) -> str:
    """Say whether the primary got better or worse, with its interval, or that none is known."""
    document = _document(recommendation)
    metric = next((m for m in document["metrics"] if m["role"] == "primary"), None)
    if metric is None or metric["estimate"] is None or not math.isfinite(metric["estimate"]):
        return "no estimate yet"
    return judged(Effect(metric["key"], metric["kind"], metric["direction"], metric["estimate"],
                         _number(metric["ci_low"]), _number(metric["ci_high"])))


def _document(recommendation: Recommendation | Mapping) -> Mapping:
    """Return the answer as `to_dict()` gives it (a stored answer already is one)."""
    return recommendation if isinstance(recommendation, Mapping) else recommendation.to_dict()


def _number(value: float | None) -> float:
    return math.nan if value is None else value


def format_table(recommendations: Iterable[Recommendation | Mapping] | Mapping,
                 standing: Mapping[str, str] | None = None, width: int | None = None) -> str:
    """Return a table wrapped to the terminal: pilot, status (and signed decision),
    recommendation with its evidence, primary effect, and every reason.

    Takes Recommendations or their `to_dict()`s (as stored), a list or a mapping.
    """
    if isinstance(recommendations, Mapping):
        recommendations = recommendations.values()
    width = width or shutil.get_terminal_size((120, 24)).columns
    documents = [_document(r) for r in recommendations]
    lines = [(r["pilot"], (standing or {}).get(r["pilot"], "running"),
              f"{outcome_word(r['outcome'])} ({evidence_word(r['evidence'])})",
              primary_effect(r), " ".join(r["reasons"])) for r in documents]
    columns = range(len(HEADERS) - 1)
    natural = [max(len(text) for text in [HEADERS[i]] + [line[i] for line in lines])
               for i in columns]
    floors = [max(len(word) for text in [HEADERS[i]] + [line[i] for line in lines]
                  for word in text.split() or [""]) for i in columns]
    widths = _fit(natural, floors, width - 2 * len(natural) - NARROWEST_REASONS)
    widths.append(max(width - sum(widths) - 2 * len(widths), NARROWEST_REASONS))
    out = [_row(HEADERS, widths), "  ".join("-" * w for w in widths)]
    for line in lines:
        out.append(_row(line, widths))
    return "\n".join(out) + "\n"


def _fit(natural: list[int], floors: list[int], room: int) -> list[int]:
    """Narrow the column with the most slack, one character at a time, until the columns
    fit in `room` or every column is as narrow as its longest word."""
    widths = list(natural)
    while sum(widths) > room:
        slack, i = max((w - f, i) for i, (w, f) in enumerate(zip(widths, floors, strict=True)))
        if slack <= 0:
            break
        widths[i] -= 1
    return widths


def _row(cells, widths) -> str:
    """Write one row, each cell wrapped between words inside its column."""
    wrapped = [textwrap.wrap(cell, width, break_long_words=False) or [""]
               for cell, width in zip(cells, widths, strict=True)]
    height = max(len(lines) for lines in wrapped)
    return "\n".join("  ".join((lines[i] if i < len(lines) else "").ljust(width)
                               for lines, width in zip(wrapped, widths, strict=True)).rstrip()
                     for i in range(height))
