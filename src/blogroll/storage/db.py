"""Engines and sessions: one engine per process, one session per request or unit of work."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from sqlalchemy import Executable, create_engine, event, text
from sqlalchemy.engine import URL, Engine, Row
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from blogroll.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

EXTENSION_KEY = "blogroll.database"
# Execution option marking connections whose transactions will write (SQLite then locks up front).
WRITES = "blogroll_writes"
# Seconds a MariaDB/MySQL read or write may take; far above any query Blogroll makes.
MYSQL_READ_TIMEOUT = 30


# How often a transaction the database rolled back to break a deadlock is run (`in_transaction`).
DEADLOCK_ATTEMPTS = 5
DEADLOCK_PAUSE = 0.05  # seconds, times the attempt
# PostgreSQL's SQLSTATE and MariaDB's error number for "deadlock detected; this transaction was
# rolled back" (SQLite has one writer at a time: no deadlocks).
POSTGRES_DEADLOCK = "40P01"
MARIADB_DEADLOCK = 1213


def is_deadlock(error: DBAPIError) -> bool:
    """True when the database rolled the transaction back to break a deadlock: running it again is safe."""
    original = error.orig
    if getattr(original, "sqlstate", None) == POSTGRES_DEADLOCK:
        return True
    arguments: tuple[object, ...] = getattr(original, "args", ())
    return arguments[:1] == (MARIADB_DEADLOCK,)


def database_unavailable(error: BaseException) -> bool:
    """True when an error means the database cannot be reached, rather than a bug in a query."""
    if isinstance(error, OperationalError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


@contextmanager
def savepoint(session: Session, conflict: Callable[[], Exception]) -> Iterator[None]:
    """Makes the block's changes inside a savepoint, so that a unique violation (a concurrent writer
    got there first) undoes only them, leaves the session usable, and is raised as `conflict()`."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError as error:
        raise conflict() from error


def read_rows(
    session: Session, query: Executable, params: Mapping[str, Any] | None = None
) -> Sequence[Row[Any]]:
    """The rows of a Core select of table columns, on the session's connection (and transaction).

    For rows that are not objects, the ORM's execution steps (`session.execute`) cost more than the
    query itself: a list read this way takes a fraction of the CPU (bench: /api/v1/entries)."""
    return session.connection().execute(query, params or {}).all()


def database_now(session: Session) -> dt.datetime:
    """The database server's clock, in UTC. Leases (the worker's claims) are taken and judged by it,
    so nodes whose own clocks disagree still agree on when a claim ends."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        value = session.execute(text("SELECT now() AT TIME ZONE 'UTC'")).scalar_one()
    elif dialect in ("mysql", "mariadb"):
        value = session.execute(text("SELECT UTC_TIMESTAMP(6)")).scalar_one()
    else:
        # SQLite lives in this process's machine, so its clock is this one (and SQLite's own keeps
        # only milliseconds, which would put it behind times written a moment ago).
        return dt.datetime.now(dt.UTC)
    moment: dt.datetime = value
    return moment.replace(tzinfo=dt.UTC)


def make_engine(settings: Settings) -> Engine:
    """An engine tuned per backend: connect timeouts, liveness checks, and SQLite's pragmas."""
    url = settings.sqlalchemy_url
    backend = url.get_backend_name()
    timeout = settings.database_connect_timeout
    options: dict[str, Any] = {}
    if backend == "sqlite":
        _create_sqlite_folder(url)
        options["connect_args"] = {"timeout": max(timeout, 5.0), "check_same_thread": False}
    else:
        # Check connections before use so a restarted database server heals by itself.
        options.update(pool_pre_ping=True, pool_size=settings.database_pool_size, max_overflow=5)
        options["pool_timeout"] = timeout
        if backend == "postgresql":
            options["connect_args"] = {"connect_timeout": max(1, round(timeout))}
        elif backend == "mysql":
            options["connect_args"] = {
                "connect_timeout": max(1, round(timeout)),
                # PyMySQL waits for the server's greeting and replies forever without these: a frozen
                # server would hang requests (and /readyz) instead of failing them with a 503.
                "read_timeout": MYSQL_READ_TIMEOUT,
                "write_timeout": MYSQL_READ_TIMEOUT,
                "charset": "utf8mb4",
            }
            options["pool_recycle"] = 3600
            # PostgreSQL's default level, which the app's transactions are written for. Under InnoDB's
            # default REPEATABLE READ, MariaDB 11.6+ (innodb_snapshot_isolation) fails a transaction
            # that updates a row another one changed since its snapshot with error 1020 ("Record has
            # changed since last read"): two writes with one token (both set its `last_used_at`) were
            # answered 503 although the database was fine.
            options["isolation_level"] = "READ COMMITTED"
    engine = create_engine(url, **options)
    if backend == "sqlite":
        _configure_sqlite(engine)
    return engine


def _create_sqlite_folder(url: URL) -> None:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL for readers beside a writer, and real SAVEPOINT support.

    pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented recipe is to let
    SQLAlchemy emit BEGIN itself. Transactions that will write (see `WRITES`) use BEGIN IMMEDIATE:
    one that reads and then writes while another connection commits (the web app beside the feed
    worker) would otherwise fail at once with "database is locked"; taking the write lock up front
    makes it wait its turn. Reads keep a plain BEGIN, so under WAL they never wait for anyone.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(connection: sqlite3.Connection, _record: object) -> None:
        connection.isolation_level = None
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        writes = connection.get_execution_options().get(WRITES, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


class DatabaseTimeout(OperationalError):
    """The database did not answer in time; treated like any other unreachable database."""

    def __init__(self, message: str) -> None:
        super().__init__(message, None, TimeoutError(message))


# A few threads for readiness pings; a hung ping holds one until the driver gives up.
_PING_THREADS = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="db-ping")


class Database:
    """A process's engine and its session factories: `read_sessions` for requests that only read,
    `write_sessions` for the others, and `transaction()` for a unit of work outside a request."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.read_sessions: sessionmaker[Session] = sessionmaker(_for_reads(engine), expire_on_commit=False)
        self.write_sessions: sessionmaker[Session] = sessionmaker(
            engine.execution_options(**{WRITES: True}), expire_on_commit=False
        )

    def use_sessions(self, sessions: sessionmaker[Session]) -> None:
        """Routes every session, reading or writing, through `sessions` (tests: a rolled-back one)."""
        self.read_sessions = self.write_sessions = sessions

    def ping(self, timeout: float) -> None:
        """Raises unless the database answers a trivial query within `timeout` seconds."""
        self.ask(timeout, lambda session: session.execute(text("SELECT 1")))

    def ask(self, timeout: float, question: Callable[[Session], T]) -> T:
        """`question`'s answer, asked on a read session; raises unless it comes within `timeout` s.

        The question runs in a helper thread so that a frozen server (one that accepts connections but
        never replies) costs the caller `timeout` seconds, not the driver's much longer read timeout.
        """
        future = _PING_THREADS.submit(self._ask, question)
        try:
            return future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            raise DatabaseTimeout(f"no answer within {timeout:g} s") from None

    def _ask(self, question: Callable[[Session], T]) -> T:
        with self.read_sessions() as session:
            return question(session)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work outside a request (CLI, worker): commit on success, roll back on error."""
        with self.write_sessions() as session, session.begin():
            yield session

    def in_transaction(self, write: Callable[[Session], T], *, attempts: int = DEADLOCK_ATTEMPTS) -> T:
        """`write` in a transaction of its own, run again when the database broke a deadlock by
        rolling it back. The worker's store and pruning can lock a blog's row and its entries in
        opposite orders (pruning's deletes update the blog's entry count, migration 0009); the
        database then gives up one of them, whole, and running it again finds the other done."""
        for attempt in range(1, attempts):
            try:
                with self.transaction() as session:
                    return write(session)
            except DBAPIError as error:
                if not is_deadlock(error):
                    raise
                log.info(
                    "a deadlock rolled a transaction back; running it again (%d of %d)", attempt + 1, attempts
                )
                # A moment for the transaction that went on to commit, so that the next run does not
                # meet it again.
                time.sleep(DEADLOCK_PAUSE * attempt)
        # The last attempt: whatever it raises, deadlock or not, is the caller's.
        with self.transaction() as session:
            return write(session)


def _for_reads(engine: Engine) -> Engine:
    """The engine for requests that only read. On PostgreSQL they run outside a transaction, which
    saves the BEGIN and ROLLBACK round trips around every read request (two of a page's five) and
    changes nothing they see: at READ COMMITTED each statement takes its own snapshot either way.
    (psycopg switches autocommit on the client, with no round trip. PyMySQL would need a
    `SET autocommit` each way, and SQLite's reads already take no lock, so those stay as they are.)"""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def init_app(app: Flask, database: Database) -> None:
    app.extensions[EXTENSION_KEY] = database
    app.teardown_appcontext(_close_session)


def get_database(app: Flask | None = None) -> Database:
    database: Database = (app or current_app).extensions[EXTENSION_KEY]
    return database


def get_session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        database = get_database()
        writes = request.method not in ("GET", "HEAD", "OPTIONS")
        g.db_session = database.write_sessions() if writes else database.read_sessions()
    session: Session = g.db_session
    return session


def close_session() -> None:
    """Ends the current request's session (what the view did not commit is rolled back).

    By now the answer is built. If the database went away since, the rollback that closing sends
    fails (MariaDB reads run in a transaction), and an error raised here would escape Flask and turn
    that finished answer into the server's bare 500 page. The pool has already discarded the dead
    connection, so there is nothing left to do but say so."""
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except DBAPIError as error:
        if not database_unavailable(error):
            raise
        log.warning("database connection lost while ending a request: %s", type(error).__name__)


def _close_session(_error: BaseException | None) -> None:
    close_session()
