"""Applying the committed Alembic migrations: an explicit step, never a side effect of start-up."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from blogroll.storage.db import WRITES

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The name every `blogroll db upgrade` takes a lock by. PostgreSQL's advisory locks are numbers:
# these are the bytes of "blogroll".
LOCK_NAME = "blogroll_migrations"
POSTGRES_LOCK_KEY = int.from_bytes(b"blogroll", "big") & 0x7FFF_FFFF_FFFF_FFFF
# How long a run waits for another one to finish migrating before it gives up.
LOCK_TIMEOUT_SECONDS = 600


class MigrationLockTimeout(Exception):
    """Another run held the migration lock for longer than this one was willing to wait."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head", *, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
    """Brings the schema up to `revision`; safe to run again, it only applies what is missing.

    Safe to run from many places at once (every replica of a deploy, a job per release): each run
    takes a database-wide lock first, and Alembic reads the schema's revision only once it holds
    it, so each migration is applied exactly once and every run succeeds."""
    config = alembic_config()
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            # On SQLite the transaction starts with BEGIN IMMEDIATE: the database's one write lock is
            # the migration lock there.
            with (
                engine.execution_options(**{WRITES: True}).connect() as connection,
                _session_lock(connection, lock_timeout),
                connection.begin(),
                _transaction_lock(connection, lock_timeout),
            ):
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
            return
        except OperationalError as error:
            # SQLite stops waiting for its write lock after its busy timeout (5 s) while another run
            # migrates: wait on, up to the bound the other engines' locks have.
            if not _sqlite_busy(error) or time.monotonic() >= deadline:
                raise


def _sqlite_busy(error: OperationalError) -> bool:
    return "database is locked" in str(error.orig)


@contextmanager
def _transaction_lock(connection: Connection, timeout: float) -> Iterator[None]:
    """PostgreSQL's lock, taken in the migrating transaction and held until it ends."""
    if connection.dialect.name == "postgresql":
        # `lock_timeout` bounds the wait for it.
        connection.execute(text(f"SET LOCAL lock_timeout = '{int(timeout * 1000)}ms'"))
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK_KEY})
    yield


@contextmanager
def _session_lock(connection: Connection, timeout: float) -> Iterator[None]:
    """MariaDB's lock, held by the connection around the migrating transaction: MariaDB commits
    around each DDL statement, which would end a transaction's lock, and the lock is let go only
    once the transaction has committed (let go before, another run would read the revision the
    last migration had not committed yet, and apply that migration again)."""
    if connection.dialect.name not in ("mysql", "mariadb"):
        yield
        return
    got = connection.execute(
        text("SELECT GET_LOCK(:name, :timeout)"), {"name": LOCK_NAME, "timeout": timeout}
    )
    if got.scalar() != 1:
        connection.rollback()
        raise MigrationLockTimeout(f"another migration held the lock for more than {timeout:g} s")
    connection.commit()
    try:
        yield
    finally:
        connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": LOCK_NAME})
        connection.commit()


@cache
def committed_heads() -> frozenset[str]:
    """The newest revisions in the code (read from the migration files once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def pending_migrations(connection: Connection) -> list[str]:
    """The revisions the database does not have yet, oldest first; empty when it is current."""
    current = set(MigrationContext.configure(connection).get_current_heads())
    if current == committed_heads():
        return []
    script = ScriptDirectory.from_config(alembic_config())
    applied: set[str] = set()
    for head in current:
        applied.update(revision.revision for revision in script.iterate_revisions(head, "base"))
    missing = [revision.revision for revision in script.walk_revisions("base", "heads")]
    return [revision for revision in reversed(missing) if revision not in applied]


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest committed revision."""
    with engine.connect() as connection:
        return not pending_migrations(connection)


def known_revisions() -> set[str]:
    """Every committed revision: a database at one of them can be brought up to date."""
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
