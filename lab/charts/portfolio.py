"""Every pilot's primary effect in units of its minimum effect, coloured by outcome."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes

from lab import words
from lab.charts.looks import metric_entry
from lab.charts.style import (
    CLIP,
    GREEN,
    GREY,
    OUTCOME_COLOURS,
    OUTCOME_MARKERS,
    empty,
    note,
    outcome_legend,
    tidy,
)
from lab.vocabulary import Evidence


def portfolio_chart(ax: Axes, recommendations: list[dict],
                    minimum_effects: Mapping[str, float] | None = None) -> Axes:
    """Draw every pilot's primary effect and interval in units of its minimum effect.

    The minimum effect is taken from `minimum_effects` by pilot key, else from the
    primary's entry (which `lab.portfolio.with_thresholds` fills from the plan).
    """
    ax.set_title("Primary effects against the smallest effect worth scaling", loc="left")
    rows, skipped = _portfolio_rows(recommendations, minimum_effects or {})
    if not rows:
        return empty(ax, "No pilot has a measured primary effect yet")
    for position, row in enumerate(rows):
        _draw_portfolio_row(ax, position, row)
    ax.axvline(0, color=GREY, linewidth=1)
    ax.axvline(1, color=GREEN, linewidth=1.2, linestyle="--",
               label="minimum effect worth scaling")
    ax.set_yticks(range(len(rows)), [row["pilot"] + ("\n(weak evidence)" if row["weak"] else "")
                                     for row in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)  # first pilot at the top
    ax.set_xlim(*_portfolio_limits(rows))
    ax.set_xlabel("Primary effect ÷ its minimum effect (0 = no effect, 1 = worth scaling)")
    outcome_legend(ax, {row["outcome"] for row in rows}, below=True)
    if skipped:
        note(ax, "Not shown (no estimate or no minimum effect): " + ", ".join(skipped))
    return tidy(ax)


def _portfolio_rows(recommendations: list[dict],
                    minimum_effects: Mapping[str, float]) -> tuple[list[dict], list[str]]:
    rows, skipped = [], []
    for recommendation in recommendations:
        pilot = str(recommendation.get("pilot", "?"))
        primary = metric_entry(recommendation, None)
        minimum = words.to_float(minimum_effects.get(pilot, primary.get("minimum_effect")))
        estimate = words.to_float(primary.get("estimate"))
        if not (math.isfinite(estimate) and math.isfinite(minimum) and minimum > 0):
            skipped.append(pilot)
            continue
        low, high = (words.to_float(primary.get(key)) for key in ("ci_low", "ci_high"))
        rows.append({"pilot": pilot, "outcome": recommendation.get("outcome"),
                     "weak": recommendation.get("evidence") == Evidence.before_after,
                     "kind": primary.get("kind"), "raw": (estimate, low, high),
                     "scaled": np.array([estimate, low, high]) / minimum})
    return rows, skipped


def _portfolio_limits(rows: list[dict]) -> tuple[float, float]:
    values = np.concatenate([row["scaled"] for row in rows])
    values = values[np.isfinite(values)]
    low = max(-CLIP, min(values.min(), -0.5))
    high = min(CLIP, max(values.max(), 1.5))
    pad = 0.08 * (high - low)
    return low - pad, high + pad


def _draw_portfolio_row(ax: Axes, position: int, row: Mapping) -> None:
    estimate, low, high = row["scaled"]
    # A before/after pilot is never coloured like a randomized win: grey, hollow, dotted.
    colour = GREY if row["weak"] else OUTCOME_COLOURS.get(str(row["outcome"]), GREY)
    shown_low = max(low, -CLIP) if math.isfinite(low) else estimate
    shown_high = min(high, CLIP) if math.isfinite(high) else estimate
    ax.hlines(position, shown_low, shown_high, color=colour, linewidth=2.4,
              linestyle=":" if row["weak"] else "-")
    for edge, end, marker in ((low, -CLIP, "<"), (high, CLIP, ">")):
        if math.isfinite(edge) and abs(edge) > CLIP:
            ax.plot([end], [position], marker=marker, color=colour, linestyle="none")
    ax.plot([min(max(estimate, -CLIP), CLIP)], [position], linestyle="none",
            marker=OUTCOME_MARKERS.get(str(row["outcome"]), "o"), color=colour,
            markersize=8, markeredgecolor=colour if row["weak"] else "white",
            markerfacecolor="white" if row["weak"] else colour)
    raw_estimate, raw_low, raw_high = row["raw"]
    ax.annotate(f"{words.effect(raw_estimate, row['kind'])} "
                f"{words.interval(raw_low, raw_high, row['kind'])}",
                (1.0, position), xycoords=("axes fraction", "data"), xytext=(4, 0),
                textcoords="offset points", va="center", fontsize=8)
