"""The portfolio read model: each rule of the portfolio's numbers, computed once."""

from __future__ import annotations

import copy

import pytest

from lab import portfolio
from lab.pilots.observations import record_observations
from tests.factories import ACTOR, observation_rows, register_pilot, start_pilot


def primary(**values) -> dict:
    return {"key": "churn-90d", "role": "primary", "kind": "proportion", "n_pilot": 1000,
            **values}


@pytest.mark.parametrize(("entry", "extra"), [
    (primary(estimate=0.03, ci_low=0.01), 30.0),  # 3 points of 1,000 customers
    (primary(kind="rate", estimate=0.002, ci_low=0.001, n_pilot=5000.0), 10.0),
    (primary(estimate=0.03, ci_low=-0.01), None),  # not measured yet: the interval spans 0
    (primary(estimate=0.03, ci_low=0.0), None),
    (primary(estimate=None, ci_low=None), None),
    (primary(estimate=0.03, ci_low=0.01, n_pilot=None), None),
    (primary(kind="mean", estimate=2.0, ci_low=1.0), None),  # a mean counts no outcomes
])
def test_extra_outcomes_are_counted_once_the_effect_is_measured(entry, extra):
    assert portfolio.incremental_outcomes(entry) == (None if extra is None
                                                     else pytest.approx(extra))


def test_cost_per_outcome_needs_extra_outcomes_and_recorded_spend():
    measured = primary(estimate=0.03, ci_low=0.01)
    assert portfolio.cost_per_outcome(measured, 600.0) == pytest.approx(20.0)
    assert portfolio.cost_per_outcome(measured, 0.0) is None  # not known, not free
    assert portfolio.cost_per_outcome(primary(estimate=0.03, ci_low=-0.01), 600.0) is None
    assert portfolio.cost_per_outcome(primary(kind="mean", estimate=2.0, ci_low=1.0),
                                      600.0) is None


def answer(p_value) -> dict:
    return {"metrics": [primary(p_value=p_value), {"key": "g", "role": "guardrail",
                                                    "p_value": 0.5}]}


def test_q_values_adjust_the_primaries_that_have_a_p_value():
    q = portfolio.q_values({"a": answer(0.01), "b": answer(0.04), "c": answer(None),
                            "d": {"metrics": []}})
    # Benjamini–Hochberg over two p-values: 0.01 × 2/1 and 0.04 × 2/2.
    assert q["a"] == pytest.approx(0.02) and q["b"] == pytest.approx(0.04)
    assert q["c"] is None and q["d"] is None


def test_thresholds_come_from_the_plan_and_leave_the_answer_as_it_was():
    found = {"pilot": "p", "metrics": [primary(estimate=0.03), {"key": "cost",
                                                                 "role": "guardrail"}]}
    before = copy.deepcopy(found)
    plan = {"metrics": [{"key": "churn-90d", "minimum_effect": 0.02, "label": "Churn"},
                        {"key": "cost", "margin": 1.5}]}
    shown = portfolio.with_thresholds(found, plan)
    assert found == before  # the cached recommendations are shared: never changed
    churn, cost = shown["metrics"]
    assert (churn["minimum_effect"], churn["margin"], churn["label"]) == (0.02, None, "Churn")
    assert churn["estimate"] == 0.03
    assert (cost["minimum_effect"], cost["margin"], cost["label"]) == (None, 1.5, None)


@pytest.mark.parametrize(("statuses", "state"), [
    ([], "open"), (["draft", "running"], "open"), (["revised", "scaled_up"], "supported"),
    (["withdrawn"], "refuted"), (["scaled_up", "running", "withdrawn"], "mixed"),
])
def test_a_hypothesis_state_follows_from_its_pilots(statuses, state):
    assert portfolio.hypothesis_state(statuses) == state


@pytest.fixture
def two_pilots(session):
    """The running x-care-1h with six weeks of data, and a draft with the same plan."""
    start_pilot(session)
    register_pilot(session, key="x-care-draft", pilot={"channel": "instagram"})
    record_observations(session, rows=observation_rows(periods=6), actor=ACTOR)
    session.commit()


def test_a_draft_row_shows_its_plan_and_no_standing(session, two_pilots):
    rows = {row.key: row for row in portfolio.build(session)}
    draft, running = rows["x-care-draft"], rows["x-care-1h"]
    assert draft.recommendation is None and draft.outcome is None and draft.q_value is None
    assert {name: draft.primary.get(name) for name in ("key", "kind", "minimum_effect",
                                                       "estimate")} == {
        "key": "churn-90d", "kind": "proportion", "minimum_effect": 0.02, "estimate": None}
    assert draft.effect_ratio is None and draft.cost_per_outcome is None
    assert running.primary["minimum_effect"] == 0.02 and running.primary["estimate"] is not None
    assert running.effect_ratio == pytest.approx(running.primary["estimate"] / 0.02)
    assert running.q_value == running.recommendation["q_value"] is not None


def test_answers_carry_the_q_value_and_thresholds_and_refuse_drafts(session, two_pilots):
    found = portfolio.answer(session, "x-care-1h")
    assert found["q_value"] == pytest.approx(found["metrics"][0]["p_value"])  # one pilot
    assert found["metrics"][1]["margin"] == 1.5
    with pytest.raises(LookupError, match="'x-care-draft' is draft"):
        portfolio.answer(session, "x-care-draft")
    with pytest.raises(LookupError, match="no pilot 'nope'"):
        portfolio.answer(session, "nope")


def test_the_recommendations_are_kept_until_the_data_change(session, two_pilots):
    first = portfolio.recommendations(session)
    assert portfolio.recommendations(session) == first  # read back, not recomputed
    record_observations(session, rows=observation_rows(periods=7)[-6:], actor=ACTOR)
    session.commit()  # the commit refreshed the pilot's stored answer
    again = portfolio.recommendations(session)
    assert again != first
    assert len(again["x-care-1h"]["looks"]) == len(first["x-care-1h"]["looks"]) + 1


def test_a_kept_summary_carries_the_plans_current_thresholds(session, two_pilots):
    # The decoded summaries are kept with their thresholds (`lab.portfolio.decoded`): a
    # label or minimum effect changed without a refresh (the stored stamp unchanged)
    # must still reach the next read, and match a summary decoded afresh.
    from sqlalchemy import text

    from lab.portfolio import decoded

    before = {row.key: row for row in portfolio.build(session)}["x-care-1h"]
    assert before.recommendation["metrics"][0]["label"] != "Churn, renamed"
    session.execute(text("UPDATE metric SET label = 'Churn, renamed', minimum_effect = 0.03 "
                         "WHERE key = 'churn-90d'"))
    kept = {row.key: row for row in portfolio.build(session)}["x-care-1h"]
    decoded._decoded.clear()
    fresh = {row.key: row for row in portfolio.build(session)}["x-care-1h"]
    assert kept.recommendation == fresh.recommendation
    assert (kept.primary["label"], kept.minimum_effect) == ("Churn, renamed", 0.03)


def test_shared_plans_keep_each_pilots_own_values_to_the_sign(session):
    # `decoded.plans` shares one tuple between pilots whose planned metrics are equal;
    # 0.0 and -0.0 are equal but are not the same value (PostgreSQL keeps the sign;
    # SQLite stores either as 0), so each pilot's plan must read back as the dicts
    # `planned_metrics` gives, to the sign.
    from sqlalchemy import text

    from lab.pilots.reads import planned_metrics
    from lab.portfolio import decoded

    for key, channel in (("x-plus", "instagram"), ("x-minus", "tiktok")):
        register_pilot(session, key=key, pilot={"channel": channel})
    for key, value in (("x-plus", 0.0), ("x-minus", -0.0)):
        # Not the primary's: its minimum effect must be positive.
        session.execute(text("UPDATE metric SET minimum_effect = :value WHERE role <> "
                             "'primary' AND pilot_id = (SELECT id FROM pilot WHERE key = :key)"),
                        {"value": value, "key": key})
    session.commit()
    expected = planned_metrics(session)
    shared = decoded.plans(session)
    assert set(shared) == set(expected)
    for pilot_id, metrics in expected.items():
        got = decoded.plan_of(shared[pilot_id])["metrics"]
        assert repr(got) == repr(metrics)
