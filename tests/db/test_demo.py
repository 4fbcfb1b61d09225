"""The demo: the five example pilots, generated data, and every recommendation shown."""

from __future__ import annotations

import pytest
from sqlmodel import select

from lab import db, demo
from lab.analysis.pipeline import recommend_pilots
from lab.demo import data as demo_data
from lab.models import Note, Observation, Spend
from lab.pilots.overlap import overlaps
from lab.pilots.plans import load
from tests.conftest import POSTGRES_URL


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    summary = demo.build(url)
    yield url, summary
    db.engine_for(url).dispose()


def test_the_examples_cover_every_design_kind_and_direction():
    specs = [load(path) for path in sorted(demo.EXPERIMENTS.glob("*.toml"))]
    assert len(specs) == 5
    assert {s.pilot.design.value for s in specs} == {"holdout", "diff-in-diff", "baseline"}
    assert {m.kind.value for s in specs for m in s.metrics} == {"proportion", "mean", "rate"}
    assert any(m.direction.value == "decrease" for s in specs for m in s.metrics)
    assert all(m.margin for s in specs for m in s.guardrails)
    assert all(s.guardrails for s in specs)


def test_the_demo_starts_every_example_and_logs_data(demo_url):
    url, summary = demo_url
    assert len(summary.pilots) == 5
    assert {status for _, _, status in summary.pilots} == {"running"}
    assert summary.observations > 300
    assert any("callback-at-risk and x-care-1h overlap on channel 'x'" in warning
               for warning in summary.warnings)
    with db.reading(db.engine_for(url)) as session:
        assert len(session.exec(select(Observation)).all()) == summary.observations
        assert session.exec(select(Spend)).all() and session.exec(select(Note)).all()


def test_the_generated_data_is_deterministic():
    spec = load(demo.EXPERIMENTS / "x-care-1h.toml")
    assert demo_data.observation_rows(spec) == demo_data.observation_rows(spec)
    first = demo_data.observation_rows(spec)[0]
    assert first["period"] == "2026-06-01" and first["trials"] > 0


def test_the_demo_shows_every_recommendation(demo_url):
    url, _ = demo_url
    with db.reading(db.engine_for(url)) as session:
        found = recommend_pilots(session, as_of=demo_data.DATA_UNTIL)
    outcomes = {key: recommendation.outcome for key, recommendation in found.items()}
    assert set(outcomes.values()) == {"scale_up", "revise", "withdraw", "continue"}, outcomes
    assert outcomes["x-care-1h"] == "scale_up"
    assert outcomes["callback-at-risk"] == "revise"
    assert outcomes["thermostat-community"] == "withdraw"
    assert outcomes["linkedin-wealth"] == "continue"


def test_rebuilding_starts_from_scratch(tmp_path):
    url = f"sqlite:///{tmp_path / 'again.sqlite'}"
    first = demo.build(url)
    second = demo.build(url)
    assert first.observations == second.observations
    with db.reading(db.engine_for(url)) as session:
        assert len(overlaps(session)) == 1
    db.engine_for(url).dispose()


def test_lab_demo_no_serve_prints_the_portfolio(tmp_path, monkeypatch):
    from lab.app import create_app
    from lab.cli.demo import demo_command
    from tests.conftest import LabCliRunner

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    runner = LabCliRunner(create_app({"DATABASE_URL": url, "SECRET_KEY": "t"}))
    result = runner.invoke(demo_command, ["--no-serve"])
    assert result.exit_code == 0, result.output
    assert "x-care-1h" in result.stdout and "manager@lab.example" in result.stdout
    assert "observations logged up to 2026-11-16" in result.stdout
    assert "warning: pilots callback-at-risk and x-care-1h overlap" in result.stderr
    db.engine_for(url).dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="needs LAB_TEST_DATABASE_URL")
def test_the_demo_never_wipes_a_postgresql_database_with_tables(postgres_schema):
    with pytest.raises(demo.DemoError, match="already has tables"):
        demo.build(postgres_schema)


@pytest.mark.slow
def test_the_outcomes_do_not_depend_on_the_seed():
    from collections import Counter

    import lab

    wanted = {"x-care-1h": "scale_up", "callback-at-risk": "revise",
              "thermostat-community": "withdraw", "linkedin-wealth": "continue",
              "forum-codesign": "scale_up"}
    specs, rows = [], []
    for seed in range(100):
        for path in sorted(demo.EXPERIMENTS.glob("*.toml")):
            spec = load(path)
            key = f"{spec.pilot.key}-{seed}"
            specs.append(spec.model_copy(update={
                "pilot": spec.pilot.model_copy(update={"key": key})}))
            rows += [{**row, "pilot": key} for row in demo_data.observation_rows(spec, seed)]
    found = lab.check_portfolio(specs, rows, as_of=demo_data.DATA_UNTIL)
    shown = Counter(key.rsplit("-", 1)[0] for key, r in found.items()
                    if r.outcome == wanted[key.rsplit("-", 1)[0]])
    # The misses allowed are the analysis's own error rates (a false pre-trend alarm, a
    # holdout interval crossing early); each pilot shows its outcome under 97 seeds of 100.
    assert all(shown[key] >= 97 for key in wanted), shown
