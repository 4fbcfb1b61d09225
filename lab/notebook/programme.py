"""The notebook's programme accessors, mixed into `Lab` (its client module is full)."""

from __future__ import annotations

import pandas as pd

from lab import config
from lab.pilots import initiatives
from lab.pilots.frames import typed
from lab.portfolio import backlog, build, coverage, figures, learnings, programme


class ProgrammeAccessors:
    """The laboratory as a programme, as DataFrames: approvals, the backlog, learnings,
    initiatives elsewhere and the coverage map."""

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

    def standby(self) -> pd.DataFrame:
        """Return every stand-by rule that fired, in the order they fired.

        Returns
        -------
        pandas.DataFrame
            pilot : string; status : category (the pilot's state now); rule : Int64 (its
            place in the plan's standby list, from 0); metric : string; when : category
            (value, lower, upper); side : category (above, below); threshold, value :
            Float64; look : Int64 (from 1); period : datetime64[ns]; action : category
            (alert, pause, propose_withdrawal); fired_at : datetime64[ns, UTC]; words :
            string.
        """
        with self.session() as session:
            return programme.standby_frame(session)

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

    def learnings(self, query: str = "", *, published_only: bool = False,
                  **filters: str) -> pd.DataFrame:
        """Return the learning cards containing every word of `query`, newest first.

        Parameters
        ----------
        query : str
            Words to find (full-text: FTS5 on SQLite, PostgreSQL's text search).
        published_only : bool
            Only the cards published for the company.
        **filters : str
            Any of process, channel, segment, outcome (scaled_up, revised, withdrawn), tag.

        Returns
        -------
        pandas.DataFrame
            pilot, hypothesis : string; process : category; channel, segment : string;
            outcome : category; decided_by : string; decided_at : datetime64[ns, UTC];
            believed, observed, learned, next_step, tags : string; published_at :
            datetime64[ns, UTC]; feedback : Int64.
        """
        unknown = set(filters) - set(learnings.FILTERS)
        problems = [(name, f"not a filter ({', '.join(learnings.FILTERS)})")
                    for name in sorted(unknown)] + learnings.filter_problems(query, filters)
        if problems:
            raise ValueError("; ".join(f"{where}: {what}" for where, what in problems))
        with self.session() as session:
            return learnings.learnings_frame(learnings.rows(
                session, query=query, filters=filters, published_only=published_only))

    def initiatives(self) -> pd.DataFrame:
        """Return the initiatives running elsewhere in the company.

        Returns
        -------
        pandas.DataFrame
            key, name : string; function, process, status : category; channel, segment :
            string; start_date, end_date : datetime64[ns]; measures, contact, adopted_as :
            string; overlaps : string (the pilots whose scope it shares, comma-separated).
        """
        with self.session() as session:
            clashes: dict[str, list[str]] = {}
            for clash in initiatives.clashes(session):
                clashes.setdefault(clash.initiative, []).append(clash.pilot)
            return typed([{**{name: getattr(row, name) for name in programme.INITIATIVES
                              if name != "overlaps"},
                           "overlaps": ",".join(clashes.get(row.key, []))}
                          for row in initiatives.listed(session)], programme.INITIATIVES)

    def coverage(self) -> pd.DataFrame:
        """Return the coverage map long-form: one row per lifecycle process and channel.

        Returns
        -------
        pandas.DataFrame
            process : category; channel : string; pilots, initiatives : Int64 (how many
            test there); pilot_keys, initiative_keys : string (comma-separated).
        """
        with self.session() as session:
            return coverage.coverage_frame(coverage.coverage(session))

    def programme_figures(self) -> pd.DataFrame:
        """Return the programme figures per start quarter, then the row 'all'.

        Returns
        -------
        pandas.DataFrame
            quarter : string ("2026-Q2", "all"); started, decided, scaled_up : Int64;
            share_decided, win_rate, median_weeks : Float64; spend_scaled_up,
            spend_revised, spend_withdrawn, spend_undecided : Float64; extra_outcomes,
            extra_low, extra_high : Float64 (the scaled-up pilots' extra outcomes summed,
            with a 95% interval).
        """
        with self.session() as session:
            return figures.figures_frame(figures.figures(build(session)))
