"""A plain-text table of recommendations, for `lab check` and `lab demo`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from lab.analysis.result import Recommendation
from lab.words import Effect, change, outcome_word

HEADERS = ("pilot", "recommendation", "primary effect", "reason")


def primary_effect(recommendation: Recommendation) -> str:
    """Describe the primary's effect with its interval, or say there is none yet."""
    metric = recommendation.primary
    if metric is None or not math.isfinite(metric.estimate):
        return "no estimate yet"
    effect = Effect(metric.key, metric.kind, metric.direction, metric.estimate,
                    metric.ci_low, metric.ci_high)
    return change(effect)


def format_table(recommendations: Iterable[Recommendation] | Mapping) -> str:
    """Return a readable table: pilot, recommendation, primary effect, first reason."""
    if isinstance(recommendations, Mapping):
        recommendations = recommendations.values()
    lines = [(r.pilot, outcome_word(r.outcome), primary_effect(r),
              r.reasons[0] if r.reasons else "") for r in recommendations]
    widths = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(HEADERS)]
    widths[-1] = len(HEADERS[-1])

    def row(cells) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths[:-1]) + "  " + "-" * 6
    return "\n".join([row(HEADERS), rule] + [row(line) for line in lines]) + "\n"
