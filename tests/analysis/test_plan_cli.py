"""`lab plan` through click's CliRunner."""

import pytest
from click.testing import CliRunner

from lab.cli.plan import plan_command
from lab.stats import planning


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
