"""`Lab`: a connection to the lab's database whose methods return tidy DataFrames."""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from lab import db, portfolio
from lab.notebook.planning import plan
from lab.notebook.programme import ProgrammeAccessors
from lab.pilots import frames
from lab.pilots.find import get_pilot
from lab.pilots.lock import spec_of
from lab.pilots.observations import import_csv
from lab.pilots.observations.summaries import period_summaries
from lab.pilots.registry import SyncResult, sync_paths


class Lab(ProgrammeAccessors):
    """A connection to the lab's database with DataFrame accessors.

    Every accessor opens a short read session, so a notebook left open never holds a
    lock. DataFrames have fixed columns and dtypes (text ``string``, enumerations
    ``category``, dates ``datetime64[ns]``, timestamps ``datetime64[ns, UTC]``, counts
    ``Int64``, amounts ``Float64``), the same whether or not there are rows.
    """

    def __init__(self, engine: Engine, *, writable: bool = False):
        self.engine = engine
        self.writable = writable

    def __repr__(self) -> str:
        mode = "writable" if self.writable else "read-only"
        return f"<Lab {self.engine.url.render_as_string(hide_password=True)} ({mode})>"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open a read session on the lab's database (it never commits)."""
        with db.reading(self.engine) as session:
            yield session

    def hypotheses(self) -> pd.DataFrame:
        """Return the hypotheses, one row each.

        Returns
        -------
        pandas.DataFrame
            key, statement : string; process : category; expected_benefit : string;
            sponsors : string (comma-separated functions); owner : string;
            pilots : Int64 (how many pilots test it); created_at : datetime64[ns, UTC].
        """
        with self.session() as session:
            return frames.hypotheses(session)

    def pilots(self) -> pd.DataFrame:
        """Return the pilots, one row each, with their plan, status and spend.

        Returns
        -------
        pandas.DataFrame
            key, title, hypothesis : string; iteration : Int64; parent : string (the
            pilot this one revises); channel, segment : string (either may be missing);
            design, analysis, status : category; allocation, alpha, power : Float64;
            planned_sample, planned_periods : Int64; start, end : datetime64[ns];
            budget, spend : Float64 (spend = sum of the spend entries); currency, owner,
            team : string (``"Ana (service), Raj (it)"``); started_at :
            datetime64[ns, UTC].
        """
        with self.session() as session:
            return frames.pilots(session)

    def metrics(self, pilot: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Return the metrics of one pilot, several, or all (``None``).

        Returns
        -------
        pandas.DataFrame
            pilot, key, label : string; kind, role, direction : category;
            minimum_effect, margin, baseline : Float64.

        Raises
        ------
        LookupError
            A pilot key that does not exist.
        """
        with self.session() as session:
            return frames.metrics(session, pilot)

    def observations(self, pilot: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Return the logged observations, one row per pilot, metric, arm, phase, period.

        The columns are those of the observations CSV, so the frame can be passed to
        `lab.check` or written back out with ``to_csv``.

        Returns
        -------
        pandas.DataFrame
            pilot, metric : string; arm, phase : category; period : datetime64[ns]
            (the day the period starts); successes, trials, n : Int64; mean, sd :
            Float64; events : Int64; exposure : Float64. Only the value columns of the
            metric's kind are filled (proportion: successes, trials; mean: n, mean, sd;
            rate: events, exposure); the others are ``<NA>``.
        """
        with self.session() as session:
            return frames.observations(session, pilot)

    def summaries(self, pilot: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Return the per-period sufficient statistics the checks run on.

        This is the frame `periods_chart` draws: the value of a period is
        ``total / n`` (a share for proportions, a mean, or events per exposure).

        Returns
        -------
        pandas.DataFrame
            pilot, metric, arm, phase, period, n, total, total_sq (for a mean, the
            squared deviations about the period's mean, (n−1)sd²), as computed in SQL
            by `lab.pilots.observations.summaries.period_summaries`.
        """
        keys = None if pilot is None else [pilot] if isinstance(pilot, str) else list(pilot)
        with self.session() as session:
            if keys is not None:
                frames.pilot_ids(session, keys)  # an unknown key is an error, not no rows
            return period_summaries(session, keys)

    def notes(self, pilot: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Return the qualitative notes, oldest first.

        Returns
        -------
        pandas.DataFrame
            pilot : string; kind : category; noted_on : datetime64[ns]; source, text,
            recorded_by : string.
        """
        with self.session() as session:
            return frames.notes(session, pilot)

    def spend(self, pilot: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Return the spend entries, oldest first.

        Returns
        -------
        pandas.DataFrame
            pilot : string; spent_on : datetime64[ns]; amount : Float64; description,
            recorded_by : string.
        """
        with self.session() as session:
            return frames.spend(session, pilot)

    def decisions(self, pilot: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Return the decisions management signed off, oldest first.

        Returns
        -------
        pandas.DataFrame
            pilot : string; outcome, recommended : category; rationale, decided_by :
            string; decided_at : datetime64[ns, UTC].
        """
        with self.session() as session:
            return frames.decisions(session, pilot)

    def recommendations(self, pilots: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Return one row per started pilot: its recommendation and primary effect.

        Each row is the web portfolio's row of that pilot (`lab.portfolio`):
        q-values are Benjamini–Hochberg over the primaries of every started pilot,
        whichever pilots are asked for, and the cost per outcome is the page's.

        Returns
        -------
        pandas.DataFrame
            pilot, title : string; status, design, analysis, outcome : category;
            final : boolean (the final look); information_fraction : Float64; metric :
            string (the primary); kind, direction : category; estimate, ci_low, ci_high, p_value,
            q_value, minimum_effect, lift, lift_ci_low, lift_ci_high : Float64; n_pilot,
            n_control : Float64 (units per arm: trials, n, or exposure for a rate);
            needed_sample : Int64; projected_date : datetime64[ns]; budget,
            spend : Float64; currency : string; incremental : Float64 (extra outcomes in
            the pilot arm, estimate × n_pilot, once the interval is above zero, for a
            proportion or a rate; a mean counts none); cost_per_incremental : Float64
            (spend / incremental; missing while no spend is recorded); reasons : string
            (one sentence per line).
        """
        with self.session() as session:
            return portfolio.recommendations_frame(session, pilots)

    def effects(self, pilots: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Return one row per metric of each started pilot: estimate, interval, p-value.

        Returns
        -------
        pandas.DataFrame
            pilot, metric : string; role, kind, direction : category; estimate, ci_low,
            ci_high, p_value, lift, lift_ci_low, lift_ci_high : Float64 (effects oriented
            so that positive is better; lift relative to control); method : string;
            n_pilot, n_control : Float64 (trials, n, or exposure for a rate).
        """
        with self.session() as session:
            return portfolio.effects_frame(session, pilots)

    def looks(self, pilot: str) -> pd.DataFrame:
        """Return the pilot's look history: one row per look at the primary metric.

        Returns
        -------
        pandas.DataFrame
            pilot : string; period : datetime64[ns] (the last period in the look);
            information_fraction, boundary, estimate, ci_low, ci_high : Float64 (the
            interval is valid across all looks); outcome : category (what the rule said
            at that look).
        """
        return portfolio.looks_frame(self.check(pilot))

    def spec(self, pilot_key: str) -> dict:
        """Return the pilot's pre-registration as a dict (the TOML schema).

        With `observations` it reproduces the check without the database:
        ``lab.check(db.spec(key), db.observations(key))`` equals ``db.check(key)``.
        """
        with self.session() as session:
            return spec_of(get_pilot(session, pilot_key)).model_dump(mode="json")

    def answer(self, pilot_key: str) -> dict:
        """Return the pilot's recommendation as a dict, ready for the charts.

        This is ``check(pilot_key).to_dict()`` (the keys of ``lab check --json``) with,
        in each metric entry, the plan's ``minimum_effect`` (primary) or ``margin``
        (guardrails) and ``label``, which `looks_chart` draws as reference lines, and at
        the top level the portfolio ``q_value`` of the primary.
        """
        with self.session() as session:
            return portfolio.answer(session, pilot_key)

    def check(self, pilot_key: str):
        """Return the pilot's current `Recommendation`, exactly as the web shows it.

        Raises
        ------
        LookupError
            No such pilot, or a draft (a draft has no data and no recommendation).
        """
        with self.session() as session:
            return portfolio.recommendation(session, pilot_key)

    def sync(self, paths: str | Path | Iterable[str | Path] = "experiments",
             actor: str | None = None) -> SyncResult:
        """Register the pre-registration files under these paths, all or none (`lab sync`).

        Raises
        ------
        PermissionError
            The connection is read-only.
        lab.pilots.registry.RegistryError
            A plan is refused; nothing was written.
        """
        self._require_writable("sync")
        paths = [paths] if isinstance(paths, str | Path) else list(paths)
        with db.writing(self.engine) as session:
            return sync_paths(session, paths=[Path(p) for p in paths],
                              actor=actor or _actor())

    def import_csv(self, path: str | Path, *, correct: bool = False,
                   actor: str | None = None):
        """Import an observations CSV, all rows or none (`lab import`).

        Raises
        ------
        PermissionError
            The connection is read-only.
        lab.pilots.observations.ObservationError
            A row is refused; its message names the line, the column and the problem.
        """
        self._require_writable("import")
        return import_csv(self.engine, source=Path(path), actor=actor or _actor(),
                          correct=correct)

    plan = staticmethod(plan)

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the connections of a read-only engine (a writable one is shared)."""
        if not self.writable:
            self.engine.dispose()

    def _require_writable(self, action: str) -> None:
        if not self.writable:
            raise PermissionError(f"cannot {action}: this connection is read-only; "
                                  "use lab.connect(url, writable=True) to write")


def _actor() -> str:
    """Name the person writing from a notebook, for the audit log."""
    return f"{getpass.getuser()} (notebook)"
