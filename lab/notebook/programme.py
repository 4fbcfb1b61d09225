"""The notebook's programme accessors, mixed into `Lab` (its client module is full)."""

from __future__ import annotations

import pandas as pd

from lab.portfolio import programme


class ProgrammeAccessors:
    """DataFrames of the laboratory as a programme: approvals and the approval queue."""

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
