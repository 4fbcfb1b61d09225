"""Numbers are plain ASCII decimals everywhere (issue 10 item 6).

Python reads '1_0' as 10 and Arabic-Indic or full-width digits as numbers; the CSV
import (both its paths), `lab.check`'s frame, the JSON API and the forms refuse them
with one message, and nothing is stored.
"""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from lab import db
from lab.kinds import NUMERALS
from lab.models import Observation, Pilot
from lab.pilots.observations import ObservationError, import_csv
from lab.pilots.observations.given import from_observations
from lab.pilots.plans import PreregistrationError, parse
from tests.factories import ACTOR, make_spec, start_pilot
from tests.web.conftest import post_form
from tests.web.test_api import API, bearer
from tests.web.test_forms import OBSERVATION, count, form_fields

ODD = ["1_0", "\u0661\u0662", "\uff11\uff12", "4\u0665"]  # 1_0, ١٢, １２, 4٥
HEADER = "pilot,metric,arm,phase,period,successes,trials,n,mean,sd,events,exposure"


@pytest.mark.parametrize("odd", ODD)
@pytest.mark.parametrize("column", ["trials", "mean", "exposure"])
def test_the_csv_refuses_odd_numerals_on_either_path(engine, session, odd, column):
    start_pilot(session)
    plain = {"trials": "x-care-1h,churn-90d,{arm},during,{period},4,{v},,,,,",
             "mean": "x-care-1h,cost-per-contact,{arm},during,{period},,,10,{v},1,,",
             "exposure": "x-care-1h,complaints,{arm},during,{period},,,,,,4,{v}"}[column]
    # The first row opens the fast path for its metric; the second takes it.
    rows = [plain.format(arm="pilot", period="2026-01-05", v="12"),
            plain.format(arm="control", period="2026-01-05", v=odd),
            plain.format(arm="pilot", period="2026-01-12", v=odd)]
    with pytest.raises(ObservationError) as error:
        import_csv(engine, source=io.StringIO("\n".join([HEADER, *rows]) + "\n"), actor=ACTOR)
    assert [(p.line, p.column, p.message) for p in error.value.problems] == [
        (line, column, f"{NUMERALS}, not '{odd}'") for line in (3, 4)]
    with db.reading(engine) as read:
        assert read.exec(select(Observation)).all() == []


@pytest.mark.parametrize("odd", ODD)
def test_lab_check_refuses_them_in_the_same_words(odd):
    row = {"pilot": "p", "metric": "m", "arm": "pilot", "period": "2026-01-05",
           "successes": "4", "trials": odd}
    with pytest.raises(ObservationError) as error:
        from_observations([row])
    assert error.value.problems[0].message == f"{NUMERALS}, not '{odd}'"


@pytest.mark.parametrize("odd", ODD)
def test_the_api_refuses_them_as_json_strings(app, client, token, running, odd):  # noqa: F811
    before = count(app, Observation)
    response = client.post(f"{API}/pilots/x-care-1h/observations", headers=bearer(token),
                           json={"rows": [{"metric": "churn-90d", "arm": "pilot",
                                           "period": "2026-03-02", "successes": 4,
                                           "trials": odd}]})
    assert response.status_code == 422
    # The API reads JSON strictly, so a string is no count at all; never 12 or 10.
    [problem] = response.json["problems"]
    assert problem["field"] == "rows[#1].trials"
    assert count(app, Observation) == before


@pytest.mark.parametrize("odd", ODD)
def test_the_week_form_refuses_them_next_to_the_field(app, signed_in, running, odd):
    before = count(app, Observation)
    response = post_form(signed_in("member"), "/pilots/x-care-1h/observations",
                         {**OBSERVATION, "trials": odd})
    assert response.status_code == 422
    assert NUMERALS.replace("'", "&#39;") in response.get_data(as_text=True)
    assert count(app, Observation) == before


@pytest.mark.parametrize("odd", ODD)
def test_the_registration_form_refuses_them(app, signed_in, odd):
    fields = form_fields(make_spec(pilot={"planned_sample": 4800}))
    fields["pilot-planned_sample"] = odd
    response = post_form(signed_in("member"), "/register", fields)
    assert response.status_code == 422
    assert f"not &#39;{odd}&#39;" in response.get_data(as_text=True)
    assert count(app, Pilot) == 0


@pytest.mark.parametrize(("section", "name"), [("pilot", "budget"), ("pilot", "alpha")])
def test_a_plan_refuses_them_in_any_number(section, name):
    spec = make_spec(**{section: {name: "\u0660.\u0660\u0665"}})
    with pytest.raises(PreregistrationError) as error:
        parse(spec)
    assert str(error.value) == (f"pre-registration: {section}.{name}: {NUMERALS}, "
                                "not '٠.٠٥'")
    assert getattr(parse(make_spec(**{section: {name: "0.05"}})).pilot, name) == 0.05
