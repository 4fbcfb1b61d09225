"""The notebook API: connect read-only, tidy typed DataFrames, the web's own answers."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import lab
from lab import notebook
from lab.analysis.pipeline import recommend_pilots
from lab.app import create_app
from lab.pilots import lifecycle
from lab.stats import planning
from lab.stats.multiplicity import bh_q_values
from tests.factories import (
    ACTOR,
    DECIDED,
    DRAFT,
    NOTE,
    RUNNING,
    make_spec,
    observation_rows,
    populate,
    write_csv,
    write_spec,
)

# The documented columns and dtypes (see the Lab methods' docstrings and the README).
TEXT, CATEGORY, DATE, STAMP = "string", "category", "datetime64[ns]", "datetime64[ns, UTC]"
SCHEMAS = {
    "hypotheses": {"key": TEXT, "statement": TEXT, "process": CATEGORY,
                   "expected_benefit": TEXT, "sponsors": TEXT, "owner": TEXT,
                   "pilots": "Int64", "created_at": STAMP},
    "pilots": {"key": TEXT, "title": TEXT, "hypothesis": TEXT, "iteration": "Int64",
               "parent": TEXT, "channel": TEXT, "segment": TEXT, "design": CATEGORY,
               "analysis": CATEGORY, "status": CATEGORY, "allocation": "Float64",
               "alpha": "Float64", "power": "Float64", "planned_sample": "Int64",
               "planned_periods": "Int64", "start": DATE, "end": DATE, "budget": "Float64",
               "spend": "Float64", "currency": TEXT, "owner": TEXT, "team": TEXT,
               "started_at": STAMP},
    "metrics": {"pilot": TEXT, "key": TEXT, "label": TEXT, "kind": CATEGORY,
                "role": CATEGORY, "direction": CATEGORY, "minimum_effect": "Float64",
                "margin": "Float64", "baseline": "Float64"},
    "observations": {"pilot": TEXT, "metric": TEXT, "arm": CATEGORY, "phase": CATEGORY,
                     "period": DATE, "successes": "Int64", "trials": "Int64", "n": "Int64",
                     "mean": "Float64", "sd": "Float64", "events": "Int64",
                     "exposure": "Float64"},
    "notes": {"pilot": TEXT, "kind": CATEGORY, "noted_on": DATE, "source": TEXT,
              "text": TEXT, "recorded_by": TEXT},
    "spend": {"pilot": TEXT, "spent_on": DATE, "amount": "Float64", "description": TEXT,
              "recorded_by": TEXT},
    "decisions": {"pilot": TEXT, "outcome": CATEGORY, "recommended": CATEGORY,
                  "rationale": TEXT, "decided_by": TEXT, "decided_at": STAMP},
    "recommendations": {
        "pilot": TEXT, "title": TEXT, "status": CATEGORY, "design": CATEGORY,
        "analysis": CATEGORY, "outcome": CATEGORY, "final": "boolean",
        "information_fraction": "Float64", "metric": TEXT, "kind": CATEGORY,
        "direction": CATEGORY, "estimate": "Float64", "ci_low": "Float64",
        "ci_high": "Float64", "p_value": "Float64", "q_value": "Float64",
        "minimum_effect": "Float64",
        "lift": "Float64", "lift_ci_low": "Float64", "lift_ci_high": "Float64",
        "n_pilot": "Float64", "n_control": "Float64", "needed_sample": "Int64",
        "projected_date": DATE, "budget": "Float64", "spend": "Float64", "currency": TEXT,
        "incremental": "Float64", "cost_per_incremental": "Float64", "attainment": CATEGORY,
        "reasons": TEXT},
    "effects": {"pilot": TEXT, "metric": TEXT, "role": CATEGORY, "kind": CATEGORY,
                "direction": CATEGORY, "estimate": "Float64", "ci_low": "Float64",
                "ci_high": "Float64", "p_value": "Float64", "lift": "Float64",
                "lift_ci_low": "Float64", "lift_ci_high": "Float64", "method": TEXT,
                "n_pilot": "Float64", "n_control": "Float64", "target_bound": CATEGORY,
                "target": "Float64", "target_level": "Float64", "target_low": "Float64",
                "target_high": "Float64", "attainment": CATEGORY},
}


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {name: "category" if isinstance(dtype, pd.CategoricalDtype) else str(dtype)
            for name, dtype in frame.dtypes.items()}


@pytest.fixture
def filled(session, database_url) -> str:
    """Return the URL of a database holding the report test lab."""
    populate(session)
    return database_url


@pytest.fixture
def reader(filled):
    """Return a read-only Lab on the filled database."""
    connection = lab.connect(filled)
    yield connection
    connection.close()


@pytest.mark.parametrize("name", [n for n in SCHEMAS if n not in ("recommendations",
                                                                   "effects")])
def test_frames_have_the_documented_columns_and_dtypes_when_empty(database_url, name):
    with lab.connect(database_url) as reader:
        frame = getattr(reader, name)()
    assert frame.empty
    assert dtypes(frame) == SCHEMAS[name]


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_frames_have_the_documented_columns_and_dtypes(reader, name):
    frame = getattr(reader, name)()
    assert not frame.empty
    assert dtypes(frame) == SCHEMAS[name]


def test_pilots_frame_holds_plan_status_team_and_spend(reader):
    pilots = reader.pilots().set_index("key")
    assert list(pilots.index) == sorted([RUNNING, DECIDED, DRAFT])
    running = pilots.loc[RUNNING]
    assert running["status"] == "running" and running["channel"] == "x"
    assert running["spend"] == pytest.approx(6000.5)
    assert running["team"] == "Ana (service), Raj (it)"
    assert running["start"] == pd.Timestamp("2026-01-05")
    assert pilots.loc[DECIDED, "status"] == "withdrawn"
    assert pd.isna(pilots.loc[DRAFT, "started_at"])


def test_observations_are_the_logged_rows_with_the_csv_columns(reader):
    frame = reader.observations(RUNNING)
    sent = pd.DataFrame(observation_rows(RUNNING, periods=6))
    assert len(frame) == len(sent)
    row = frame[(frame["metric"] == "churn-90d") & (frame["arm"] == "control")].iloc[0]
    assert (row["successes"], row["trials"], row["period"]) == (
        48, 400, pd.Timestamp("2026-01-05"))
    assert pd.isna(row["mean"]) and pd.isna(row["events"])
    assert set(reader.observations()["pilot"]) == {RUNNING, DECIDED}


def test_unknown_pilots_are_an_error_not_an_empty_frame(reader):
    for method in (reader.metrics, reader.observations, reader.summaries, reader.notes,
                   reader.recommendations, reader.effects, reader.check, reader.looks):
        with pytest.raises(LookupError, match="no pilot 'nope'"):
            method("nope")


def test_check_is_the_services_answer_and_the_pure_check_agrees(reader, session):
    answer = reader.check(RUNNING).to_dict()
    assert answer == recommend_pilots(session, [RUNNING])[RUNNING].to_dict()
    again = lab.check(reader.spec(RUNNING), reader.observations(RUNNING)).to_dict()
    assert (again["outcome"], again["reasons"]) == (answer["outcome"], answer["reasons"])
    # SQL and pandas sum in different orders: equal up to rounding, not to the last bit.
    for mine, theirs in zip(again["metrics"] + again["looks"],
                            answer["metrics"] + answer["looks"], strict=True):
        assert mine.keys() == theirs.keys()
        for name, value in mine.items():
            if isinstance(value, float):
                assert value == pytest.approx(theirs[name], rel=1e-9), name
            else:
                assert value == theirs[name], name


def test_check_of_a_draft_says_it_has_not_started(reader):
    with pytest.raises(LookupError, match="draft"):
        reader.check(DRAFT)


def test_looks_frame_is_the_recommendations_look_history(reader):
    looks = reader.looks(RUNNING)
    expected = reader.check(RUNNING).to_dict()["looks"]
    assert len(looks) == len(expected) == 6
    assert list(looks["estimate"]) == pytest.approx([look["estimate"] for look in expected])
    assert looks["period"].iloc[0] == pd.Timestamp("2026-01-05")
    assert set(looks["outcome"]) <= {"scale_up", "revise", "withdraw", "continue"}


def test_recommendations_hold_the_primary_effect_q_value_and_spend(reader, session):
    frame = reader.recommendations().set_index("pilot")
    assert sorted(frame.index) == [RUNNING, DECIDED]  # drafts have no recommendation
    answers = {k: r.to_dict() for k, r in recommend_pilots(session).items()}
    primaries = {k: next(m for m in a["metrics"] if m["role"] == "primary")
                 for k, a in answers.items()}
    _, adjusted = bh_q_values([primaries[k]["p_value"] for k in sorted(primaries)])
    expected_q = dict(zip(sorted(primaries), adjusted, strict=True))
    for key, row in frame.iterrows():
        assert row["outcome"] == answers[key]["outcome"]
        assert row["estimate"] == pytest.approx(primaries[key]["estimate"])
        assert row["ci_low"] == pytest.approx(primaries[key]["ci_low"])
        assert row["q_value"] == pytest.approx(expected_q[key])
        assert row["minimum_effect"] == pytest.approx(0.02)
    assert frame.loc[RUNNING, "spend"] == pytest.approx(6000.5)
    assert frame.loc[DECIDED, "status"] == "withdrawn"


def test_recommendations_of_some_pilots_keep_the_portfolios_q_values(reader):
    whole = reader.recommendations().set_index("pilot")
    one = reader.recommendations(RUNNING).set_index("pilot")
    assert list(one.index) == [RUNNING]
    assert one.loc[RUNNING, "q_value"] == pytest.approx(whole.loc[RUNNING, "q_value"])


def test_cost_per_incremental_outcome_only_once_an_effect_is_measured(reader):
    for row in reader.recommendations().itertuples():
        if row.ci_low > 0:
            assert row.incremental == pytest.approx(row.estimate * row.n_pilot)
            assert (row.cost_per_incremental == pytest.approx(row.spend / row.incremental)
                    if row.spend > 0 else pd.isna(row.cost_per_incremental))
        else:
            assert pd.isna(row.incremental) and pd.isna(row.cost_per_incremental)


def test_effects_list_every_metric_of_each_started_pilot(reader):
    effects = reader.effects(RUNNING)
    assert list(effects["metric"]) == ["churn-90d", "cost-per-contact", "complaints"]
    assert list(effects["role"]) == ["primary", "guardrail", "secondary"]


def test_notes_spend_and_decisions_are_read_back(reader):
    assert reader.notes(RUNNING)["text"].tolist() == [NOTE]
    assert reader.spend(RUNNING)["amount"].sum() == pytest.approx(6000.5)
    decision = reader.decisions().iloc[0]
    assert (decision["pilot"], decision["outcome"]) == (DECIDED, "withdrawn")


def test_summaries_are_the_aggregates_the_checks_use(reader):
    summaries = reader.summaries(RUNNING)
    churn = summaries[(summaries["metric"] == "churn-90d") & (summaries["arm"] == "pilot")]
    assert churn["n"].tolist()[:2] == [400.0, 410.0]
    assert churn["total"].tolist()[:2] == [40.0, 41.0]


def test_read_only_connection_refuses_writes_in_the_database_itself(reader, filled):
    with pytest.raises(DBAPIError), reader.engine.begin() as connection:
        connection.execute(text("UPDATE pilot SET title = 'changed'"))
    with pytest.raises(PermissionError, match="read-only"):
        reader.sync([])
    with pytest.raises(PermissionError, match="read-only"):
        reader.import_csv("anything.csv")
    assert "changed" not in set(reader.pilots()["title"])


def test_read_only_connection_to_a_missing_file_creates_nothing(tmp_path):
    path = tmp_path / "missing.sqlite"
    with pytest.raises(FileNotFoundError, match="lab demo --no-serve"):
        lab.connect(f"sqlite:///{path}")
    assert not path.exists()


def test_connect_reads_lab_database_url(monkeypatch, filled):
    monkeypatch.setenv("LAB_DATABASE_URL", filled)
    with lab.connect() as connection:
        assert connection.engine.url.render_as_string(hide_password=False) == filled
        assert not connection.writable and "read-only" in repr(connection)


def test_connect_without_configuration_finds_the_apps_database(monkeypatch, tmp_path):
    monkeypatch.delenv("LAB_DATABASE_URL", raising=False)
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    assert notebook.database_url() == create_app().config["DATABASE_URL"]


def test_writable_connection_syncs_plans_and_imports_csv(database_url, tmp_path, session):
    writer = lab.connect(database_url, writable=True)
    result = writer.sync(write_spec(tmp_path / "experiments", make_spec()))
    assert result.created == [RUNNING]
    lifecycle.start(session, pilot_key=RUNNING, actor=ACTOR)
    session.commit()
    rows = observation_rows(RUNNING, periods=2, metrics=("churn-90d",))
    imported = writer.import_csv(write_csv(tmp_path / "week.csv", rows), actor=ACTOR)
    assert imported.inserted == len(rows)
    with lab.connect(database_url) as reader:
        assert len(reader.observations(RUNNING)) == len(rows)


def test_plan_gives_every_analysis_its_inflated_sample_and_weeks():
    rows = notebook.plan("proportion", 0.02, baseline=0.12, direction="decrease",
                         weekly_volume=800).set_index("analysis")
    fixed = planning.proportion_sample_size(0.12, 0.02, direction="decrease")
    assert list(rows.index) == ["fixed", "sequential", "always-valid"]
    assert rows.loc["fixed", "sample_per_arm"] == math.ceil(fixed)
    assert rows.loc["sequential", "sample_per_arm"] == math.ceil(fixed * 1.03)
    assert rows.loc["always-valid", "sample_per_arm"] == math.ceil(fixed * 1.8)
    assert rows.loc["fixed", "weeks"] == math.ceil(math.ceil(fixed) / 400)
    assert pd.isna(rows.loc["fixed", "guardrail_sample"])
    assert dtypes(rows.reset_index()) == {"analysis": TEXT, "inflation": "Float64",
                                          "primary_sample": "Int64",
                                          "guardrail_sample": "Int64",
                                          "sample_per_arm": "Int64", "weeks": "Int64"}


def test_plan_takes_the_larger_need_when_a_guardrail_needs_more():
    guardrail = {"kind": "mean", "sd": 4.0, "margin": 0.2}
    rows = notebook.plan("mean", 1.0, sd=4.0, guardrails=[guardrail]).set_index("analysis")
    needed = planning.guardrail_sample_size(16.0, 0.2, guardrails=1)
    assert rows.loc["fixed", "guardrail_sample"] == math.ceil(needed)
    assert rows.loc["fixed", "sample_per_arm"] == math.ceil(needed)
    assert rows.loc["fixed", "primary_sample"] < rows.loc["fixed", "guardrail_sample"]
