"""What a request's session leaves on the database server between its queries."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from blogroll.config import Settings
from blogroll.storage import db
from blogroll.storage.models import Blog

# pg_stat_activity's word for a connection inside a transaction that is waiting for its next query.
IN_TRANSACTION = "idle in transaction"


def server_state(engine: Engine, session: Session) -> str:
    """pg_stat_activity's state of `session`'s connection, seen from another connection."""
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with engine.connect() as observer:
        query = text("SELECT state FROM pg_stat_activity WHERE pid = :pid")
        return str(observer.execute(query, {"pid": pid}).scalar_one())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_read_on_postgresql_holds_no_transaction_and_a_write_does(settings: Settings) -> None:
    """Reads skip BEGIN and ROLLBACK (two of a page's round trips) and hold no snapshot between their
    queries; a write still runs in one transaction, committed or rolled back whole."""
    database = db.Database(db.make_engine(settings))
    try:
        with database.read_sessions() as reading:
            reading.execute(select(Blog.id)).all()
            read_state = server_state(database.engine, reading)
        with database.write_sessions() as writing:
            writing.execute(select(Blog.id)).all()
            write_state = server_state(database.engine, writing)
    finally:
        database.engine.dispose()

    assert read_state == "idle"
    assert write_state == IN_TRANSACTION
