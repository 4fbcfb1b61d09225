"""A plain-text table of recommendations, for `lab check` and `lab demo`, wrapped to fit."""

from __future__ import annotations

import math
import shutil
import textwrap
from collections.abc import Iterable, Mapping

from lab.analysis.result import Recommendation
from lab.words import Effect, evidence_word, judged, outcome_word

HEADERS = ("pilot", "status", "recommendation", "primary effect", "reasons")
WIDEST = (22, 30, 20, 34)  # the columns before the reasons wrap past these widths
NARROWEST_REASONS = 30


def primary_effect(recommendation: Recommendation) -> str:
    """Say whether the primary got better or worse, with its interval, or that none is known."""
    metric = recommendation.primary
    if metric is None or not math.isfinite(metric.estimate):
        return "no estimate yet"
    return judged(Effect(metric.key, metric.kind, metric.direction, metric.estimate,
                         metric.ci_low, metric.ci_high))


def format_table(recommendations: Iterable[Recommendation] | Mapping,
                 standing: Mapping[str, str] | None = None, width: int | None = None) -> str:
    """Return a table wrapped to the terminal: pilot, status (and signed decision),
    recommendation with its evidence, primary effect, and every reason."""
    if isinstance(recommendations, Mapping):
        recommendations = recommendations.values()
    width = width or shutil.get_terminal_size((120, 24)).columns
    lines = [(r.pilot, (standing or {}).get(r.pilot, "running"),
              f"{outcome_word(r.outcome)} ({evidence_word(r.evidence)})", primary_effect(r),
              " ".join(r.reasons)) for r in recommendations]
    widths = [min(max([len(h)] + [len(line[i]) for line in lines]), cap)
              for i, (h, cap) in enumerate(zip(HEADERS, WIDEST, strict=False))]
    widths.append(max(width - sum(widths) - 2 * len(widths), NARROWEST_REASONS))
    out = [_row(HEADERS, widths), "  ".join("-" * w for w in widths)]
    for line in lines:
        out.append(_row(line, widths))
    return "\n".join(out) + "\n"


def _row(cells, widths) -> str:
    """Write one row, each cell wrapped between words inside its column."""
    wrapped = [textwrap.wrap(cell, width, break_long_words=False) or [""]
               for cell, width in zip(cells, widths, strict=True)]
    height = max(len(lines) for lines in wrapped)
    return "\n".join("  ".join((lines[i] if i < len(lines) else "").ljust(width)
                               for lines, width in zip(wrapped, widths, strict=True)).rstrip()
                     for i in range(height))
