"""Alembic's entry point: runs migrations on the connection `blogroll.storage.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from blogroll.storage.models import Base

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    # Plain `alembic` command line (for `alembic revision --autogenerate` while developing).
    from blogroll.config import load_settings
    from blogroll.storage.db import make_engine

    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(load_settings()) if not url else create_engine(url)
    with engine.begin() as new_connection:
        run_migrations(new_connection)
