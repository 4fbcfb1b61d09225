"""The shared charts: drawn on a Figure's ax, never through pyplot, robust to bad data."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import date, timedelta

import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from lab import charts, words
from lab.charts.style import CLIP
from lab.vocabulary import Kind


def recommendation(outcomes=("continue", "continue", "scale_up"), **primary) -> dict:
    """Return a recommendation dict shaped like Recommendation.to_dict()."""
    looks = [{"period": (date(2026, 1, 5) + timedelta(weeks=i)).isoformat(),
              "information_fraction": (i + 1) / len(outcomes), "boundary": 3.0 - 0.3 * i,
              "estimate": 0.03, "ci_low": 0.03 - 0.02 / (i + 1), "ci_high": 0.05,
              "outcome": outcome} for i, outcome in enumerate(outcomes)]
    return {"pilot": "x-care-1h", "outcome": outcomes[-1], "looks": looks, "metrics": [
        {"key": "churn-90d", "role": "primary", "kind": "proportion", "direction": "decrease",
         "estimate": 0.03, "ci_low": 0.01, "ci_high": 0.05, "minimum_effect": 0.02,
         **primary},
        {"key": "cost-per-contact", "label": "Cost per contact", "role": "guardrail",
         "kind": "mean", "direction": "decrease", "estimate": -0.4, "ci_low": -1.0,
         "ci_high": 0.2, "margin": 1.5}]}


def summaries(periods: int = 4, **values) -> pd.DataFrame:
    """Return period summaries like lab.pilots.observations.summaries.period_summaries gives."""
    rows = [{"pilot": "x-care-1h", "metric": "churn-90d", "arm": arm, "phase": phase,
             "period": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=i + offset),
             "n": 400.0, "total": 40.0 + i + (8 if arm == "control" else 0), "total_sq": 0.0}
            for arm in ("pilot", "control")
            for phase, offset in (("before", 0), ("during", periods))
            for i in range(periods)]
    frame = pd.DataFrame(rows)
    for name, value in values.items():
        frame.loc[0, name] = value
    return frame


def axes() -> tuple[Figure, object]:
    figure = charts.new_figure(7, 4)
    return figure, figure.add_subplot()


def texts(ax) -> str:
    """Return every text an ax shows: title, labels, ticks, notes and legend."""
    parts = [ax.get_title(loc="left"), ax.get_xlabel(), ax.get_ylabel()]
    parts += [t.get_text() for t in ax.texts + ax.get_xticklabels() + ax.get_yticklabels()]
    # Legends sit below the plot, on the figure, so they never hide the data.
    for legend in [ax.get_legend(), *ax.figure.legends]:
        if legend is not None:
            parts += [t.get_text() for t in legend.get_texts()]
    return "\n".join(parts)


def test_new_figure_is_a_plain_figure_with_the_size_asked():
    figure = charts.new_figure(5, 3)
    assert isinstance(figure, Figure)
    assert tuple(figure.get_size_inches()) == (5, 3)


def test_charts_never_import_pyplot():
    code = ("import sys, lab.charts, lab.reports, lab.notebook; "
            "print('matplotlib.pyplot' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"


def test_looks_chart_draws_every_look_with_its_interval_and_outcome():
    _, ax = axes()
    assert charts.looks_chart(ax, recommendation()) is ax
    intervals = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(intervals) == 3
    low, high = intervals[0].get_segments()[0][:, 1]
    assert (low, high) == pytest.approx((1.0, 5.0))  # proportions in percentage points
    last = to_hex(intervals[-1].get_color()[0])
    assert last == charts.OUTCOME_COLOURS["scale_up"].lower()
    shown = texts(ax)
    assert "percentage points" in ax.get_ylabel()
    assert "churn-90d" in ax.get_title(loc="left")
    assert "smallest effect worth\nscaling (+2.0 points)" in shown
    assert "Scale up" in shown and "Keep collecting data" in shown  # lab.words' outcomes
    assert "05 Jan\n33%" in shown


def test_looks_chart_draws_the_references_at_zero_and_the_minimum_effect():
    _, ax = axes()
    charts.looks_chart(ax, recommendation())
    levels = {line.get_ydata()[0] for line in ax.get_lines() if len(line.get_ydata()) == 2}
    assert {0.0, 2.0} <= levels


def test_looks_chart_of_a_guardrail_draws_minus_the_margin_and_its_label():
    _, ax = axes()
    charts.looks_chart(ax, recommendation(), "cost-per-contact")
    levels = {line.get_ydata()[0] for line in ax.get_lines() if len(line.get_ydata()) == 2}
    assert -1.5 in levels
    assert "Cost per contact" in ax.get_title(loc="left")
    assert "harm tolerated" in texts(ax)


def test_looks_chart_skips_missing_estimates_with_a_note():
    rec = recommendation()
    rec["looks"][1].update(estimate=None, ci_low=math.nan, ci_high=None)
    rec["looks"][2].update(ci_low=None, ci_high=math.inf)
    _, ax = axes()
    charts.looks_chart(ax, rec)
    assert len([c for c in ax.collections if isinstance(c, LineCollection)]) == 2
    assert "1 look(s) without an estimate not shown" in texts(ax)


@pytest.mark.parametrize("rec", [{}, {"pilot": "p", "looks": [], "metrics": []},
                                 {"pilot": "p", "looks": None, "metrics": None}])
def test_looks_chart_says_so_when_there_is_nothing_to_draw(rec):
    _, ax = axes()
    charts.looks_chart(ax, rec)
    assert "No looks yet" in texts(ax)
    charts.figure_bytes(ax.figure)


def test_looks_chart_refuses_a_metric_the_recommendation_does_not_have():
    _, ax = axes()
    with pytest.raises(KeyError, match="no metric 'nope'"):
        charts.looks_chart(ax, recommendation(), "nope")


def test_periods_chart_draws_one_line_per_arm_with_values_in_percent():
    _, ax = axes()
    assert charts.periods_chart(ax, summaries(), "churn-90d", "proportion") is ax
    lines = {line.get_label(): line for line in ax.get_lines() if "arm" in line.get_label()}
    assert set(lines) == {"pilot arm", "control arm"}
    assert lines["pilot arm"].get_ydata()[0] == pytest.approx(10.0)  # 40 / 400, in %
    assert len(lines["control arm"].get_xdata()) == 8
    assert "before the pilot" in texts(ax)
    assert ax.get_ylabel() == words.VALUE_LABELS[Kind.proportion]


def test_periods_chart_shows_means_as_they_are_and_skips_empty_periods():
    _, ax = axes()
    charts.periods_chart(ax, summaries(n=0.0), "churn-90d", "mean")
    pilot = next(line for line in ax.get_lines() if line.get_label() == "pilot arm")
    assert math.isnan(pilot.get_ydata()[0])
    assert pilot.get_ydata()[1] == pytest.approx(41 / 400)
    assert "1 period(s) with nothing counted not shown" in texts(ax)


def test_periods_chart_of_a_metric_without_data_says_so():
    _, ax = axes()
    charts.periods_chart(ax, summaries().iloc[0:0], "churn-90d", "proportion")
    assert "No observations of churn-90d yet" in texts(ax)
    charts.figure_bytes(ax.figure, "svg")


def portfolio() -> list[dict]:
    other = {"pilot": "community", "outcome": "withdraw", "metrics": [
        {"key": "nps", "role": "primary", "kind": "mean", "estimate": -2.0, "ci_low": -40.0,
         "ci_high": 1.0}]}
    empty = {"pilot": "draft-like", "outcome": "continue", "metrics": [
        {"key": "m", "role": "primary", "kind": "rate", "estimate": None}]}
    return [recommendation(), other, empty]


def test_portfolio_chart_scales_each_effect_by_its_minimum_effect():
    _, ax = axes()
    assert charts.portfolio_chart(ax, portfolio(), {"x-care-1h": 0.02, "community": 4.0}) is ax
    rows = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(rows) == 2
    low, high = rows[0].get_segments()[0][:, 0]
    assert (low, high) == pytest.approx((0.5, 2.5))  # 1 pp to 5 pp over 2 pp
    low, _ = rows[1].get_segments()[0][:, 0]
    assert low == -CLIP  # -10 minimum effects, cut at the edge with an arrow
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x-care-1h", "community"]
    shown = texts(ax)
    assert "+3.0 points (+1.0 to +5.0)" in shown and "-2.00 (-40.00 to +1.00)" in shown
    assert "Not shown (no estimate or no minimum effect): draft-like" in shown
    assert "Withdraw" in shown


def test_portfolio_chart_takes_the_minimum_effect_from_the_recommendation_when_missing():
    _, ax = axes()
    charts.portfolio_chart(ax, [recommendation()], {})
    assert len([c for c in ax.collections if isinstance(c, LineCollection)]) == 1


def test_portfolio_chart_with_nothing_measured_says_so():
    _, ax = axes()
    charts.portfolio_chart(ax, [], {})
    assert "No pilot has a measured primary effect yet" in texts(ax)


@pytest.mark.parametrize("fmt, start", [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_figure_bytes_renders_png_and_svg(fmt, start):
    figure, ax = axes()
    charts.looks_chart(ax, recommendation())
    assert charts.figure_bytes(figure, fmt).startswith(start)


def test_figure_bytes_refuses_other_formats():
    figure, _ = axes()
    with pytest.raises(ValueError, match="'png' or 'svg'"):
        charts.figure_bytes(figure, "gif")


def test_labels_with_dollar_signs_are_text_not_mathematics():
    rec = recommendation()
    rec["metrics"][0]["label"] = "Churn $^$ (fee-paying)"
    figure, ax = axes()
    charts.looks_chart(ax, rec)
    assert ax.get_title(loc="left") == "Churn $^$ (fee-paying): effect at each look"
    charts.figure_bytes(figure)  # parsed as mathtext, "$^$" would raise ValueError
