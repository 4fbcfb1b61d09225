"""A comparison-scopes pilot on the pages: its fit and evidence where managers read them."""

from __future__ import annotations

import numpy as np

from lab.pilots.observations import record_observations
from tests.analysis.scopes_builders import observations, scopes_plan, weekly_means
from tests.factories import start_pilot
from tests.web.conftest import write


def test_the_pilot_page_shows_the_fit_the_placebo_check_and_the_evidence(app, session,
                                                                         signed_in):
    spec = scopes_plan("x-scopes", 19, analysis="fixed")
    start_pilot(session, key="x-scopes", hypothesis=spec["hypothesis"], pilot=spec["pilot"],
                metrics=spec["metrics"])
    means = weekly_means(np.random.default_rng(3), 1, 19, 26, 12, "specific", 1.0)
    rows = observations(["x-scopes"], means, 26).to_dict("records")
    write(app, lambda s: record_observations(s, rows=rows, actor="test"))
    page = signed_in("viewer").get("/pilots/x-scopes")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Scale up" in text
    assert "blend of comparison scopes" in text and "over 26 before-periods" in text
    assert "Placebo check: 1 of 20 scopes" in text
    assert "Comparison scopes" in text
