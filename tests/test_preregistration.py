"""lab.pilots.plans: every refusal names the key and the reason."""

from __future__ import annotations

import pytest

from lab.pilots.plans import PreregistrationError, load, parse
from tests.factories import make_spec, write_spec

PRIMARY = {"key": "churn-90d", "kind": "proportion", "role": "primary",
           "direction": "decrease", "minimum_effect": 0.02}


def problems(spec: dict) -> list[tuple[str, str]]:
    with pytest.raises(PreregistrationError) as caught:
        parse(spec, "plan.toml")
    return caught.value.problems


def test_the_example_plan_is_valid():
    spec = parse(make_spec())
    assert spec.primary.key == "churn-90d"
    assert [m.key for m in spec.guardrails] == ["cost-per-contact"]
    assert spec.pilot.scope == "x"


@pytest.mark.parametrize(("change", "where", "reason"), [
    ({"pilot": {"colour": "red"}}, "pilot.colour", "unknown key"),
    ({"pilot": {"design": None}}, "pilot.design", "missing"),
    ({"pilot": {"design": "ab-test"}}, "pilot.design", "'holdout', 'diff-in-diff', 'baseline' or"),
    ({"pilot": {"analysis": "bayesian"}}, "pilot.analysis", "'sequential'"),
    ({"pilot": {"allocation": "half"}}, "pilot.allocation", "valid number"),
    ({"pilot": {"allocation": 1.5}}, "pilot.allocation", "less than 1"),
    ({"pilot": {"start": "2026-13-01"}}, "pilot.start", "date"),
    ({"pilot": {"end": "2025-01-01"}}, "pilot", "is before start"),
    ({"pilot": {"channel": ["x", "facebook"]}}, "pilot.channel", "never a list"),
    ({"pilot": {"channel": None}}, "pilot", "needs a channel, a segment"),
    ({"pilot": {"budget": float("nan")}}, "pilot.budget", "finite"),
    ({"pilot": {"team": [{"name": "Ana", "function": "legal"}]}}, "pilot.team[Ana].function",
     "'marketing'"),
    ({"hypothesis": {"process": "sales"}}, "hypothesis.process", "'acquisition'"),
    ({"hypothesis": {"owner": "ana"}}, "hypothesis.owner", "pattern"),
    ({"pilot": {"before_periods": 8}}, "pilot", "apply to diff-in-diff and baseline designs"),
    ({"pilot": {"design": "baseline", "serial_correlation": 1.0}}, "pilot.serial_correlation",
     "less than 1"),
    ({"pilot": {"design": "baseline", "before_periods": 0}}, "pilot.before_periods",
     "greater than 0"),
])
def test_refusals_name_the_key_and_the_reason(change, where, reason):
    found = problems(make_spec(**change))
    assert any(w == where and reason in r for w, r in found), found


@pytest.mark.parametrize(("metric", "reason"), [
    ({"kind": "share"}, "'proportion', 'mean' or 'rate'"),
    ({"direction": "up"}, "'increase' or 'decrease'"),
    ({"margin": 1.0}, "only a guardrail metric takes a margin"),
    ({"minimum_effect": -1}, "greater than 0"),
])
def test_metric_problems_name_the_metric_by_key(metric, reason):
    found = problems(make_spec(metrics=[{**PRIMARY, **metric}]))
    assert any(w.startswith("metrics[churn-90d]") and reason in r for w, r in found), found


def test_primary_needs_a_minimum_effect():
    primary = {k: v for k, v in PRIMARY.items() if k != "minimum_effect"}
    found = problems(make_spec(metrics=[primary]))
    assert ("metrics[churn-90d]", "a primary metric needs a minimum_effect "
            "(the smallest effect worth scaling up)") in found


def test_guardrail_needs_a_margin():
    guardrail = {"key": "cost", "kind": "mean", "role": "guardrail", "direction": "decrease"}
    found = problems(make_spec(metrics=[PRIMARY, guardrail]))
    assert ("metrics[cost]", "a guardrail metric needs a margin (the harm tolerated)") in found


def test_guardrail_margin_must_be_positive():
    guardrail = {"key": "cost", "kind": "mean", "role": "guardrail", "direction": "decrease",
                 "margin": 0}
    found = problems(make_spec(metrics=[PRIMARY, guardrail]))
    assert any(w == "metrics[cost].margin" and "greater than 0" in r for w, r in found)


@pytest.mark.parametrize("primaries", [0, 2])
def test_exactly_one_primary(primaries):
    metrics = [{**PRIMARY, "key": f"m{i}"} for i in range(primaries)]
    metrics.append({"key": "other", "kind": "rate", "role": "secondary",
                    "direction": "increase"})
    found = problems(make_spec(metrics=metrics))
    expected = "none" if primaries == 0 else "m0, m1"
    assert ("metrics", f"a pilot needs exactly one primary metric (found {expected})") in found


def test_a_metric_without_a_key_is_named_by_position():
    found = problems(make_spec(metrics=[PRIMARY, {"kind": "rate", "role": "secondary",
                                                  "direction": "increase"}]))
    assert ("metrics[#2].key", "missing (this key is required)") in found


def test_message_names_the_file(tmp_path):
    path = write_spec(tmp_path, make_spec(pilot={"colour": "red"}))
    with pytest.raises(PreregistrationError) as caught:
        load(path)
    assert str(caught.value) == (f"{path}: pilot.colour: unknown key "
                                 "(not part of the pre-registration schema)")


def test_invalid_toml_is_refused(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[pilot\nkey = 1")
    with pytest.raises(PreregistrationError, match="not valid TOML"):
        load(path)


@pytest.mark.parametrize(("metric", "reason"), [
    # Issue 12 item 7: values in the wrong unit, refused with the likely meaning.
    ({"minimum_effect": 5}, "minimum_effect = 5 is impossible for a proportion, whose "
                            "differences lie below 1 (shares are written as fractions): "
                            "did you mean 0.05?"),
    ({"minimum_effect": 1}, "did you mean 0.01?"),
    ({"minimum_effect": 250}, "minimum_effect = 250 is impossible for a proportion"),
    ({"baseline": 12}, "baseline = 12 is impossible for a proportion, which lies between 0 "
                       "and 1: did you mean 0.12?"),
    ({"baseline": 0}, "baseline = 0 is impossible for a proportion"),
    ({"baseline": 0.01}, "baseline 0.01 moved by minimum_effect 0.02 (decrease) gives "
                         "-0.01, impossible for a proportion"),
    ({"baseline": 0.99, "direction": "increase"}, "gives 1.01, impossible for a proportion"),
    ({"kind": "rate", "baseline": 0}, "baseline = 0 is impossible for a rate"),
    ({"kind": "rate", "baseline": 0.01}, "gives -0.01, impossible for a rate"),
])
def test_plan_values_impossible_for_their_kind_are_refused(metric, reason):
    found = problems(make_spec(metrics=[{**PRIMARY, **metric}]))
    assert [(w, r) for w, r in found if reason in r] == [("metrics[churn-90d]", found[0][1])]


def test_a_proportion_guardrail_margin_in_points_is_refused():
    guard = {"key": "opt-out", "kind": "proportion", "role": "guardrail",
             "direction": "decrease", "margin": 2}
    [(where, reason)] = problems(make_spec(metrics=[PRIMARY, guard]))
    assert where == "metrics[opt-out]" and reason.endswith("did you mean 0.02?")


@pytest.mark.parametrize("metric", [
    {"minimum_effect": 0.99, "direction": "increase"},  # without a baseline: a share 0→0.99
    {"baseline": 0.5, "minimum_effect": 0.49},
    {"kind": "mean", "minimum_effect": 5, "baseline": -40},  # a mean may be anything
    {"kind": "rate", "minimum_effect": 4, "baseline": 38},
])
def test_possible_values_pass(metric):
    parse(make_spec(metrics=[{**PRIMARY, **metric}]))
