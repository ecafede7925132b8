"""`blogroll entries`: what is kept of the blogs' posts."""

from __future__ import annotations

import click

from blogroll.cli.context import Context, DatabaseProblem, database_problem, pass_context


@click.group()
def entries() -> None:
    """The blogs' posts, as the worker stores them."""


@entries.command("prune")
@pass_context
def entries_prune(context: Context) -> None:
    """Delete now what the worker deletes once a day: entries published more than
    BLOGROLL_ENTRY_RETENTION_DAYS ago, and those beyond each blog's BLOGROLL_ENTRIES_PER_BLOG newest."""
    from sqlalchemy.exc import SQLAlchemyError

    from blogroll.storage.models import utcnow
    from blogroll.worker.prune import prune

    settings = context.settings
    try:
        pruned = prune(context.database, settings, now=utcnow())
    except SQLAlchemyError as error:
        raise DatabaseProblem(database_problem(error, settings)) from None
    too_old = (
        f"published more than {settings.entry_retention_days} days ago"
        if settings.entry_retention_days
        else "too old (none: BLOGROLL_ENTRY_RETENTION_DAYS=0 keeps them all)"
    )
    too_many = (
        f"beyond the newest {settings.entries_per_blog} of their blog"
        if settings.entries_per_blog
        else "beyond a blog's limit (none: BLOGROLL_ENTRIES_PER_BLOG=0 keeps them all)"
    )
    click.echo(f"Deleted {pruned.too_old} entries {too_old}.")
    click.echo(f"Deleted {pruned.over_limit} entries {too_many}.")
