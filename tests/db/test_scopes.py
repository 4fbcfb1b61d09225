"""Comparison-scopes pilots in the database: the scope column through import and analysis."""

from __future__ import annotations

import io

import numpy as np
import pytest
from sqlmodel import select

import lab
from lab import db
from lab.analysis.pipeline import recommend_pilots
from lab.models import Observation
from lab.pilots.observations import ObservationError, import_csv
from tests.factories import ACTOR, observations, scopes_plan, start_pilot, weekly_means, write_csv

COLUMNS = ["pilot", "metric", "arm", "scope", "phase", "period", "n", "mean", "sd"]


@pytest.fixture
def scoped(session):
    spec = scopes_plan("x-scopes", 19, analysis="fixed")
    start_pilot(session, key="x-scopes", hypothesis=spec["hypothesis"], pilot=spec["pilot"],
                metrics=spec["metrics"])
    means = weekly_means(np.random.default_rng(7), 1, 19, 26, 12, "specific", 1.0)
    return spec, observations(["x-scopes"], means, 26)


def test_scoped_rows_import_and_read_as_lab_check_reads_them(engine, scoped, tmp_path):
    spec, rows = scoped
    result = import_csv(engine, source=write_csv(tmp_path / "s.csv", rows.to_dict("records"),
                                                 COLUMNS), actor=ACTOR)
    assert result.inserted == len(rows)
    with db.reading(engine) as session:
        scopes = set(session.exec(select(Observation.scope)))
        stored = recommend_pilots(session, ["x-scopes"])["x-scopes"]
    assert scopes == {"", *spec["pilot"]["comparison_scopes"]}
    direct = lab.check(spec, rows)
    assert stored.outcome == direct.outcome == "scale_up"
    assert stored.reasons == direct.reasons
    assert stored.metrics[0].ci_low == pytest.approx(direct.metrics[0].ci_low)


def test_a_control_row_without_its_scope_is_refused_with_its_line(engine, scoped, tmp_path):
    _, rows = scoped
    rows.loc[rows.index[rows["arm"] == "control"][0], "scope"] = ""
    text = io.StringIO()
    rows.to_csv(text, index=False, columns=COLUMNS)
    with pytest.raises(ObservationError) as caught:
        import_csv(engine, source=io.StringIO(text.getvalue()), actor=ACTOR)
    line = int(rows.index[rows["arm"] == "control"][0]) + 2
    assert f"line {line}" in str(caught.value) and "scope" in str(caught.value)
    assert "must name one of pilot 'x-scopes''s comparison scopes" in str(caught.value)
    with db.reading(engine) as session:
        assert not list(session.exec(select(Observation)))


def test_a_scope_on_another_design_is_refused(engine, session):
    start_pilot(session)
    text = ("pilot,metric,arm,scope,phase,period,successes,trials\n"
            "x-care-1h,churn-90d,control,segment-01,during,2026-01-05,40,400\n")
    with pytest.raises(ObservationError, match="has no comparison scopes"):
        import_csv(engine, source=io.StringIO(text), actor=ACTOR)
