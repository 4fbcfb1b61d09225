"""Service-level targets: the plan's validation, the pilot arm's interval and attainment,
the sentence, and the chart's line."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lab import charts, check
from lab.analysis.result import Recommendation
from lab.pilots.plans import PreregistrationError, parse
from lab.stats.intervals import attainment, level_interval, wilson
from lab.words import targets as words
from tests.factories import make_spec, mean_rows, plan, proportion_rows, rate_rows

PRIMARY = {"key": "churn-90d", "label": "churn", "kind": "proportion", "role": "primary",
           "direction": "decrease", "minimum_effect": 0.02}
REPLIED = {"key": "replied-1h", "label": "Replied within 60 minutes", "kind": "proportion",
           "role": "secondary", "direction": "increase", "target": {"at_least": 0.84}}


def refusal(metric: dict) -> str:
    spec = make_spec(metrics=[make_spec()["metrics"][0], metric])
    with pytest.raises(PreregistrationError) as raised:
        parse(spec)
    [(where, reason)] = raised.value.problems
    return f"{where}: {reason}"


@pytest.mark.parametrize(("metric", "said"), [
    ({**REPLIED, "target": {"at_least": 84}},
     "metrics[replied-1h]: target.at_least = 84 is impossible for a share, which lies "
     "strictly between 0 and 1 (shares are written as fractions): did you mean 0.84?"),
    ({**REPLIED, "target": {"at_least": 1}}, "target.at_least = 1 is impossible for a share"),
    ({**REPLIED, "target": {"at_most": 0}}, "target.at_most = 0 is impossible for a share"),
    ({**REPLIED, "target": {"at_least": 0.8, "at_most": 0.9}},
     "metrics[replied-1h].target: a target names exactly one bound: at_least or at_most"),
    ({**REPLIED, "target": {}}, "metrics[replied-1h].target: a target names exactly one"),
    ({**REPLIED, "target": {"above": 0.8}},
     "metrics[replied-1h].target.above: unknown key"),
    ({**REPLIED, "target": {"at_least": "0٫8"}}, "metrics[replied-1h].target.at_least: "),
    ({"key": "complaints", "kind": "rate", "role": "secondary", "direction": "decrease",
      "target": {"at_most": -0.1}},
     "metrics[complaints]: target.at_most = -0.1 is impossible for a rate"),
    ({"key": "csat", "kind": "mean", "role": "secondary", "direction": "increase",
      "least": 0, "most": 10, "target": {"at_least": 10}},
     "metrics[csat]: target.at_least = 10 must lie inside the metric's bounds (0 to 10)"),
    ({"key": "csat", "kind": "mean", "role": "secondary", "direction": "increase",
      "least": 0, "target": {"at_most": -1}},
     "target.at_most = -1 must lie inside the metric's bounds (0 to any)"),
])
def test_an_impossible_target_is_refused_naming_the_metric_and_the_field(metric, said):
    assert said in refusal(metric)


def test_a_possible_target_is_kept_in_the_metric_s_unit():
    spec = parse(make_spec(metrics=[PRIMARY, REPLIED, {
        "key": "reply-minutes", "kind": "mean", "role": "secondary", "direction": "decrease",
        "target": {"at_most": 60}}, {
        "key": "balance", "kind": "mean", "role": "secondary", "direction": "increase",
        "target": {"at_least": -20}}]))
    assert [(m.target.bound, m.target.value) for m in spec.metrics[1:]] == [
        ("at_least", 0.84), ("at_most", 60.0), ("at_least", -20.0)]
    assert spec.metrics[0].target is None


@pytest.mark.parametrize(("low", "high", "target", "at_least", "verdict"), [
    (0.85, 0.90, 0.84, True, "meets"),
    (0.84, 0.90, 0.84, True, "meets"),      # touching from the target's side: at least 84%
    (0.80, 0.84, 0.84, True, "unclear"),    # touching from below: it may be exactly 84%
    (0.80, 0.8399, 0.84, True, "misses"),
    (0.83, 0.85, 0.84, True, "unclear"),
    (50.0, 60.0, 60.0, False, "meets"),     # at most 60 minutes
    (60.0, 70.0, 60.0, False, "unclear"),
    (60.01, 70.0, 60.0, False, "misses"),
    (math.nan, 0.9, 0.84, True, "unclear"),
])
def test_attainment_reads_the_whole_interval_and_a_touch_counts_on_the_target_s_side(
        low, high, target, at_least, verdict):
    assert attainment(low, high, target, at_least)[()] == verdict


def test_each_kind_s_level_interval_covers_the_level():
    for kind, args in (("proportion", (400, 352, 0)), ("rate", (1000.0, 30, 0)),
                       ("mean", (400, 400 * 58.0, 399 * 30.0**2))):
        low, high = level_interval(kind, *args, 1.96)
        level = args[1] / args[0]
        assert low[0] < level < high[0]
    low, high = level_interval("mean", 1, 58.0, 0.0, 1.96)  # one unit: no interval
    assert np.isnan(low[0]) and np.isnan(high[0])


def replied(weeks, share, analysis="sequential", trials=400):
    metrics = [PRIMARY, REPLIED]
    rows = (proportion_rows("x-care-1h", "churn-90d", weeks, trials, 0.10, 0.12)
            + proportion_rows("x-care-1h", "replied-1h", weeks, trials, share, 0.2))
    return check(plan(metrics=metrics, analysis=analysis), rows)


def target_of(result: Recommendation, key="replied-1h"):
    return next(m for m in result.metrics if m.key == key).target


@pytest.mark.parametrize("analysis", ["sequential", "fixed", "always-valid"])
def test_the_pilot_arm_s_interval_is_wilson_s_at_the_look_s_level(analysis):
    result = replied(range(6), 0.88, analysis)
    target = target_of(result)
    n, x = 6 * 400, 6 * round(400 * 0.88)
    level = result.looks[-1].boundary if analysis == "sequential" else None
    if analysis == "fixed":
        level = 1.959963984540054
    if level is not None:
        low, high = wilson(x, n, level)
        assert (target.low, target.high) == pytest.approx((low[0], high[0]))
    assert target.level == pytest.approx(x / n)
    assert target.low < target.level < target.high
    assert (target.bound, target.value, target.attainment) == ("at_least", 0.84, "meets")


def test_the_sequential_level_is_stricter_early_than_at_a_fixed_horizon():
    early = target_of(replied(range(2), 0.88))
    fixed = target_of(replied(range(2), 0.88, "fixed"))
    assert early.high - early.low > fixed.high - fixed.low


@pytest.mark.parametrize(("share", "verdict", "said"), [
    (0.88, "meets", "Target met: Replied within 60 minutes is at 88.0% in the pilot arm ("),
    (0.78, "misses", "Target missed: Replied within 60 minutes is at 78.0% in the pilot arm"),
    (0.845, "unclear", "Target not yet clear: Replied within 60 minutes is at 84.5% in the "
                       "pilot arm"),
])
def test_the_reasons_tell_a_manager_whether_the_target_is_met(share, verdict, said):
    result = replied(range(6), share)
    assert target_of(result).attainment == verdict
    [sentence] = [r for r in result.reasons if r.startswith("Target")]
    assert sentence.startswith(said)
    tail = {"meets": "above the target of at least 84% even at the low end.",
            "misses": "below the target of at least 84% even at the high end.",
            "unclear": "a range that still includes the target of at least 84%."}[verdict]
    assert sentence.endswith(tail)


def test_the_target_s_sentence_in_each_unit():
    minutes = {"bound": "at_most", "value": 60.0, "level": 58.2, "low": 56.1, "high": 60.3,
               "attainment": "unclear"}
    assert words.sentence("Minutes to first reply", "mean", minutes) == (
        "Target not yet clear: Minutes to first reply is at 58.20 in the pilot arm (56.10 to "
        "60.30), a range that still includes the target of at most 60.")
    none_yet = {**minutes, "level": None, "low": None, "high": None}
    assert words.sentence("Minutes to first reply", "mean", none_yet) == (
        "Target of at most 60 for Minutes to first reply: no data from the pilot arm yet.")
    assert words.target_text({"at_least": 0.845}, "proportion") == "at least 84.5%"
    assert words.attainment_word("misses") == "Misses target"


def test_targets_round_trip_and_an_answer_stored_before_targets_still_reads():
    result = replied(range(6), 0.88)
    document = result.to_dict()
    assert document["metrics"][1]["target"] == {
        "bound": "at_least", "value": 0.84, "level": pytest.approx(0.88),
        "low": pytest.approx(target_of(result).low), "high": pytest.approx(
            target_of(result).high), "attainment": "meets"}
    assert document["metrics"][0]["target"] is None
    assert Recommendation.from_dict(document).to_dict() == document
    for metric in document["metrics"]:
        del metric["target"]
    assert Recommendation.from_dict(document).metrics[1].target is None


def test_a_pilot_without_data_says_its_target_waits_for_data():
    result = check(plan(metrics=[PRIMARY, REPLIED]), [])
    assert target_of(result).attainment == "unclear"
    assert ("Target of at least 84% for Replied within 60 minutes: no data from the pilot "
            "arm yet.") in result.reasons


def test_a_target_on_a_rate_and_a_mean_of_a_non_randomized_design():
    metrics = [{**PRIMARY, "kind": "rate", "minimum_effect": 0.005},
               {"key": "minutes", "kind": "mean", "role": "secondary",
                "direction": "decrease", "target": {"at_most": 60}}]
    rows = (rate_rows("x-care-1h", "churn-90d", range(6), 1000.0, 0.02, 0.03)
            + mean_rows("x-care-1h", "minutes", range(6), 400, 75, 900, sd=30))
    result = check(plan(metrics=metrics, design="baseline", planned_sample=None), [
        row for row in rows if row["arm"] == "pilot"])
    target = target_of(result, "minutes")
    assert target.level == pytest.approx(75) and target.attainment == "misses"


def test_the_periods_chart_draws_the_target_as_a_line_in_the_metric_s_unit():
    import pandas as pd

    summaries = pd.DataFrame(
        [{"pilot": "x-care-1h", "metric": "replied-1h", "arm": arm, "phase": "during",
          "period": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=w), "n": 400.0,
          "total": 352.0 if arm == "pilot" else 80.0, "total_sq": np.nan}
         for w in range(3) for arm in ("pilot", "control")])
    figure = charts.new_figure(7, 3.6)
    ax = charts.periods_chart(figure.add_subplot(), summaries, "replied-1h", "proportion",
                              target={"at_least": 0.84})
    [line] = [line for line in ax.get_lines() if line.get_label().startswith("target")]
    assert line.get_label() == "target: at least 84%"
    assert list(line.get_ydata()) == [84.0, 84.0] and line.get_linestyle() == "-."
    plain = charts.periods_chart(charts.new_figure(7, 3.6).add_subplot(), summaries,
                                 "replied-1h", "proportion")
    assert not [line for line in plain.get_lines() if line.get_label().startswith("target")]


@pytest.mark.parametrize(("found", "summed"), [
    (["meets", "misses"], "misses"), (["meets", "unclear"], "unclear"),
    (["unclear", "misses"], "misses"), (["meets", "meets"], "meets"), ([], None)])
def test_the_portfolio_sums_up_the_targets_a_missed_one_first(found, summed):
    from lab.portfolio.standing import target_attainment, targets_of

    metrics = [{"key": f"m{i}", "kind": "proportion", "target": {
        "bound": "at_least", "value": 0.8, "level": 0.8, "low": 0.7, "high": 0.9,
        "attainment": verdict}} for i, verdict in enumerate(found)]
    metrics.append({"key": "churn", "kind": "proportion", "target": None})
    assert target_attainment(metrics) == summed
    assert [t["metric"] for t in targets_of(metrics)] == [f"m{i}" for i in range(len(found))]
