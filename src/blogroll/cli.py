"""The `blogroll` command: run the embedded server, serve in production, and manage the data."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import Session

from blogroll import __version__, create_app
from blogroll.config import Settings, SettingsError, load_settings
from blogroll.storage import blogs as blog_store
from blogroll.storage import tokens as token_store
from blogroll.storage.db import Database, database_unavailable, make_engine
from blogroll.storage.migrate import is_current, upgrade


class Context:
    """Settings and a database, made on first use so `--help` works without either."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._database: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings()
            except SettingsError as error:
                raise click.ClickException(str(error)) from None
        return self._settings

    @property
    def database(self) -> Database:
        if self._database is None:
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
        try:
            with self.database.session() as session:
                yield session
        except SQLAlchemyError as error:
            raise click.ClickException(_database_problem(error, self.settings)) from None


pass_context = click.make_pass_decorator(Context, ensure=True)


def _database_problem(error: SQLAlchemyError, settings: Settings) -> str:
    where = settings.sqlalchemy_url.render_as_string(hide_password=True)
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


def _missing_table(error: SQLAlchemyError) -> bool:
    message = str(getattr(error, "orig", None) or error)
    if isinstance(error, OperationalError):
        return "no such table" in message  # SQLite; the servers raise ProgrammingError
    return isinstance(error, ProgrammingError) and ("doesn't exist" in message or "does not exist" in message)


def _first_line(error: BaseException) -> str:
    """The driver's own words, one line: what an operator needs, without SQL or a traceback."""
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(original).__name__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="blogroll")
@click.pass_context
def main(click_context: click.Context) -> None:
    """Blogroll: a community's list of blogs and their latest posts."""
    # One Context for the whole command line, its connections closed when the command ends.
    click_context.call_on_close(click_context.ensure_object(Context).close)


@main.command()
@click.option("--host", help="Address to listen on (default: BLOGROLL_HOST, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port to listen on (default: BLOGROLL_PORT, 8000)."
)
@pass_context
def run(context: Context, host: str | None, port: int | None) -> None:
    """Run Blogroll on one machine: migrate the database if needed, then serve it."""
    from blogroll.server import GunicornServer, gunicorn_options, with_hooks

    settings = context.settings
    _migrate(context)
    host = host or settings.host
    port = port or settings.port
    options = gunicorn_options(settings, host=host, port=port, workers=1)
    # The feed worker runs as a thread of the one web worker process, so nothing else is needed.
    from blogroll.worker.embedded import embedded_worker_hooks

    options = with_hooks(options, embedded_worker_hooks(settings))
    click.echo(f"Blogroll {__version__} on http://{host}:{port}/ (database: {_where(settings)})")
    GunicornServer(settings, options, create_app).run()


@main.command()
@pass_context
def serve(context: Context) -> None:
    """Serve with the production server (gunicorn); run `blogroll db upgrade` first."""
    from blogroll.server import GunicornServer, gunicorn_options

    settings = context.settings
    _check_schema(context)
    options = gunicorn_options(settings, host=settings.host, port=settings.port, workers=settings.web_workers)
    GunicornServer(settings, options, create_app).run()


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_context
def db_upgrade(context: Context) -> None:
    """Apply any migrations the database does not have yet."""
    _migrate(context)
    click.echo(f"Database is up to date ({_where(context.settings)}).")


def _migrate(context: Context) -> None:
    engine = context.database.engine
    try:
        if not is_current(engine):
            upgrade(engine)
    except SQLAlchemyError as error:
        raise click.ClickException(_database_problem(error, context.settings)) from None
    finally:
        # Server workers fork from this process; they must not inherit its connections.
        engine.dispose()


def _check_schema(context: Context) -> None:
    """Refuses to serve an old schema; a database that is down is only a warning (see /readyz)."""
    engine = context.database.engine
    try:
        current = is_current(engine)
    except SQLAlchemyError as error:
        problem = _database_problem(error, context.settings)
        click.echo(f"Warning: {problem} Serving anyway: /readyz tells when the database answers.", err=True)
        return
    finally:
        engine.dispose()
    if not current:
        raise click.ClickException(
            f"the database at {_where(context.settings)} is not up to date; run `blogroll db upgrade` first"
        )


def _where(settings: Settings) -> str:
    return settings.sqlalchemy_url.render_as_string(hide_password=True)


@main.group()
def blogs() -> None:
    """Add, list, import and export blogs."""


@blogs.command("add")
@click.argument("name")
@click.argument("feed_url")
@click.option("--site-url", help="The blog's home page.")
@click.option("--description", default="", help="A line about the blog.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@pass_context
def blogs_add(
    context: Context,
    name: str,
    feed_url: str,
    site_url: str | None,
    description: str,
    tags: tuple[str, ...],
) -> None:
    """Add the blog NAME whose feed is at FEED_URL."""
    from blogroll.schemas import BlogCreate

    try:
        valid = BlogCreate.model_validate(
            {
                "name": name,
                "feed_url": feed_url,
                "site_url": site_url,
                "description": description,
                "tags": list(tags),
            }
        )
    except ValidationError as error:
        raise click.ClickException(_validation_lines(error)) from None
    with context.session() as session:
        try:
            blog = blog_store.create_blog(session, blog_store.NewBlog(**valid.model_dump()))
        except blog_store.DuplicateFeed as duplicate:
            raise click.ClickException(str(duplicate)) from None
        click.echo(f"Added blog {blog.id}: {blog.name} ({blog.feed_url})")


@blogs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, as the API does.")
@pass_context
def blogs_list(context: Context, as_json: bool) -> None:
    """List every blog, alphabetically."""
    from blogroll.schemas import BlogOut

    with context.session() as session:
        found = blog_store.list_blogs_by_name(session)
        if as_json:
            click.echo(json.dumps([BlogOut.of(blog).model_dump(mode="json") for blog in found], indent=2))
            return
        for blog in found:
            state = "" if blog.enabled else "  [paused]"
            click.echo(f"{blog.id:>5}  {blog.name}  {blog.feed_url}{state}")
        if not found:
            click.echo("No blogs yet; add one with `blogroll blogs add NAME FEED_URL`.")


@blogs.command("import")
@click.argument("file", type=click.File("rb"))
@pass_context
def blogs_import(context: Context, file: Any) -> None:
    """Import the blogs of an OPML FILE (`-` for stdin); feeds already known are skipped."""
    from blogroll.opml import OpmlError, parse_opml

    try:
        parsed = parse_opml(file.read())
    except OpmlError as error:
        raise click.ClickException(_opml_problem(file.name, error)) from None
    with context.session() as session:
        outcome = blog_store.import_blogs(session, parsed)
        click.echo(f"Imported {len(outcome.added)} blog(s); skipped {outcome.skipped} already known.")


def _opml_problem(name: str, error: Any) -> str:
    """One line for a bad file, then one line per invalid outline (details: a dict or a list)."""
    details = error.details
    where = ""
    if isinstance(details, dict) and "line" in details:
        where = f" (line {details['line']}, column {details['column']})"
    lines = [f"cannot import {name}: {error.message}{where}"]
    if isinstance(details, list):
        for problem in details:
            for field in problem["errors"]:
                lines.append(f"  {problem['outline']}: {field['field']}: {field['message']}")
    return "\n".join(lines)


@blogs.command("export")
@click.argument("file", type=click.File("wb"), default="-")
@pass_context
def blogs_export(context: Context, file: Any) -> None:
    """Write the blogroll as OPML to FILE (default: stdout)."""
    from blogroll.opml import render_opml

    with context.session() as session:
        file.write(render_opml(blog_store.list_blogs_by_name(session), title=context.settings.site_title))


@main.group()
def tokens() -> None:
    """API tokens for writes (`Authorization: Bearer <token>`)."""


@tokens.command("create")
@click.option("--name", required=True, help="Who or what the token is for; unique.")
@pass_context
def tokens_create(context: Context, name: str) -> None:
    """Create a token and print it once; only its hash is stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise click.ClickException("--name must be 1 to 100 characters")
    with context.session() as session:
        try:
            _row, token = token_store.create_token(session, name)
        except token_store.TokenNameTaken as error:
            raise click.ClickException(f"{error}; pick another name or revoke it first") from None
    click.echo(token)
    click.echo(f"Token {name!r} created. Copy it now: it cannot be shown again.", err=True)


@tokens.command("list")
@pass_context
def tokens_list(context: Context) -> None:
    """List tokens (names and dates; the tokens themselves are not stored)."""
    with context.session() as session:
        rows = token_store.list_tokens(session)
        for row in rows:
            used = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never"
            created = row.created_at.strftime("%Y-%m-%d %H:%M")
            click.echo(f"{row.id:>4}  {row.name}  created {created}  last used {used}")
        if not rows:
            click.echo("No tokens; create one with `blogroll tokens create --name NAME`.")


@tokens.command("revoke")
@click.argument("name_or_id")
@pass_context
def tokens_revoke(context: Context, name_or_id: str) -> None:
    """Revoke the token with this name (or id); requests using it get 401 from now on."""
    with context.session() as session:
        row = token_store.revoke_token(session, name_or_id)
        if row is None:
            raise click.ClickException(f"there is no token named {name_or_id!r}")
        click.echo(f"Revoked token {row.name!r}.")


def _validation_lines(error: ValidationError) -> str:
    from blogroll.errors import validation_details

    return "; ".join(f"{item['field']}: {item['message']}" for item in validation_details(error))


# The feed worker's commands live with the worker (imported last: they use this module's Context).
from blogroll.worker.commands import fetch, worker  # noqa: E402

main.add_command(worker)
main.add_command(fetch)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
