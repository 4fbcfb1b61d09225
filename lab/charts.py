"""Charts shared by the web pages, the reports and the notebooks.

Every chart draws on a matplotlib `ax` it is given and returns it. Nothing here touches
pyplot: pyplot keeps global state that is not safe in a web server's threads, so the
server builds a `Figure` with `new_figure` and writes it out with `figure_bytes`, while a
notebook may pass the axes of `plt.subplots()`.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from lab import words
from lab.portfolio.standing import guardrail_status
from lab.vocabulary import Arm, Evidence, Kind, Outcome, Phase

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
NARROW = 5.5  # inches: a figure narrower than this gets its legend below and short labels
# A guardrail's standing at a look (lab.portfolio.standing.guardrail_status), as drawn.
GUARD_COLOURS = {"safe": GREEN, "harmed": VERMILLION, "unclear": GREY}
GUARD_MARKERS = {"safe": "^", "harmed": "v", "unclear": "o"}
GUARD_WORDS = {"safe": "shown safe", "harmed": "harmed", "unclear": "not yet safe"}


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
    narrow = ax.figure.get_figwidth() < NARROW
    _title(ax, f"{words.metric_name(metric)}: effect at each look", narrow)
    looks = _looks_of(recommendation, metric)
    if not looks:
        return _empty(ax, "No looks yet: nothing has been logged for this metric")
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
    _outcome_legend(ax, {_marker_key(look, metric) for look in looks}, below=narrow,
                    role=str(metric.get("role")))
    if skipped:
        _note(ax, f"{skipped} look(s) without an estimate not shown")
    return _tidy(ax)


def periods_chart(ax: Axes, summaries: pd.DataFrame, metric_key: str, kind: str,
                  label: str | None = None) -> Axes:
    """Draw the metric per period for each arm, shading the periods before the pilot."""
    narrow = ax.figure.get_figwidth() < NARROW
    _title(ax, f"{label or metric_key}: value per period", narrow)
    rows = summaries[summaries["metric"] == metric_key] if len(summaries) else summaries
    if rows.empty:
        return _empty(ax, f"No observations of {label or metric_key} yet")
    rows = _period_values(rows, words.effect_scale(kind)[0])
    several = rows["pilot"].nunique() > 1
    # Sorting on (pilot, arm) in reverse puts the pilot arm first in the legend.
    for (pilot, arm), series in sorted(rows.groupby(["pilot", "arm"]), key=_arm_order):
        name = f"{pilot} · {arm}" if several else f"{arm} arm"
        ax.plot(series["when"], series["value"], marker="o", markersize=4, linewidth=1.8,
                color=ARM_COLOURS.get(str(arm), GREY), label=name)
    _shade_before(ax, rows)
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
        _note(ax, f"{skipped} period(s) with nothing counted not shown")
    return _tidy(ax)


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


def portfolio_chart(ax: Axes, recommendations: list[dict],
                    minimum_effects: Mapping[str, float] | None = None) -> Axes:
    """Draw every pilot's primary effect and interval in units of its minimum effect.

    The minimum effect is taken from `minimum_effects` by pilot key, else from the
    primary's entry (which `lab.portfolio.with_thresholds` fills from the plan).
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
    ax.set_yticks(range(len(rows)), [row["pilot"] + ("\n(weak evidence)" if row["weak"] else "")
                                     for row in rows])
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


def _outcome_legend(ax: Axes, outcomes: set, below: bool = False, role: str = "primary",
                    columns: int | None = None) -> None:
    handles = [h for h in ax.get_legend_handles_labels()[0] if isinstance(h, Line2D)]
    if role == "guardrail":
        handles += [Line2D([], [], marker=GUARD_MARKERS[g], color=GUARD_COLOURS[g],
                           linestyle="none", label=GUARD_WORDS[g])
                    for g in GUARD_COLOURS if g in outcomes]
    elif role == "primary":
        handles += [Line2D([], [], marker=OUTCOME_MARKERS[o], color=OUTCOME_COLOURS[o],
                           linestyle="none", label=words.outcome_word(o))
                    for o in OUTCOME_COLOURS if o in outcomes]
    # Outside the axes, so it never hides an interval.
    if below:  # under everything: the right margin is needed (portfolio) or too narrow
        ax.figure.legend(handles=handles, loc="outside lower center",
                         ncol=columns or min(len(handles), 2), frameon=False, fontsize=8)
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


def _title(ax: Axes, text: str, narrow: bool) -> None:
    """Set a title that fits: wrapped to the figure's width."""
    width = max(24, int(ax.figure.get_figwidth() * (9 if narrow else 11)))
    ax.set_title("\n".join(textwrap.wrap(text, width)), loc="left", parse_math=False,
                 fontsize=10 if narrow else 11)


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
