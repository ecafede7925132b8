"""What every `blogroll` command shares: settings and a database made on first use, and the one-line
wording of their problems.

pydantic, SQLAlchemy and Alembic are imported where they are used: `blogroll --help` loads this module
and should not cost them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from blogroll.config import Settings
    from blogroll.storage.db import Database


class DatabaseProblem(click.ClickException):
    """The database failed; the message is one line an operator can act on."""


class Context:
    """Settings and a database, made on first use so `--help` works without either."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._database: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from blogroll.config import SettingsError, load_settings

            try:
                self._settings = load_settings()
            except SettingsError as error:
                raise click.ClickException(str(error)) from None
        return self._settings

    @property
    def database(self) -> Database:
        if self._database is None:
            from sqlalchemy.exc import ArgumentError

            from blogroll.storage.db import Database, make_engine

            try:
                self._database = Database(make_engine(self.settings))
            except (ArgumentError, ImportError) as error:
                # The URL itself is not repeated: it may hold a password.
                raise click.ClickException(
                    f"DATABASE_URL is not a database URL Blogroll can use ({_first_line(error)}); "
                    "use sqlite:///PATH, postgresql://USER@HOST/DB or mysql://USER@HOST/DB"
                ) from None
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A committed unit of work; database failures become one readable line."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self.database.transaction() as session:
                yield session
        except SQLAlchemyError as error:
            raise DatabaseProblem(database_problem(error, self.settings)) from None

    def schema_is_current(self) -> bool:
        """Whether the database has every committed migration: `serve` and the worker check before
        they start, each saying in its own words what to do."""
        from sqlalchemy.exc import SQLAlchemyError

        from blogroll.storage.migrate import is_current

        engine = self.database.engine
        try:
            return is_current(engine)
        except SQLAlchemyError as error:
            raise DatabaseProblem(database_problem(error, self.settings)) from None

    def wait_for_schema(self, seconds: float) -> bool:
        """`schema_is_current`, asked again every second for up to `seconds` while the answer is no
        or the database does not answer: a server started beside `blogroll db upgrade` (a replica
        before the migration job) waits for it rather than exiting. Raises the last DatabaseProblem
        if the database never answered."""
        import time

        deadline = time.monotonic() + seconds
        said = False
        while True:
            problem: DatabaseProblem | None = None
            try:
                if self.schema_is_current():
                    return True
            except DatabaseProblem as error:
                problem = error
            if time.monotonic() >= deadline:
                if problem is not None:
                    raise problem
                return False
            if not said:
                click.echo(f"Waiting up to {seconds:g} s for the database schema to be up to date...")
                said = True
            time.sleep(1)


pass_context = click.make_pass_decorator(Context, ensure=True)

# For `serve` and `worker`: an orchestrator may start them before its migration job has run.
wait_for_schema_option = click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait for the database schema to be up to date (`blogroll db upgrade` run "
    "elsewhere) before refusing to start.",
)


def database_problem(error: SQLAlchemyError, settings: Settings) -> str:
    """What went wrong and what to do, in one line, without the password."""
    from blogroll.storage.db import database_unavailable

    where = shown_url(settings)
    reason = _first_line(error)
    # Checked first: SQLite reports a missing table as an OperationalError, like an unreachable server.
    if _missing_table(error):
        return f"the database at {where} has no Blogroll tables yet; run `blogroll db upgrade`"
    if database_unavailable(error):
        return (
            f"cannot reach the database at {where} ({reason}); "
            "is it running, and are the URL and password right?"
        )
    return f"database error at {where}: {reason}"


def shown_url(settings: Settings) -> str:
    """The database URL as messages show it: the password masked."""
    return settings.sqlalchemy_url.render_as_string(hide_password=True)


def _missing_table(error: SQLAlchemyError) -> bool:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    message = str(getattr(error, "orig", None) or error)
    if isinstance(error, OperationalError):
        return "no such table" in message  # SQLite; the servers raise ProgrammingError
    return isinstance(error, ProgrammingError) and ("doesn't exist" in message or "does not exist" in message)


def _first_line(error: BaseException) -> str:
    """The driver's own words, one line: what an operator needs, without SQL or a traceback."""
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(original).__name__
