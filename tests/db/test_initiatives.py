"""Initiatives outside the lab: registered, mapped, checked against pilots, adopted."""

from __future__ import annotations

import pytest
from sqlmodel import select

from lab.errors import Conflict, NotFound
from lab.models import BacklogEntry
from lab.pilots import audit, initiatives
from lab.pilots.find import get_hypothesis
from lab.pilots.plans import PreregistrationError
from lab.portfolio.coverage import SEGMENT_ONLY, coverage, coverage_frame
from tests.factories import ACTOR, register_pilot, start_pilot

DESK = {"key": "branch-x-desk", "name": "Branch complaints answered on X",
        "function": "service", "channel": "X", "process": "retention",
        "start_date": "2026-02-01", "status": "running",
        "measures": "complaints resolved within a day", "contact": "lea@bank.example"}


def test_register_update_and_audit(session):
    row = initiatives.register(session, spec=DESK, actor=ACTOR)
    assert (row.channel, row.status, row.end_date) == ("x", "running", None)
    initiatives.register(session, spec={**DESK, "status": "ended", "end_date": "2026-06-30"},
                         actor=ACTOR)
    assert initiatives.get(session, "branch-x-desk").status == "ended"
    actions = [e.action for e in audit.events(session, object_key="branch-x-desk")]
    assert actions == ["create", "update"]


@pytest.mark.parametrize(("change", "where"), [
    ({"channel": None}, ""), ({"end_date": "2026-01-01"}, ""),
    ({"contact": "lea"}, "contact"), ({"process": "loyalty"}, "process"),
    ({"status": "paused"}, "status"), ({"budget": 3}, "budget")])
def test_bad_initiatives_are_refused_naming_the_field(session, change, where):
    with pytest.raises(PreregistrationError) as raised:
        initiatives.register(session, spec={**DESK, **change}, actor=ACTOR)
    assert raised.value.problems[0][0] == where
    assert initiatives.listed(session) == []


def test_an_initiative_on_a_running_pilots_scope_raises_the_overlap(session):
    start_pilot(session)  # x-care-1h: channel x, 2026-01-05 to 2026-03-29
    initiatives.register(session, spec=DESK, actor=ACTOR)
    initiatives.register(session, actor=ACTOR, spec={
        **DESK, "key": "later", "start_date": "2026-04-01"})  # after the pilot ends
    initiatives.register(session, actor=ACTOR, spec={  # over before the pilot began
        **DESK, "key": "earlier", "start_date": "2025-10-01", "end_date": "2025-12-31"})
    initiatives.register(session, actor=ACTOR, spec={
        **DESK, "key": "forum", "channel": "forum"})
    [clash] = initiatives.clashes(session)
    assert (clash.initiative, clash.pilot, clash.scope) == ("branch-x-desk", "x-care-1h",
                                                            "channel 'x'")
    assert "from 2026-02-01 to 2026-03-29" in clash.message


def test_the_coverage_map_shows_where_nobody_tests(session):
    start_pilot(session)
    register_pilot(session, key="seg-only", pilot={"channel": None, "segment": "wealth"},
                   hypothesis={"key": "wealth", "process": "development"})
    initiatives.register(session, spec=DESK, actor=ACTOR)
    initiatives.register(session, actor=ACTOR, spec={
        **DESK, "key": "old", "channel": "facebook", "status": "ended"})
    found = coverage(session)
    assert found.channels == ["x", SEGMENT_ONLY]  # an ended initiative adds no column
    cell = found.cell("retention", "x")
    assert (cell.pilots, cell.initiatives) == (["x-care-1h"], ["branch-x-desk"])
    assert found.cell("development", SEGMENT_ONLY).pilots == ["seg-only"]
    assert found.cell("onboarding", "x").empty
    frame = coverage_frame(found)
    assert len(frame) == 8 * 2 and frame["pilots"].sum() == 2


def test_adopting_puts_a_prefilled_hypothesis_on_the_backlog_once(session):
    initiatives.register(session, spec=DESK, actor=ACTOR)
    key = initiatives.adopt(session, key="branch-x-desk", actor="kim@bank.example")
    hypothesis = get_hypothesis(session, key)
    assert hypothesis.process == "retention" and hypothesis.owner == "kim@bank.example"
    assert "Branch complaints answered on X" in hypothesis.statement
    entry = session.exec(select(BacklogEntry)
                         .where(BacklogEntry.hypothesis_id == hypothesis.id)).one()
    assert entry.function == "service"
    with pytest.raises(Conflict, match="already adopted"):
        initiatives.adopt(session, key="branch-x-desk", actor=ACTOR)
    with pytest.raises(NotFound):
        initiatives.adopt(session, key="nope", actor=ACTOR)


def test_the_command_line_and_the_notebook(session, engine, runner):
    from lab.notebook import Lab

    start_pilot(session)
    added = runner.invoke(args=["initiative", "add", "branch-x-desk", "--name",
                                "Branch complaints answered on X", "--function", "service",
                                "--channel", "x", "--process", "retention", "--start",
                                "2026-02-01", "--contact", "lea@bank.example"])
    assert added.exit_code == 0, added.output
    assert "overlaps pilot x-care-1h" in added.output
    bad = runner.invoke(args=["initiative", "add", "bad", "--name", "n", "--function",
                              "service", "--process", "retention", "--start", "2026-13-01",
                              "--contact", "lea@bank.example"])
    assert bad.exit_code == 1 and "start_date" in bad.output
    listed = runner.invoke(args=["initiative", "list"]).output
    assert "branch-x-desk\trunning\tretention\tx\tservice" in listed
    adopted = runner.invoke(args=["initiative", "adopt", "branch-x-desk"])
    assert adopted.exit_code == 0 and "hypothesis branch-x-desk" in adopted.output
    assert runner.invoke(args=["initiative", "adopt", "branch-x-desk"]).exit_code == 1
    lab = Lab(engine)
    frame = lab.initiatives()
    assert frame[["key", "overlaps", "adopted_as"]].values.tolist() == [
        ["branch-x-desk", "x-care-1h", "branch-x-desk"]]
    assert str(frame["start_date"].dtype) == "datetime64[ns]"
    mapped = lab.coverage()
    cell = mapped[(mapped["process"] == "retention") & (mapped["channel"] == "x")]
    assert cell[["pilots", "initiatives"]].values.tolist() == [[1, 1]]


def test_the_demo_registers_initiatives_and_warns_of_the_one_on_x(tmp_path):
    from lab import db, demo

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    summary = demo.build(url)
    assert any("initiative branch-complaints-x (outside the lab) overlaps pilot x-care-1h"
               in warning for warning in summary.warnings)
    with db.reading(db.engine_for(url)) as session:
        assert len(initiatives.listed(session)) == 3
        assert coverage(session).cell("voice-of-the-customer", "customer-forum") \
            .initiatives == ["forum-ideas-board"]
    db.engine_for(url).dispose()
