"""`lab plan` through click's CliRunner."""

import pytest
from click.testing import CliRunner

from lab.cli.plan import plan_command
from lab.stats import did_power, planning
from lab.words import amount


def run(*args):
    return CliRunner().invoke(plan_command, [str(a) for a in args])


def test_sample_size_with_guardrails_and_weeks():
    result = run("--kind", "proportion", "--baseline", 0.3, "--minimum-effect", 0.05,
                 "--guardrails", 2, "--guardrail-margin", 0.02, "--weekly-volume", 500)
    assert result.exit_code == 0, result.output
    expected = planning.plan("proportion", 0.05, baseline=0.3,
                             guardrail_margins=((0.21, 0.02),) * 2, weekly_volume=500)
    assert f"Planned sample per arm: {expected.sample_per_arm:,} units" in result.output
    assert f"(both arms): {expected.weeks}" in result.output
    assert "power 0.933 each" in result.output


def test_power_prop_test_oracle_through_the_cli():
    result = run("--kind", "proportion", "--baseline", 0.5, "--minimum-effect", 0.25,
                 "--power", 0.9, "--analysis", "fixed")
    assert "Fixed-horizon sample per arm: 77" in result.output
    assert "Planned sample per arm: 77 units" in result.output


def test_minimum_detectable_effect_for_a_sample():
    result = run("--kind", "mean", "--sd", 1, "--sample", 22.0211, "--power", 0.9,
                 "--analysis", "fixed")
    assert result.exit_code == 0
    assert "Minimum detectable effect with 22 per arm: 1" in result.output


def test_rate_plan_counts_exposure():
    result = run("--kind", "rate", "--baseline", 0.1, "--minimum-effect", 0.02,
                 "--direction", "decrease", "--analysis", "always-valid")
    assert result.exit_code == 0 and "exposure" in result.output and "(x1.8)" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (("--kind", "mean", "--minimum-effect", 1), "--sd is required"),
    (("--kind", "proportion", "--baseline", 2, "--minimum-effect", 0.1), "--baseline"),
    (("--kind", "proportion", "--baseline", 0.3, "--alpha", 2, "--minimum-effect", 0.1),
     "'--alpha'"),
    (("--kind", "proportion", "--baseline", 0.3), "exactly one of --minimum-effect"),
    (("--kind", "proportion", "--baseline", 0.3, "--minimum-effect", 0.1, "--sample", 10),
     "exactly one of"),
    (("--kind", "proportion", "--baseline", 0.9, "--minimum-effect", 0.2), "leaves"),
    (("--kind", "mean", "--sd", 1, "--minimum-effect", 1, "--guardrails", 2),
     "--guardrail-margin is required"),
    (("--kind", "rate", "--baseline", 0.1, "--minimum-effect", -1), "'--minimum-effect'"),
    (("--kind", "odds", "--minimum-effect", 1), "'--kind'"),
])
def test_bad_input_names_the_option_and_fails(args, message):
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output


def test_a_diff_in_diff_plan_says_what_its_periods_detect():
    result = run("--kind", "rate", "--baseline", 38, "--minimum-effect", 4, "--direction",
                 "decrease", "--design", "diff-in-diff", "--during-periods", 12,
                 "--period-volume", 60, "--analysis", "fixed")
    assert result.exit_code == 0, result.output
    found = did_power.design_power(8, 12, 2 * 38 / 60, 0.0, 0.5, analysis="fixed")
    assert result.output.startswith(
        f"Diff-in-diff with 8 before- and 12 during-periods of 60 exposure per arm: detects "
        f"{amount('rate', found.detectable)} with the planned power")
    assert "cannot reach" not in result.output
    assert "periods that vary only by sampling, with serial correlation up to 0.5" in \
        result.output


def test_a_design_that_cannot_decide_is_told_so_with_the_periods_that_would():
    result = run("--kind", "proportion", "--baseline", 0.2, "--minimum-effect", 0.01,
                 "--design", "baseline", "--during-periods", 12, "--period-volume", 800,
                 "--period-sd", 0.002, "--serial-correlation", 0.3)
    assert result.exit_code == 0, result.output
    needed = did_power.during_periods_needed(0.02, 0.7, 8, 0.16 / 800, 0.002**2, 0.3)
    assert ("This design cannot reach 70% power at twice the minimum effect; "
            f"{needed} during-periods would reach it") in result.output
    assert needed == 14
    assert "week-to-week noise of sd 0.002 beyond sampling" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (("--sample", 100), "planned by its periods"),
    (("--minimum-effect", 0.05), "needs --during-periods and --period-volume"),
    (("--minimum-effect", 0.05, "--during-periods", 12, "--period-volume", 100,
      "--period-sd", -1), "'--period-sd'"),
    (("--minimum-effect", 0.05, "--during-periods", 12, "--period-volume", 100,
      "--serial-correlation", 1), "'--serial-correlation'"),
    (("--minimum-effect", 0.05, "--during-periods", 0, "--period-volume", 100),
     "'--during-periods'"),
])
def test_bad_design_options_name_the_option_and_fail(args, message):
    result = run("--kind", "proportion", "--baseline", 0.3, "--design", "diff-in-diff", *args)
    assert result.exit_code != 0
    assert message in result.output
