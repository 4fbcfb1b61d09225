"""The demo: the seven example pilots, generated data, every recommendation shown, and
one pilot decided with a published learning card."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

import lab.portfolio.stored  # noqa: F401 (the refresher, as `lab demo` installs it)
from lab import db, demo
from lab.accounts import add_user
from lab.analysis.pipeline import recommend_pilots
from lab.demo import data as demo_data
from lab.models import Note, Observation, Pilot, Spend, User
from lab.pilots.overlap import overlaps
from lab.pilots.plans import load
from tests.conftest import POSTGRES_URL
from tests.factories import start_pilot


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    summary = demo.build(url)
    yield url, summary
    db.engine_for(url).dispose()


def test_the_examples_cover_every_design_kind_and_direction():
    specs = [load(path) for path in sorted(demo.EXPERIMENTS.glob("*.toml"))]
    assert len(specs) == 7
    assert {s.pilot.design.value for s in specs} == {"holdout", "diff-in-diff", "baseline",
                                                     "comparison-scopes"}
    assert {m.kind.value for s in specs for m in s.metrics} == {"proportion", "mean", "rate"}
    assert any(m.direction.value == "decrease" for s in specs for m in s.metrics)
    assert all(m.margin for s in specs for m in s.guardrails)
    assert all(s.guardrails for s in specs)


def test_the_demo_starts_every_example_and_logs_data(demo_url):
    url, summary = demo_url
    assert len(summary.pilots) == 7
    assert {key: status for key, _, status in summary.pilots if status != "running"} == {
        "lapse-callback": "scaled_up"}
    assert summary.observations > 300
    assert any("callback-at-risk and x-care-1h overlap on channel 'x'" in warning
               for warning in summary.warnings)
    with db.reading(db.engine_for(url)) as session:
        assert len(session.exec(select(Observation)).all()) == summary.observations
        assert session.exec(select(Spend)).all() and session.exec(select(Note)).all()


def test_the_demo_shows_a_stand_by_rule_that_fired(demo_url):
    from lab.pilots import firings
    from lab.pilots.find import get_pilot

    url, _ = demo_url
    with db.reading(db.engine_for(url)) as session:
        fired = firings.by_pilot(session)
        callback, desk = (get_pilot(session, key) for key in ("callback-at-risk", "x-care-1h"))
    [entry] = fired[callback.id]
    assert entry["action"] == "propose_withdrawal" and entry["value"] > 0.05
    assert entry["notify"] == ["omar@bank.example", "pieter@bank.example"]
    assert desk.id not in fired and callback.status == "running"  # a proposal only


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
    assert outcomes["round-up-young-savers"] == "scale_up"
    assert found["round-up-young-savers"].evidence == "comparison"


def test_the_demo_has_a_decided_pilot_with_a_published_card_and_feedback(demo_url):
    import lab

    url, _ = demo_url
    with lab.connect(url) as reader:
        [card] = reader.learnings().to_dict("records")
        figures = reader.programme_figures().set_index("quarter")
        decisions = reader.decisions()
    assert (card["pilot"], card["outcome"], card["decided_by"]) == (
        "lapse-callback", "scaled_up", "manager@lab.example")
    assert card["published_at"] is not None and card["feedback"] == 1
    assert "changed bank account" in card["learned"] and "renewal" in card["next_step"]
    assert list(decisions["pilot"]) == ["lapse-callback"]
    assert str(decisions["decided_at"].iloc[0].date()) == "2026-05-06"  # after its end
    assert figures.loc["all", "decided"] == 1 and figures.loc["all", "win_rate"] == 1.0
    assert figures.loc["all", "extra_low"] > 0  # the scaled-up pilot's summed effect
    with db.reading(db.engine_for(url)) as session:
        from lab.pilots import stances

        pilot = session.exec(select(Pilot).where(Pilot.key == "lapse-callback")).one()
        assert list(stances.of_pilot(session, pilot.id).values()) == ["supports"]


def test_the_complaint_desk_meets_its_service_level_target(demo_url):
    url, _ = demo_url
    with db.reading(db.engine_for(url)) as session:
        found = recommend_pilots(session, ["x-care-1h"], as_of=demo_data.DATA_UNTIL)
    [replied] = [m for m in found["x-care-1h"].metrics if m.key == "replied-1h"]
    assert (replied.target.bound, replied.target.value) == ("at_least", 0.84)
    assert replied.target.low > 0.84 and replied.target.attainment == "meets"
    assert any(reason.startswith("Target met: Replied within 60 minutes")
               for reason in found["x-care-1h"].reasons)


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
def test_the_demo_never_wipes_a_postgresql_database_it_did_not_build(postgres_schema):
    with pytest.raises(demo.DemoError, match="lab demo did not build it"):
        demo.build(postgres_schema)


def test_the_demo_builds_into_an_empty_database_and_rebuilds_it(blank_url):
    first = demo.build(blank_url)
    again = demo.build(blank_url)
    assert first.observations == again.observations > 300


def demo_cli(tmp_path, monkeypatch, url, *args):
    from lab.app import create_app
    from lab.cli.demo import demo_command
    from tests.conftest import LabCliRunner

    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    runner = LabCliRunner(create_app({"DATABASE_URL": url, "SECRET_KEY": "t"}))
    return runner.invoke(demo_command, ["--no-serve", *args])


def holdings(url) -> tuple[list[str], list[str]]:
    with db.reading(db.engine_for(url)) as session:
        return ([user.email for user in session.exec(select(User))],
                [pilot.key for pilot in session.exec(select(Pilot))])


def test_lab_demo_builds_its_own_database_and_leaves_lab_s_alone(database_url, session,
                                                                 tmp_path, monkeypatch):
    add_user(session, email="ana@bank.example", password="a long password", role="admin",
             actor="ana (cli)")
    start_pilot(session)
    session.commit()
    before = holdings(database_url)
    result = demo_cli(tmp_path, monkeypatch, database_url)
    assert result.exit_code == 0, result.output
    demo_file = tmp_path / "instance" / "demo.sqlite"
    assert f"demo database: sqlite:///{demo_file}" in result.stdout
    assert holdings(database_url) == before
    assert len(holdings(f"sqlite:///{demo_file}")[1]) == 7
    db.engine_for(f"sqlite:///{demo_file}").dispose()


def test_the_demo_refuses_a_database_holding_real_data_and_changes_nothing(
        database_url, session, tmp_path, monkeypatch):
    start_pilot(session)
    before = holdings(database_url)
    with pytest.raises(demo.DemoError, match="lab demo did not build it"):
        demo.build(database_url)
    result = demo_cli(tmp_path, monkeypatch, database_url, "--database", database_url)
    assert result.exit_code == 1 and "nothing was changed" in result.stderr
    assert holdings(database_url) == before


def test_the_demo_refuses_a_database_lab_init_made_even_if_empty(database_url):
    with pytest.raises(demo.DemoError, match="lab demo did not build it"):
        demo.build(database_url)


def test_the_demo_rebuilds_its_own_database_after_people_tried_it(tmp_path):
    from lab.pilots import evidence

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    demo.build(url)
    with db.writing(db.engine_for(url)) as session:  # a demo user adds a note
        evidence.add_note(session, pilot_key="x-care-1h", actor="member@lab.example",
                          kind="risk", noted_on=date(2026, 11, 1), source="desk", text="Mine")
    summary = demo.build(url)
    assert len(summary.pilots) == 7
    db.engine_for(url).dispose()


def test_the_demo_refuses_its_own_database_once_someone_else_changed_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    demo.build(url)
    with db.writing(db.engine_for(url)) as session:
        add_user(session, email="ana@bank.example", password="a long password",
                 role="admin", actor="ana (cli)")
    with pytest.raises(demo.DemoError, match=r"changes by ana \(cli\)"):
        demo.build(url)
    assert "ana@bank.example" in holdings(url)[0]
    db.engine_for(url).dispose()


def test_the_demo_refuses_a_file_that_is_not_a_lab_database(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("my notes, not a database")
    with pytest.raises(demo.DemoError, match="nothing was changed"):
        demo.build(f"sqlite:///{path}")
    assert path.read_text() == "my notes, not a database"


@pytest.mark.slow
def test_the_outcomes_do_not_depend_on_the_seed():
    from collections import Counter

    import lab

    wanted = {"x-care-1h": "scale_up", "callback-at-risk": "revise",
              "thermostat-community": "withdraw", "linkedin-wealth": "continue",
              "forum-codesign": "scale_up", "round-up-young-savers": "scale_up",
              "lapse-callback": "scale_up"}
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
