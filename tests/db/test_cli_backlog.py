"""`lab backlog`: list ranked, add, score; bad input exits non-zero and writes nothing."""

from __future__ import annotations

import json

from sqlmodel import select

from lab.models import BacklogEntry, Hypothesis
from tests.factories import start_pilot

ADD = ["backlog", "add", "callback-leavers", "--statement", "A call-back keeps leavers",
       "--process", "retention", "--benefit", "fewer customers leave", "--sponsor",
       "service", "--owner", "omar@bank.example", "--function", "service",
       "--expected-value", "1.5", "--unit", "points of churn", "--impact", "5", "--fit", "4",
       "--effort", "3", "--confidence", "4"]


def test_add_score_and_list(runner, session):
    start_pilot(session)
    added = runner.invoke(args=ADD)
    assert added.exit_code == 0, added.output
    scored = runner.invoke(args=["backlog", "score", "fast-social-care", "--impact", "2",
                                 "--fit", "2", "--effort", "4", "--confidence", "2"])
    assert scored.exit_code == 0 and "priority 25.0" in scored.output
    listed = runner.invoke(args=["backlog"]).output.splitlines()
    assert listed[0].startswith("  1.  78.1 high     callback-leavers  [5·4·3·4]")
    assert "fast-social-care" in listed[1] and "x-care-1h" in listed[1]
    rows = [json.loads(line) for line in
            runner.invoke(args=["backlog", "--json", "--band", "high"]).output.splitlines()]
    assert [row["hypothesis"] for row in rows] == ["callback-leavers"]
    assert rows[0]["expected_unit"] == "points of churn"


def test_bad_input_exits_non_zero_and_writes_nothing(runner, session):
    bad = runner.invoke(args=[*ADD[:-2], "--confidence", "6"])
    assert bad.exit_code == 2 and "--confidence" in bad.output
    bad_owner = runner.invoke(args=[*ADD[:12], "not-an-email", *ADD[13:]])
    assert bad_owner.exit_code == 1 and "hypothesis.owner" in bad_owner.output
    session.rollback()
    assert session.exec(select(Hypothesis)).all() == []
    assert session.exec(select(BacklogEntry)).all() == []
    nothing = runner.invoke(args=["backlog", "score", "callback-leavers"])
    assert nothing.exit_code == 1 and "give at least one" in nothing.output
    unknown = runner.invoke(args=["backlog", "score", "nope", "--fit", "3"])
    assert unknown.exit_code == 1 and "no hypothesis 'nope'" in unknown.output
