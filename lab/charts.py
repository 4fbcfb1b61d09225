"""Charts shared by the web pages, the reports and the notebooks.

Every chart draws on a matplotlib `ax` it is given and returns it. Nothing here touches
pyplot: pyplot keeps global state that is not safe in a web server's threads, so the
server builds a `Figure` with `new_figure` and writes it out with `figure_bytes`, while a
notebook may pass the axes of `plt.subplots()`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from lab import words
from lab.vocabulary import Arm, Kind, Outcome, Phase

# Okabe–Ito palette: stays distinguishable for the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILLION, SKY, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#6E6E6E")
OUTCOME_COLOURS = {Outcome.scale_up: GREEN, Outcome.revise: ORANGE,
                   Outcome.withdraw: VERMILLION, Outcome.continue_: BLUE}
# Shapes as well as colours, so the outcome survives a grey-scale print.
OUTCOME_MARKERS = {Outcome.scale_up: "^", Outcome.revise: "D", Outcome.withdraw: "v",
                   Outcome.continue_: "o"}
ARM_COLOURS = {Arm.pilot: BLUE, Arm.control: ORANGE}
CLIP = 6.0  # portfolio axis limit, in minimum effects; wider intervals end in an arrow


def new_figure(width: float = 7.0, height: float = 4.0) -> Figure:
    """Build a Figure directly (never through pyplot), laid out to fit its labels."""
    return Figure(figsize=(width, height), layout="constrained")


def figure_bytes(figure: Figure, fmt: str = "png") -> bytes:
    """Render a figure to PNG or SVG bytes."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"figure format must be 'png' or 'svg', not {fmt!r}")
    buffer = io.BytesIO()
    # No timestamp in SVG, so the same chart gives the same bytes.
    metadata = {"Date": None} if fmt == "svg" else None
    figure.savefig(buffer, format=fmt, dpi=150, metadata=metadata)
    return buffer.getvalue()


def looks_chart(ax: Axes, recommendation: dict, metric_key: str | None = None) -> Axes:
    """Draw the estimate and its repeated interval at every look, against the references."""
    metric = _metric_entry(recommendation, metric_key)
    factor, unit = words.effect_scale(metric.get("kind"))
    ax.set_title(f"{words.metric_name(metric)}: effect at each look", loc="left", parse_math=False)
    looks = _looks_of(recommendation, metric)
    if not looks:
        return _empty(ax, "No looks yet: nothing has been logged for this metric")
    skipped = 0
    for position, look in enumerate(looks):
        skipped += not _draw_look(ax, position, look, factor)
    _look_ticks(ax, looks)
    _reference_lines(ax, metric, factor)
    ax.set_ylabel(f"Effect, {unit}\n(positive = better)")
    ax.set_xlabel("Look (period, share of planned sample)")
    _outcome_legend(ax, {look.get("outcome") for look in looks})
    if skipped:
        _note(ax, f"{skipped} look(s) without an estimate not shown")
    return _tidy(ax)


def periods_chart(ax: Axes, summaries: pd.DataFrame, metric_key: str, kind: str) -> Axes:
    """Draw the metric per period for each arm, shading the periods before the pilot."""
    ax.set_title(f"{metric_key}: value per period", loc="left", parse_math=False)
    rows = summaries[summaries["metric"] == metric_key] if len(summaries) else summaries
    if rows.empty:
        return _empty(ax, f"No observations of {metric_key} yet")
    rows = _period_values(rows, words.effect_scale(kind)[0])
    several = rows["pilot"].nunique() > 1
    # Sorting on (pilot, arm) in reverse puts the pilot arm first in the legend.
    for (pilot, arm), series in sorted(rows.groupby(["pilot", "arm"]), key=_arm_order):
        label = f"{pilot} · {arm}" if several else f"{arm} arm"
        ax.plot(series["when"], series["value"], marker="o", markersize=4, linewidth=1.8,
                color=ARM_COLOURS.get(str(arm), GREY), label=label)
    _shade_before(ax, rows)
    ax.set_ylabel(words.value_label(kind))
    if kind == Kind.proportion:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=1))
    locator = AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.set_xlabel("Period starting")
    ax.legend(loc="best", frameon=False, fontsize=8)
    skipped = int(rows["value"].isna().sum())
    if skipped:
        _note(ax, f"{skipped} period(s) with nothing counted not shown")
    return _tidy(ax)


def portfolio_chart(ax: Axes, recommendations: list[dict],
                    minimum_effects: Mapping[str, float] | None = None) -> Axes:
    """Draw every pilot's primary effect and interval in units of its minimum effect.

    The minimum effect is taken from `minimum_effects` by pilot key, else from the
    primary's entry (which `lab.analysis.portfolio.with_thresholds` fills from the plan).
    """
    ax.set_title("Primary effects against the smallest effect worth scaling", loc="left")
    rows, skipped = _portfolio_rows(recommendations, minimum_effects or {})
    if not rows:
        return _empty(ax, "No pilot has a measured primary effect yet")
    for position, row in enumerate(rows):
        _draw_portfolio_row(ax, position, row)
    ax.axvline(0, color=GREY, linewidth=1)
    ax.axvline(1, color=GREEN, linewidth=1.2, linestyle="--",
               label="minimum effect worth scaling")
    ax.set_yticks(range(len(rows)), [row["pilot"] for row in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)  # first pilot at the top
    ax.set_xlim(*_portfolio_limits(rows))
    ax.set_xlabel("Primary effect ÷ its minimum effect (0 = no effect, 1 = worth scaling)")
    _outcome_legend(ax, {row["outcome"] for row in rows}, below=True)
    if skipped:
        _note(ax, "Not shown (no estimate or no minimum effect): " + ", ".join(skipped))
    return _tidy(ax)


def _metric_entry(recommendation: Mapping, metric_key: str | None) -> dict:
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
    # The look history belongs to the primary; another metric is shown where it stands now.
    if metric.get("estimate") is None:
        return []
    latest = looks[-1] if looks else {}
    return [{**latest, "outcome": recommendation.get("outcome"),
             **{key: metric.get(key) for key in ("estimate", "ci_low", "ci_high")}}]


def _draw_look(ax: Axes, position: int, look: Mapping, factor: float) -> bool:
    estimate, low, high = (words.to_float(look.get(key)) * factor
                           for key in ("estimate", "ci_low", "ci_high"))
    if not math.isfinite(estimate):
        return False
    outcome = str(look.get("outcome"))
    colour = OUTCOME_COLOURS.get(outcome, GREY)
    low = low if math.isfinite(low) else estimate  # an unknown bound: draw the point alone
    high = high if math.isfinite(high) else estimate
    ax.vlines(position, low, high, color=colour, linewidth=2.2, alpha=0.85)
    ax.plot([position], [estimate], marker=OUTCOME_MARKERS.get(outcome, "o"), color=colour,
            markersize=7, markeredgecolor="white", linestyle="none")
    return True


def _look_ticks(ax: Axes, looks: list[dict]) -> None:
    labels = []
    for look in looks:
        when = pd.to_datetime(look.get("period"), errors="coerce")
        day = when.strftime("%d %b") if not pd.isna(when) else "?"
        fraction = words.to_float(look.get("information_fraction"))
        labels.append(f"{day}\n{fraction:.0%}" if math.isfinite(fraction) else day)
    # As many labels as fit the axes' width (about 0.6 inch each), so they never overlap.
    room = ax.get_position().width * ax.figure.get_figwidth()
    step = max(1, math.ceil(len(looks) / max(2, int(room / 0.6))))
    ax.set_xticks(range(0, len(looks), step), labels[::step], fontsize=8)
    ax.set_xlim(-0.6, len(looks) - 0.4)


def _reference_lines(ax: Axes, metric: Mapping, factor: float) -> None:
    ax.axhline(0, color=GREY, linewidth=1, label="no effect")
    kind = metric.get("kind")
    minimum = words.to_float(metric.get("minimum_effect"))
    if metric.get("role") == "primary" and math.isfinite(minimum):
        ax.axhline(minimum * factor, color=GREEN, linestyle="--", linewidth=1.2,
                   label=f"minimum effect worth\nscaling ({words.effect(minimum, kind)})")
    margin = words.to_float(metric.get("margin"))
    if metric.get("role") == "guardrail" and math.isfinite(margin):
        ax.axhline(-margin * factor, color=VERMILLION, linestyle="--", linewidth=1.2,
                   label=f"harm tolerated\n(−margin, {words.effect(-margin, kind)})")


def _outcome_legend(ax: Axes, outcomes: set, below: bool = False) -> None:
    handles = [h for h in ax.get_legend_handles_labels()[0] if isinstance(h, Line2D)]
    handles += [Line2D([], [], marker=OUTCOME_MARKERS[o], color=OUTCOME_COLOURS[o],
                       linestyle="none", label=words.outcome_word(o))
                for o in OUTCOME_COLOURS if o in outcomes]
    # Outside the axes, so it never hides an interval.
    if below:  # the portfolio's right margin holds the figures
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2),
                  ncol=len(handles), frameon=False, fontsize=8)
    else:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False, fontsize=8)


def _period_values(rows: pd.DataFrame, factor: float) -> pd.DataFrame:
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


def _portfolio_rows(recommendations: list[dict],
                    minimum_effects: Mapping[str, float]) -> tuple[list[dict], list[str]]:
    rows, skipped = [], []
    for recommendation in recommendations:
        pilot = str(recommendation.get("pilot", "?"))
        primary = _metric_entry(recommendation, None)
        minimum = words.to_float(minimum_effects.get(pilot, primary.get("minimum_effect")))
        estimate = words.to_float(primary.get("estimate"))
        if not (math.isfinite(estimate) and math.isfinite(minimum) and minimum > 0):
            skipped.append(pilot)
            continue
        low, high = (words.to_float(primary.get(key)) for key in ("ci_low", "ci_high"))
        rows.append({"pilot": pilot, "outcome": recommendation.get("outcome"),
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
    colour = OUTCOME_COLOURS.get(str(row["outcome"]), GREY)
    shown_low = max(low, -CLIP) if math.isfinite(low) else estimate
    shown_high = min(high, CLIP) if math.isfinite(high) else estimate
    ax.hlines(position, shown_low, shown_high, color=colour, linewidth=2.4)
    for edge, end, marker in ((low, -CLIP, "<"), (high, CLIP, ">")):
        if math.isfinite(edge) and abs(edge) > CLIP:
            ax.plot([end], [position], marker=marker, color=colour, linestyle="none")
    ax.plot([min(max(estimate, -CLIP), CLIP)], [position], linestyle="none",
            marker=OUTCOME_MARKERS.get(str(row["outcome"]), "o"), color=colour,
            markersize=8, markeredgecolor="white")
    raw_estimate, raw_low, raw_high = row["raw"]
    ax.annotate(f"{words.effect(raw_estimate, row['kind'])} "
                f"{words.interval(raw_low, raw_high, row['kind'])}",
                (1.0, position), xycoords=("axes fraction", "data"), xytext=(4, 0),
                textcoords="offset points", va="center", fontsize=8)


def _note(ax: Axes, text: str) -> None:
    ax.text(0.01, 0.99, text, transform=ax.transAxes, ha="left", va="top", fontsize=8,
            color=GREY, style="italic")


def _empty(ax: Axes, message: str) -> Axes:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
            color=GREY, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _tidy(ax: Axes) -> Axes:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    return ax
