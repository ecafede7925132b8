"""`blogroll tokens`: the API tokens that allow writes."""

from __future__ import annotations

import click

from blogroll.cli.context import Context, pass_context


@click.group()
def tokens() -> None:
    """API tokens for writes (`Authorization: Bearer <token>`)."""


@tokens.command("create")
@click.option("--name", required=True, help="Who or what the token is for; unique.")
@pass_context
def tokens_create(context: Context, name: str) -> None:
    """Create a token and print it once; only its hash is stored."""
    from blogroll.storage import tokens as token_store

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
    from blogroll.storage import tokens as token_store

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
    from blogroll.storage import tokens as token_store

    with context.session() as session:
        row = token_store.revoke_token(session, name_or_id)
        if row is None:
            raise click.ClickException(f"there is no token named {name_or_id!r}")
        click.echo(f"Revoked token {row.name!r}.")
