"""The pilot reads the pages, the API and the reports share: LookupError, never a 404."""

from __future__ import annotations

import pytest

from lab.analysis.pipeline import recommend_pilots
from lab.pilots import decisions, find, reads
from lab.pilots.observations import record_observations
from tests.factories import ACTOR, MANAGER, observation_rows, start_pilot


def test_unknown_keys_raise_lookup_error_naming_the_key(session):
    with pytest.raises(LookupError, match="no pilot 'nope'"):
        reads.pilot_row(session, "nope")
    with pytest.raises(LookupError, match="no pilot 'nope'"):
        reads.pilot_detail(session, "nope")
    with pytest.raises(LookupError, match="no hypothesis 'nope'"):
        find.get_hypothesis(session, "nope")


def test_a_revised_pilot_reads_as_a_chain_of_iterations(session):
    start_pilot(session)
    record_observations(session, rows=observation_rows(periods=4), actor=ACTOR)
    session.commit()
    answer = recommend_pilots(session, ["x-care-1h"])["x-care-1h"].to_dict()
    decisions.sign_off(session, pilot_key="x-care-1h", outcome="revise", rationale="Retry",
                       decided_by=MANAGER, recommendation=answer)
    session.commit()
    detail = reads.pilot_detail(session, "x-care-1h")
    (first, decision), (second, none) = detail.iterations
    assert (first.key, decision.outcome, none) == ("x-care-1h", "revised", None)
    assert second.parent_id == first.id
    assert [p.key for p, _ in reads.iterations(session, second)] == [first.key, second.key]
    assert [m.role for m in detail.metrics] == ["primary", "guardrail", "secondary"]
    assert detail.observation_count == len(observation_rows(periods=4))
    assert reads.pilot_row(session, "x-care-1h").scope == "x"
