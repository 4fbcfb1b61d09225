"""The notebook's programme accessors, mixed into `Lab` (its client module is full)."""

from __future__ import annotations

import pandas as pd

from lab import config
from lab.portfolio import backlog, programme


class ProgrammeAccessors:
    """DataFrames of the laboratory as a programme: approvals, their queue, the backlog."""

    def approvals(self) -> pd.DataFrame:
        """Return every plan approval given, oldest first.

        Returns
        -------
        pandas.DataFrame
            pilot : string; status : category (the pilot's state now); plan_hash : string
            (sha256 of the plan approved); approved_by : string; approved_at :
            datetime64[ns, UTC]; note : string; current : boolean (approves the plan as
            it stands).
        """
        with self.session() as session:
            return programme.approvals_frame(session)

    def approval_queue(self) -> pd.DataFrame:
        """Return every draft with where its approval stands.

        Returns
        -------
        pandas.DataFrame
            pilot, title, owner : string; approval : category (approved, stale, awaiting);
            plan_hash : string; approved_by : string; approved_at : datetime64[ns, UTC].
        """
        with self.session() as session:
            return programme.queue_frame(session)

    def backlog(self, **filters: str) -> pd.DataFrame:
        """Return the backlog ranked by priority (LAB_BACKLOG_WEIGHTS), highest first.

        Parameters
        ----------
        **filters : str
            Any of process, function, state (open, supported, refuted, mixed), band
            (high, medium, low, unscored), owner.

        Returns
        -------
        pandas.DataFrame
            hypothesis, statement : string; process, function : category;
            expected_benefit : string; expected_value : Float64; expected_unit : string;
            impact, fit, effort, confidence : Int64 (1-5); priority : Float64 (0-100);
            band, state : category; owner : string; pilots : string (comma-separated);
            decisions, scaled_up : Int64; updated_at : datetime64[ns, UTC].
        """
        problems = backlog.filter_problems(filters)
        unknown = set(filters) - set(backlog.FILTERS)
        if unknown or problems:
            said = [f"{name}: not a filter ({', '.join(backlog.FILTERS)})"
                    for name in sorted(unknown)] + [f"{n}: {w}" for n, w in problems]
            raise ValueError("; ".join(said))
        weights = config.parse_weights(config.load().backlog_weights)
        with self.session() as session:
            return backlog.backlog_frame(backlog.rows(session, weights, filters))
