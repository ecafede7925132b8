"""`blogroll run`, `serve` and `db`: the servers, and the schema they serve."""

from __future__ import annotations

import click

from blogroll import __version__, create_app
from blogroll.cli.context import Context, DatabaseProblem, database_problem, pass_context, shown_url


@click.command()
@click.option("--host", help="Address to listen on (default: BLOGROLL_HOST, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port to listen on (default: BLOGROLL_PORT, 8000)."
)
@pass_context
def run(context: Context, host: str | None, port: int | None) -> None:
    """Run Blogroll on one machine: migrate the database if needed, then serve it."""
    from blogroll.server import GunicornServer, gunicorn_options, with_hooks
    from blogroll.worker.embedded import embedded_worker_hooks

    settings = context.settings
    _migrate(context)
    host = host or settings.host
    port = port or settings.port
    options = gunicorn_options(settings, host=host, port=port, workers=1)
    # The feed worker runs as a thread of the one web worker process, so nothing else is needed.
    options = with_hooks(options, embedded_worker_hooks(settings))
    click.echo(f"Blogroll {__version__} on http://{host}:{port}/ (database: {shown_url(settings)})")
    GunicornServer(settings, options, create_app).run()


@click.command()
@pass_context
def serve(context: Context) -> None:
    """Serve with the production server (gunicorn); run `blogroll db upgrade` first."""
    from blogroll.server import GunicornServer, gunicorn_options

    settings = context.settings
    _check_schema(context)
    options = gunicorn_options(settings, host=settings.host, port=settings.port, workers=settings.web_workers)
    GunicornServer(settings, options, create_app).run()


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_context
def db_upgrade(context: Context) -> None:
    """Apply any migrations the database does not have yet."""
    _migrate(context)
    click.echo(f"Database is up to date ({shown_url(context.settings)}).")


def _migrate(context: Context) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from blogroll.storage.migrate import is_current, upgrade

    engine = context.database.engine
    try:
        if not is_current(engine):
            upgrade(engine)
    except SQLAlchemyError as error:
        raise DatabaseProblem(database_problem(error, context.settings)) from None
    finally:
        # Server workers fork from this process; they must not inherit its connections.
        engine.dispose()


def _check_schema(context: Context) -> None:
    """Refuses to serve an old schema; a database that is down is only a warning (see /readyz)."""
    engine = context.database.engine
    try:
        current = context.schema_is_current()
    except DatabaseProblem as problem:
        click.echo(
            f"Warning: {problem.message} Serving anyway: /readyz tells when the database answers.", err=True
        )
        return
    finally:
        engine.dispose()
    if not current:
        raise click.ClickException(
            f"the database at {shown_url(context.settings)} is not up to date; "
            "run `blogroll db upgrade` first"
        )
