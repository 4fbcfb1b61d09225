"""Comparison-scopes pilots through `lab.check`: plan, rows, looks, reasons, feasibility."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import lab
from lab.cli.plan import plan_command
from lab.pilots import feasibility
from lab.pilots.observations.problems import ObservationError
from lab.pilots.plans import PreregistrationError, parse
from lab.stats import synthetic
from tests.factories import observations, scopes_plan, weekly_means

BEFORE, DURING = 26, 12


def pilot(comparisons=19, effect=0.0, seed=1, analysis="fixed", noise="specific",
          minimum_effect=0.1):
    rng = np.random.default_rng(seed)
    means = weekly_means(rng, 1, comparisons, BEFORE, DURING, noise, effect)
    spec = scopes_plan("p", comparisons, DURING, analysis, minimum_effect)
    return spec, observations(["p"], means, BEFORE), means


def test_a_clear_effect_scales_up_with_the_fit_and_the_evidence_in_the_reasons():
    spec, rows, _ = pilot(effect=1.0)
    found = lab.check(spec, rows)
    assert found.outcome == "scale_up"
    assert found.evidence == "comparison"
    said = " ".join(found.reasons)
    assert "blend of comparison scopes" in said and "over 26 before-periods" in said
    assert "Evidence: comparison scopes" in said
    assert "1 of 20 scopes" in said  # only the pilot scope moved that much
    primary = found.metrics[0]
    assert primary.ci_low > 0 and primary.p_value < 0.05
    assert "placebo runs" in primary.method


def test_the_interval_is_the_placebo_test_inverted():
    spec, rows, means = pilot(effect=0.05, seed=4)
    found = lab.check(spec, rows)
    centred = means[0] - means[0][:, :BEFORE].mean(axis=1, keepdims=True)
    fit = synthetic.placebo_fits(means[0], np.arange(BEFORE + DURING) < BEFORE)
    effect, scale, stats = synthetic.studentised(fit, np.arange(BEFORE + DURING) >= BEFORE)
    critical = synthetic.placebo_critical(stats[1:], 0.05)
    primary = found.metrics[0]
    assert primary.estimate == pytest.approx(effect[0])
    assert primary.ci_low == pytest.approx(effect[0] - critical * scale[0])
    assert (primary.ci_low > 0) == (synthetic.placebo_p_value(stats) <= 0.05 and stats[0] > 0)
    assert centred.shape == means[0].shape


def test_five_comparisons_cannot_decide_and_the_reasons_say_so():
    spec, rows, _ = pilot(comparisons=5, effect=3.0, analysis="sequential")
    found = lab.check(spec, rows)
    assert found.outcome == "revise"  # an effect of 30 sd is still not provable
    said = " ".join(found.reasons)
    assert "1/6 = 0.17" in said and "at least 27 comparison scopes would be needed" in said
    assert "above the 0.0363 its sequential analysis reads at best" in said


def test_twenty_comparisons_with_weekly_sequential_looks_cannot_decide_either():
    spec, rows, _ = pilot(comparisons=20, effect=3.0, analysis="sequential")
    said = " ".join(lab.check(spec, rows).reasons)
    assert "1/21 = 0.05" in said and "cannot show an effect" in said


def test_a_look_needs_every_scope_logged_in_its_periods():
    spec, rows, _ = pilot(comparisons=3)
    # One comparison misses a before-week: that week leaves the fit for every scope.
    gone = rows[~((rows["scope"] == "segment-02") & (rows["period"] == rows["period"].min()))]
    found = lab.check(spec, gone)
    assert "over 25 before-periods" in " ".join(found.reasons)


@pytest.mark.parametrize(("change", "message"), [
    ({"scope": "", "where": "control"}, "blank, but must name one of pilot 'p'"),
    ({"scope": "segment-99", "where": "control"}, "'segment-99' is not one of pilot 'p'"),
    ({"scope": "segment-01", "where": "pilot"}, "a pilot row is the pilot's own scope"),
])
def test_a_row_naming_the_wrong_scope_is_refused_by_row_and_column(change, message):
    spec, rows, _ = pilot(comparisons=3)
    target = rows.index[rows["arm"] == change["where"]][5]
    rows.loc[target, "scope"] = change["scope"]
    with pytest.raises(ObservationError, match=f"row {target + 1}, column 'scope'") as error:
        lab.check(spec, rows)
    assert message in str(error.value)


def test_a_scope_on_a_pilot_of_another_design_is_refused():
    from tests.factories import plan, proportion_rows

    rows = pd.DataFrame(proportion_rows("x-care-1h", "churn-90d", range(3), 500, 0.2, 0.2))
    rows["scope"] = ["", "segment-01"] * 3
    with pytest.raises(ObservationError, match="has no comparison scopes"):
        lab.check(plan(), rows)


@pytest.mark.parametrize(("scopes", "message"), [
    (["segment-01"], "needs 2–20 comparison_scopes, got 1"),
    ([f"s-{i}" for i in range(21)], "needs 2–20 comparison_scopes, got 21"),
    (["segment-01", "segment-01"], "comparison_scopes repeat segment-01"),
    (["segment-00", "segment-01"], "cannot include the pilot's own scope 'segment-00'"),
])
def test_the_plan_names_two_to_twenty_distinct_other_scopes(scopes, message):
    spec = scopes_plan("p", 3)
    spec["pilot"]["comparison_scopes"] = scopes
    with pytest.raises(PreregistrationError, match=message):
        parse(spec)


def test_comparison_scopes_belong_to_their_design_only():
    spec = scopes_plan("p", 3)
    spec["pilot"]["design"] = "diff-in-diff"
    with pytest.raises(PreregistrationError, match="comparison-scopes design only"):
        parse(spec)
    del spec["pilot"]["comparison_scopes"]
    spec["pilot"]["design"] = "comparison-scopes"
    with pytest.raises(PreregistrationError, match="got 0"):
        parse(spec)


def test_registration_warns_when_the_comparisons_cannot_reach_the_level():
    few = feasibility.registration_warnings(parse(scopes_plan("p", 5)))
    assert len(few) == 1 and "cannot show an effect" in few[0] and "1/6" in few[0]
    assert feasibility.registration_warnings(parse(scopes_plan("p", 19, analysis="fixed"))) == []
    # The sequential boundary's final look reads below 5%: 19 scopes are not enough.
    assert feasibility.registration_warnings(parse(scopes_plan("p", 19)))


def test_lab_plan_refuses_a_design_that_cannot_decide():
    run = lambda *a: CliRunner().invoke(plan_command, [str(x) for x in a])  # noqa: E731
    few = run("--kind", "mean", "--sd", 2, "--design", "comparison-scopes",
              "--comparisons", 5, "--during-periods", 12)
    assert few.exit_code == 1 and "at least 27 comparison scopes" in few.output
    enough = run("--kind", "mean", "--sd", 2, "--design", "comparison-scopes",
                 "--comparisons", 19, "--during-periods", 12, "--analysis", "fixed")
    assert enough.exit_code == 0 and "it can decide" in enough.output
    lacking = run("--kind", "mean", "--sd", 2, "--design", "comparison-scopes")
    assert lacking.exit_code == 2 and "--comparisons" in lacking.output


def test_the_most_lenient_look_of_each_analysis():
    assert synthetic.lenient_level(0.05, "fixed", 12) == 0.05
    sequential = synthetic.lenient_level(0.05, "sequential", 12)
    assert 0.03 < sequential < 0.05  # the final O'Brien–Fleming look
    assert synthetic.lenient_level(0.05, "always-valid", 12) < sequential
    with pytest.raises(ValueError, match="unknown analysis"):
        synthetic.lenient_level(0.05, "bayes", 12)


def test_a_mean_pools_its_periods_about_their_common_mean():
    """Each period's total_sq is about its own mean; summed up to a look, the spread
    between the periods' means belongs in the pooled squares too."""
    from lab.analysis.scopes import _Cells  # noqa: PLC0415 (the look's sums, directly)

    n, mean, sd = np.array([40.0, 60.0]), np.array([1e8 + 1.0, 1e8 + 3.0]), np.array([2.0, 1.0])
    rows = pd.DataFrame({
        "period": pd.to_datetime(["2026-01-05", "2026-01-12"] * 2),
        "arm": ["pilot", "pilot", "control", "control"], "phase": ["during"] * 4,
        "n": np.tile(n, 2), "total": np.tile(n * mean, 2),
        "total_sq": np.tile((n - 1) * sd**2, 2)})
    sums = _Cells(rows).sums(np.ones(4, dtype=bool))
    grand = (n * mean).sum() / n.sum()
    expected = ((n - 1) * sd**2).sum() + (n * (mean - grand) ** 2).sum()
    assert sums["q_p"] == pytest.approx(expected, rel=1e-9)
    assert sums["q_c"] == pytest.approx(expected, rel=1e-9)
