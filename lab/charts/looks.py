"""A metric's effect and interval at every look, against its thresholds."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from matplotlib.axes import Axes

from lab import words
from lab.charts.style import (
    GREEN,
    GREY,
    GUARD_COLOURS,
    GUARD_MARKERS,
    NARROW,
    OUTCOME_COLOURS,
    OUTCOME_MARKERS,
    VERMILLION,
    empty,
    note,
    outcome_legend,
    tidy,
    title,
)
from lab.portfolio.standing import guardrail_status


def looks_chart(ax: Axes, recommendation: dict, metric_key: str | None = None) -> Axes:
    """Draw the estimate and its repeated interval at every look, against the references."""
    metric = metric_entry(recommendation, metric_key)
    factor, unit = words.effect_scale(metric.get("kind"))
    narrow = ax.figure.get_figwidth() < NARROW
    title(ax, f"{words.metric_name(metric)}: effect at each look", narrow)
    looks = _looks_of(recommendation, metric)
    if not looks:
        return empty(ax, "No looks yet: nothing has been logged for this metric")
    limits = _look_limits(looks, metric, factor)
    skipped = 0
    for position, look in enumerate(looks):
        skipped += not _draw_look(ax, position, look, factor, metric, limits)
    _look_ticks(ax, looks)
    _reference_lines(ax, metric, factor)
    ax.set_ylim(*limits)
    ax.set_ylabel(f"Effect, {unit}\n({words.better_when(str(metric.get('direction')))}; "
                  "drawn so up = better)" if not narrow else
                  f"Effect, {unit.replace('percentage ', '')}\n(up = better)")
    ax.set_xlabel("Look: period starting, share of the planned sample" if not narrow
                  else "Look: period, share of plan")
    outcome_legend(ax, {_marker_key(look, metric) for look in looks}, below=narrow,
                    role=str(metric.get("role")))
    if skipped:
        note(ax, f"{skipped} look(s) without an estimate not shown")
    return tidy(ax)


def metric_entry(recommendation: Mapping, metric_key: str | None) -> dict:
    metrics = list(recommendation.get("metrics") or [])
    for metric in metrics:
        if metric_key is None and metric.get("role") == "primary":
            return dict(metric)
        if metric_key is not None and metric.get("key") == metric_key:
            return dict(metric)
    if metric_key is not None:
        raise KeyError(f"no metric {metric_key!r} in the recommendation for "
                       f"{recommendation.get('pilot', 'this pilot')}")
    return {"key": "primary metric", "role": "primary"}


def _looks_of(recommendation: Mapping, metric: Mapping) -> list[dict]:
    looks = [dict(look) for look in recommendation.get("looks") or []]
    if any("metric" in look for look in looks):
        return [look for look in looks if look.get("metric") == metric.get("key")]
    if metric.get("role") == "primary":
        return looks
    history = (recommendation.get("metric_looks") or {}).get(metric.get("key"))
    if history:
        return [dict(look) for look in history]
    # The look history belongs to the primary; another metric is shown where it stands now.
    if metric.get("estimate") is None:
        return []
    latest = looks[-1] if looks else {}
    return [{**latest, "outcome": recommendation.get("outcome"),
             **{key: metric.get(key) for key in ("estimate", "ci_low", "ci_high")}}]


def _marker_key(look: Mapping, metric: Mapping) -> str:
    """Return what a look's marker shows: the outcome (primary) or the guardrail's standing."""
    role = metric.get("role")
    if role == "primary":
        return str(look.get("outcome"))
    if role == "guardrail":
        return guardrail_status({**look, "margin": metric.get("margin")})
    return "estimate"


def _style_of(key: str) -> tuple[str, str]:
    if key in GUARD_COLOURS:
        return GUARD_COLOURS[key], GUARD_MARKERS[key]
    return OUTCOME_COLOURS.get(key, GREY), OUTCOME_MARKERS.get(key, "o")


def _look_limits(looks: list[dict], metric: Mapping, factor: float) -> tuple[float, float]:
    """Return y-limits that keep the later looks readable; earlier, wider intervals clip.

    The first looks' intervals can be ten times the last one's: the axis is fitted to
    the latest half of the looks and the reference lines, and anything beyond it ends
    in an arrow at the edge.
    """
    recent = looks[len(looks) // 2:]
    values = [words.to_float(look.get(key)) * factor for look in recent
              for key in ("estimate", "ci_low", "ci_high")]
    references = [0.0, words.to_float(metric.get("minimum_effect")) * factor,
                  -words.to_float(metric.get("margin")) * factor]
    shown = [v for v in values + references if math.isfinite(v)]
    low, high = min(shown), max(shown)
    pad = 0.15 * (high - low or 1.0)
    return low - pad, high + pad


def _draw_look(ax: Axes, position: int, look: Mapping, factor: float, metric: Mapping,
               limits: tuple[float, float]) -> bool:
    estimate, low, high = (words.to_float(look.get(key)) * factor
                           for key in ("estimate", "ci_low", "ci_high"))
    if not math.isfinite(estimate):
        return False
    colour, marker = _style_of(_marker_key(look, metric))
    low = low if math.isfinite(low) else estimate  # an unknown bound: draw the point alone
    high = high if math.isfinite(high) else estimate
    bottom, top = limits
    ax.vlines(position, max(low, bottom), min(high, top), color=colour, linewidth=2.2,
              alpha=0.85)
    for edge, end, arrow in ((low, bottom, "v"), (high, top, "^")):
        if (edge < bottom) if arrow == "v" else (edge > top):
            ax.plot([position], [end], marker=arrow, color=colour, markersize=4,
                    linestyle="none", clip_on=False)
    ax.plot([position], [min(max(estimate, bottom), top)], marker=marker, color=colour,
            markersize=7, markeredgecolor="white", linestyle="none")
    return True


def _look_ticks(ax: Axes, looks: list[dict]) -> None:
    labels = []
    for look in looks:
        when = pd.to_datetime(look.get("period"), errors="coerce")
        day = when.strftime("%d %b") if not pd.isna(when) else "?"
        fraction = words.to_float(look.get("information_fraction"))
        labels.append(f"{day}\n{fraction:.0%}" if math.isfinite(fraction) else day)
    # As many labels as fit the axes' width (about 0.75 inch each: "04 May" and the share,
    # with room to spare), so they never overlap; the axes take about 60% of the figure.
    room = 0.6 * ax.figure.get_figwidth()
    step = max(1, math.ceil(len(looks) / max(2, int(room / 0.75))))
    ax.set_xticks(range(0, len(looks), step), labels[::step], fontsize=8)
    ax.set_xlim(-0.6, len(looks) - 0.4)


def _reference_lines(ax: Axes, metric: Mapping, factor: float) -> None:
    ax.axhline(0, color=GREY, linewidth=1, label="no effect")
    kind = metric.get("kind")
    minimum = words.to_float(metric.get("minimum_effect"))
    if metric.get("role") == "primary" and math.isfinite(minimum):
        ax.axhline(minimum * factor, color=GREEN, linestyle="--", linewidth=1.2,
                   label=f"smallest effect worth\nscaling ({words.effect(minimum, kind)})")
    margin = words.to_float(metric.get("margin"))
    if metric.get("role") == "guardrail" and math.isfinite(margin):
        ax.axhline(-margin * factor, color=VERMILLION, linestyle="--", linewidth=1.2,
                   label="most harm tolerated\n"
                         f"(margin, {words.effect(margin, kind).lstrip('+')} worse)")
