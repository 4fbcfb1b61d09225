"""The portfolio read model: every pilot's standing, computed once.

The web's portfolio page, its CSV export and chart, the API, the reports and the
notebooks all read the portfolio here, so a q-value, a cost per outcome or a threshold
line cannot be worked out two ways. It reads the analysis layer (`lab.analysis`) and the
domain (`lab.pilots`); only the interfaces (web, API, CLI, reports, notebooks) read it.

- `measures`: q-values, extra outcomes and their cost, thresholds, a hypothesis's state.
- `standing`: what a manager reads of a row (evidence, guardrails, targets, burn rate,
  overdue).
- `rows`: the rows themselves, read from the stored recommendations.
- `decoded`: each stored summary as a row holds it (`Summary`: what the page sorts and
  counts by, and the stored text packed), made once per process for its stored stamp.
- `kept`: the rows kept between requests per lab version (`lab.pilots.version`).
- `stored`: computing the stored recommendations (on each write, in bulk, or on a read
  that finds one missing); importing the package installs it as the refresher.
- `dataframes`: the notebook frames.
"""

from lab.portfolio.dataframes import effects_frame, looks_frame, recommendations_frame
from lab.portfolio.measures import (
    cost_per_outcome,
    hypothesis_state,
    incremental_outcomes,
    primary_of,
    q_values,
    with_thresholds,
)
from lab.portfolio.rows import PortfolioRow, answer, answers, build, recommendation, recommendations

__all__ = [
    "PortfolioRow", "answer", "answers", "build", "cost_per_outcome", "effects_frame",
    "hypothesis_state", "incremental_outcomes", "looks_frame", "primary_of", "q_values",
    "recommendation", "recommendations", "recommendations_frame", "with_thresholds"]
