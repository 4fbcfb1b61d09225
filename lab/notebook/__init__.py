"""The Python API for analysts: the lab's database as tidy pandas DataFrames.

A notebook connects to the same database the app uses and reads it through the same
functions the web pages and the CLI call, so its numbers are the web's numbers::

    import lab
    from lab import notebook
    db = lab.connect()                  # LAB_DATABASE_URL, else the app's SQLite file
    db.pilots()                         # one row per pilot
    rec = db.check("x-care-1h")         # the Recommendation the pilot page shows
    fig, ax = plt.subplots()
    notebook.looks_chart(ax, db.answer("x-care-1h"))
    notebook.effect(0.024, "proportion")  # '+2.4 points': the pages' own words

`connect()` is read-only unless asked otherwise: the database itself refuses writes,
so a stray cell cannot change the lab's records.
"""

from __future__ import annotations

from lab import db
from lab.charts import figure_bytes, looks_chart, new_figure, periods_chart, portfolio_chart
from lab.notebook.client import Lab
from lab.notebook.connection import database_url, read_only_engine
from lab.notebook.planning import plan
from lab.words import (
    effect,
    interval,
    money,
    outcome_word,
    p_value,
    percent,
    q_value,
    status_word,
)

__all__ = ["Lab", "connect", "database_url", "effect", "figure_bytes", "interval",
           "looks_chart", "money", "new_figure", "outcome_word", "p_value", "percent",
           "periods_chart", "plan", "portfolio_chart", "q_value", "status_word"]


def connect(url: str | None = None, *, writable: bool = False) -> Lab:
    """Connect to the lab's database, read-only unless `writable`.

    Parameters
    ----------
    url : str, optional
        A SQLAlchemy URL such as ``sqlite:////path/lab.sqlite`` or
        ``postgresql://user@host/lab``. Default: the ``LAB_DATABASE_URL`` environment
        variable, else the SQLite file in the app's instance folder (``LAB_INSTANCE_PATH``),
        which is the database ``lab serve`` uses.
    writable : bool, default False
        Allow `Lab.sync` and `Lab.import_csv`. A read-only connection is enforced by the
        database: SQLite runs with ``PRAGMA query_only=ON``, PostgreSQL with
        ``default_transaction_read_only=on``, so any write fails.

    Returns
    -------
    Lab

    Raises
    ------
    FileNotFoundError
        A read-only connection to a SQLite file that does not exist (run ``lab init`` or
        ``lab demo --no-serve`` first).
    """
    url = database_url(url)
    engine = db.engine_for(url) if writable else read_only_engine(url)
    return Lab(engine, writable=writable)
