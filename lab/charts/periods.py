"""Each arm's value period by period, the before-period shaded."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.ticker import PercentFormatter

from lab import words
from lab.charts.style import (
    ARM_COLOURS,
    GREY,
    NARROW,
    PURPLE,
    SKY,
    empty,
    note,
    tidy,
    title,
)
from lab.vocabulary import Arm, Kind, Phase


def periods_chart(ax: Axes, summaries: pd.DataFrame, metric_key: str, kind: str,
                  label: str | None = None, target: Mapping | None = None) -> Axes:
    """Draw the metric per period for each arm, shading the periods before the pilot.

    ``target`` is the metric's service-level target as the plan writes it
    (``{"at_least": 0.84}``), drawn as a line in the metric's own unit.
    """
    narrow = ax.figure.get_figwidth() < NARROW
    title(ax, f"{label or metric_key}: value per period", narrow)
    rows = summaries[summaries["metric"] == metric_key] if len(summaries) else summaries
    if rows.empty:
        return empty(ax, f"No observations of {label or metric_key} yet")
    rows = _period_values(rows, words.effect_scale(kind)[0])
    several = rows["pilot"].nunique() > 1
    # Sorting on (pilot, arm) in reverse puts the pilot arm first in the legend.
    for (pilot, arm), series in sorted(rows.groupby(["pilot", "arm"]), key=_arm_order):
        name = f"{pilot} · {arm}" if several else f"{arm} arm"
        ax.plot(series["when"], series["value"], marker="o", markersize=4, linewidth=1.8,
                color=ARM_COLOURS.get(str(arm), GREY), label=name)
    _shade_before(ax, rows)
    _target_line(ax, target, kind)
    ax.set_ylabel(words.value_label(kind))
    if kind == Kind.proportion:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=1))
    _date_axis(ax, rows["when"], narrow)
    ax.set_xlabel("Period starting")
    # Below everything, so it never covers a line.
    ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=3,
                     frameon=False, fontsize=8)
    skipped = int(rows["value"].isna().sum())
    if skipped:
        note(ax, f"{skipped} period(s) with nothing counted not shown")
    return tidy(ax)


def _date_axis(ax: Axes, when: pd.Series, narrow: bool) -> None:
    """Put dates on the x-axis; one period gets a week either side, not a span of years."""
    first, last = when.min(), when.max()
    if first == last:
        ax.set_xlim(first - pd.Timedelta(days=7), last + pd.Timedelta(days=7))
        ax.set_xticks([first], [first.strftime("%d %b %Y")])
        return
    locator = AutoDateLocator(maxticks=4 if narrow else 8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _period_values(rows: pd.DataFrame, factor: float) -> pd.DataFrame:
    if "scope" in rows and (rows["scope"].astype(str) != "").any():
        # A comparison-scopes pilot's control is drawn as its scopes pooled, one point a
        # period (the analysis weights them; the chart shows the plain level).
        rows = (rows.assign(n=pd.to_numeric(rows["n"], errors="coerce"),
                            total=pd.to_numeric(rows["total"], errors="coerce"))
                .groupby(["pilot", "arm", "phase", "period"], as_index=False)[["n", "total"]]
                .sum())
    n = pd.to_numeric(rows["n"], errors="coerce").astype("float64")
    total = pd.to_numeric(rows["total"], errors="coerce").astype("float64")
    value = (total / n.where(n > 0)) * factor
    when = pd.to_datetime(rows["period"], errors="coerce")
    frame = pd.DataFrame({"pilot": rows["pilot"].astype(str), "arm": rows["arm"].astype(str),
                          "phase": rows["phase"].astype(str), "when": when,
                          "value": value.to_numpy()}, index=rows.index)
    return frame.dropna(subset=["when"]).sort_values("when")


def _arm_order(group: tuple) -> tuple[str, int]:
    (pilot, arm), _series = group
    return str(pilot), 0 if arm == Arm.pilot else 1


def _shade_before(ax: Axes, rows: pd.DataFrame) -> None:
    before = rows.loc[rows["phase"] == Phase.before, "when"]
    during = rows.loc[rows["phase"] == Phase.during, "when"]
    if before.empty:
        return
    end = during.min() if not during.empty else before.max()
    ax.axvspan(before.min(), end, color=SKY, alpha=0.15, linewidth=0,
               label="before the pilot")
    ax.axvline(end, color=GREY, linewidth=1, linestyle=":")


def _target_line(ax: Axes, target: Mapping | None, kind: str) -> None:
    """Draw the service-level target the pilot arm should reach (dash-dot, purple)."""
    if not target:
        return
    value = words.to_float(next(iter(target.values())))
    ax.axhline(value * words.effect_scale(kind)[0], color=PURPLE, linestyle="-.",
               linewidth=1.4, label=f"target: {words.targets.target_text(target, kind)}")
