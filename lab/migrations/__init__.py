"""Schema migrations (Alembic), run from Python so `lab init` needs no alembic.ini."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from lab import db


def alembic_config(url: str) -> Config:
    """Return an Alembic configuration for this database, scripts inside the package."""
    config = Config()
    config.set_main_option("script_location", "lab:migrations")
    # ConfigParser would read '%' in a password as interpolation.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create the schema, or bring it up to the given revision."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the schema back to an earlier revision ("base": no tables)."""
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """Return the revision the database is at (None for an empty database)."""
    with db.engine_for(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """Return the newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
