"""Alembic environment: the schema is lab.models' SQLModel metadata."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import lab.models  # noqa: F401  (registers every table on the metadata)
from lab import config, db

target_metadata = SQLModel.metadata


def render_item(type_, item, autogen_context):
    """Write SQLModel's AutoString as a plain sa.String in generated migrations."""
    if type_ == "type" and isinstance(item, AutoString):
        return f"sa.String(length={item.length})" if item.length else "sa.String()"
    return False


def database_url() -> str:
    """Return the URL given by lab (or, for the alembic command, LAB_DATABASE_URL)."""
    url = context.config.get_main_option("sqlalchemy.url") or config.load().database_url
    if not url:
        raise SystemExit("set LAB_DATABASE_URL to the database to migrate")
    return url


def configure(**options) -> None:
    """Configure the migration context the same way online and offline."""
    context.configure(target_metadata=target_metadata, compare_type=True,
                      render_item=render_item, **options)


def run_offline() -> None:
    """Write the SQL instead of running it (alembic upgrade --sql)."""
    configure(url=database_url(), literal_binds=True,
              render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the configured database in one write transaction."""
    engine = db.engine_for(database_url())
    sqlite = db.is_sqlite(engine)
    with engine.execution_options(lab_write=True).connect() as connection:
        if sqlite:
            # Batch mode rebuilds tables; with foreign keys on, dropping the old copy
            # would cascade. The pragma only takes effect outside a transaction.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        configure(connection=connection, render_as_batch=sqlite)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_offline()
else:
    run_online()
