"""Migration 0005 adds the submissions table and takes it away again, on every engine."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect

from blogroll.storage.migrate import alembic_config, is_current, upgrade


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_0005_goes_down_and_up_again(engine: Engine, committed_database: str) -> None:
    _downgrade(engine, "0004")
    try:
        assert "submissions" not in inspect(engine).get_table_names()
    finally:
        upgrade(engine)

    assert is_current(engine)
    columns = {column["name"] for column in inspect(engine).get_columns("submissions")}
    assert {"site_url", "feed_url", "contact", "status", "discovery", "client_address", "blog_id"} <= columns
