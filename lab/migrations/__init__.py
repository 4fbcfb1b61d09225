"""Schema migrations (Alembic), run from Python so `lab init` needs no alembic.ini.

Alembic is imported only by the functions that migrate: every other command asks
`schema_problem`, which reads the revision with one query, so starting `lab check`
does not pay for loading Alembic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from lab import db

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in versions/ (a test checks it against Alembic's own answer).
HEAD = "0012"


def alembic_config(url: str) -> Config:
    """Return an Alembic configuration for this database, scripts inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "lab:migrations")
    # ConfigParser would read '%' in a password as interpolation.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create the schema, or bring it up to the given revision."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the schema back to an earlier revision ("base": no tables)."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """Return the revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with db.engine_for(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """Return the newest revision the code knows, as Alembic reads the scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def schema_problem(url: str) -> str | None:
    """Say in one line what is wrong with the database's schema, or None if it is current."""
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        with db.engine_for(url).connect() as connection:
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version") \
                .scalar() if inspect(connection).has_table("alembic_version") else None
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f"cannot read the database at {shown}: {reason}"
    if revision is None:
        return f"the database at {shown} has no lab schema yet: run `lab init` first"
    if revision > HEAD:  # revisions are zero-padded numbers
        return (f"the database at {shown} is at schema {revision}, newer than this lab "
                f"knows ({HEAD}): upgrade lab")
    if revision != HEAD:
        return (f"the database at {shown} is at schema {revision}, and this lab needs {HEAD}: "
                "run `lab init` to upgrade it")
    return None
