"""`blogroll backup` and `blogroll restore`: the embedded SQLite database, copied while it runs.

A server database (PostgreSQL, MariaDB) has its own tools; both commands say which and do nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from blogroll.cli.context import Context, DatabaseProblem, database_problem, pass_context, shown_url


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite FILE if it exists.")
@pass_context
def backup(context: Context, file: Path, replace: bool) -> None:
    """Copy the embedded SQLite database to FILE: consistent, while `blogroll run` serves and fetches."""
    from blogroll.storage import backups

    url = context.settings.sqlalchemy_url
    _refuse_servers(url)
    try:
        contents = backups.backup(backups.sqlite_file(url), file, replace=replace)
    except backups.BackupProblem as problem:
        raise click.ClickException(f"cannot back up: {problem}") from None
    click.echo(
        f"Backed up {shown_url(context.settings)} to {file}: {contents.blogs} blog(s), "
        f"{contents.entries} entries, schema {contents.revision}."
    )


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def restore(context: Context, file: Path) -> None:
    """Replace the embedded SQLite database with the backup FILE (Blogroll must be stopped)."""
    from sqlalchemy.exc import SQLAlchemyError

    from blogroll.storage import backups
    from blogroll.storage.migrate import is_current, upgrade

    url = context.settings.sqlalchemy_url
    _refuse_servers(url)
    try:
        contents = backups.restore(file, backups.sqlite_file(url))
    except backups.BackupProblem as problem:
        raise click.ClickException(f"cannot restore: {problem}") from None
    click.echo(
        f"Restored {file} to {shown_url(context.settings)}: {contents.blogs} blog(s), "
        f"{contents.entries} entries, schema {contents.revision}."
    )
    engine = context.database.engine
    try:
        if not is_current(engine):
            upgrade(engine)
            click.echo("Brought its schema up to date.")
    except SQLAlchemyError as error:
        raise DatabaseProblem(database_problem(error, context.settings)) from None
    finally:
        engine.dispose()


def _refuse_servers(url: object) -> None:
    from blogroll.storage.backups import server_tools

    advice = server_tools(url)  # type: ignore[arg-type]
    if advice is not None:
        raise click.ClickException(advice)
