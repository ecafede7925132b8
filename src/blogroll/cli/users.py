"""`blogroll users`: the accounts that sign in to the admin pages."""

from __future__ import annotations

import sys

import click

from blogroll.cli.context import Context, pass_context


@click.group()
def users() -> None:
    """Accounts for the admin pages (/admin/); passwords are stored as argon2id hashes only."""


def _read_password(password_stdin: bool) -> str:
    """From standard input (`--password-stdin`, first line) or typed twice at a hidden prompt."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    from blogroll.storage import users as user_store

    try:
        return user_store.check_password(password)
    except user_store.BadPassword as error:
        raise click.ClickException(str(error)) from None


@users.command("create")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def users_create(context: Context, name: str, password_stdin: bool) -> None:
    """Create the user NAME; the password is asked for (or read with --password-stdin)."""
    from blogroll.storage import users as user_store

    try:
        name = user_store.check_name(name)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    password = _read_password(password_stdin)
    with context.session() as session:
        try:
            user_store.create_user(session, name, password)
        except user_store.UserNameTaken as error:
            raise click.ClickException(f"{error}; pick another name") from None
    click.echo(f"Created user {name!r}; they can sign in at /admin/.")


@users.command("list")
@pass_context
def users_list(context: Context) -> None:
    """List the users, alphabetically."""
    from blogroll.storage import users as user_store

    with context.session() as session:
        rows = user_store.list_users(session)
        for row in rows:
            click.echo(f"{row.id:>4}  {row.name}  created {row.created_at.strftime('%Y-%m-%d %H:%M')}")
        if not rows:
            click.echo("No users; create one with `blogroll users create NAME`.")


@users.command("delete")
@click.argument("name")
@pass_context
def users_delete(context: Context, name: str) -> None:
    """Delete the user NAME; their sessions end at once."""
    from blogroll.storage import users as user_store

    with context.session() as session:
        try:
            user_store.delete_user(session, name)
        except user_store.UnknownUser as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Deleted user {name.strip()!r}.")


@users.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def users_set_password(context: Context, name: str, password_stdin: bool) -> None:
    """Give NAME a new password; every session they have ends at once."""
    from blogroll.storage import users as user_store

    with context.session() as session:
        if user_store.get_user(session, name) is None:
            raise click.ClickException(f"there is no user named {name.strip()!r}")
    password = _read_password(password_stdin)
    with context.session() as session:
        user_store.set_password(session, name, password)
    click.echo(f"Changed the password of {name.strip()!r}; their sessions have ended.")
