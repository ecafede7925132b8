"""The `blogroll` command: run the embedded server, serve in production, and manage the data.

`--help` imports every command's module, so each one imports at its top only click and the shared
context; what a command needs (SQLAlchemy, Alembic, gunicorn, httpx, feedparser) it imports when it runs.
The modules are imported, not their commands: `blogs` and `tokens` would hide the modules of that name.
"""

from __future__ import annotations

import sys

import click

from blogroll import __version__
from blogroll.cli import backups, blogs, entries, server, tokens, users, worker
from blogroll.cli.context import Context


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="blogroll")
@click.pass_context
def main(click_context: click.Context) -> None:
    """Blogroll: a community's list of blogs and their latest posts."""
    # One Context for the whole command line, its connections closed when the command ends.
    click_context.call_on_close(click_context.ensure_object(Context).close)


main.add_command(server.run)
main.add_command(server.serve)
main.add_command(server.db)
main.add_command(blogs.blogs)
main.add_command(entries.entries)
main.add_command(tokens.tokens)
main.add_command(users.users)
main.add_command(worker.worker)
main.add_command(worker.fetch)
main.add_command(backups.backup)
main.add_command(backups.restore)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
