"""`blogroll blogs`: add, list, import and export blogs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from blogroll.cli.context import Context, pass_context

if TYPE_CHECKING:
    from pydantic import ValidationError


@click.group()
def blogs() -> None:
    """Add, list, import and export blogs."""


@blogs.command("add")
@click.argument("name_or_url", metavar="URL | NAME FEED_URL")
@click.argument("feed_url", required=False, metavar="")
@click.option("--name", "given_name", help="The blog's name, with URL alone (default: the feed's title).")
@click.option("--site-url", help="The blog's home page.")
@click.option("--description", default="", help="A line about the blog.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@pass_context
def blogs_add(
    context: Context,
    name_or_url: str,
    feed_url: str | None,
    given_name: str | None,
    site_url: str | None,
    description: str,
    tags: tuple[str, ...],
) -> None:
    """Add a blog by its site's address URL (or its feed's), its feed found by fetching it; or
    add the blog NAME whose feed is at FEED_URL, fetching nothing."""
    from pydantic import ValidationError

    from blogroll.discovery import NoFeedFound
    from blogroll.new_blogs import prepare_blog
    from blogroll.schemas import BlogCreate
    from blogroll.storage import blogs as blog_store

    values: dict[str, Any] = {"description": description, "tags": list(tags)}
    if feed_url is None:
        if site_url is not None:
            raise click.UsageError("with URL alone, URL is the site's address: leave out --site-url")
        values["site_url"] = name_or_url
        if given_name is not None:
            values["name"] = given_name
    else:
        if given_name is not None:
            raise click.UsageError("give the name once: as NAME, or with --name and URL alone")
        values.update(name=name_or_url, feed_url=feed_url, site_url=site_url)
    try:
        prepared = prepare_blog(BlogCreate.model_validate(values), context.settings)
    except ValidationError as error:
        raise click.ClickException(_validation_lines(error)) from None
    except NoFeedFound as missing:
        raise click.ClickException(str(missing)) from None
    if prepared.discovery is not None:
        click.echo(f"Found the feed {prepared.discovery.feed_url}: {prepared.discovery.reason}.")
    with context.session() as session:
        try:
            blog = blog_store.create_blog(session, prepared.blog)
        except blog_store.DuplicateFeed as duplicate:
            raise click.ClickException(str(duplicate)) from None
        click.echo(f"Added blog {blog.id}: {blog.name} ({blog.feed_url})")


def _validation_lines(error: ValidationError) -> str:
    from blogroll.validation import validation_details

    return "; ".join(f"{item['field']}: {item['message']}" for item in validation_details(error))


@blogs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, as the API does.")
@pass_context
def blogs_list(context: Context, as_json: bool) -> None:
    """List every blog, alphabetically."""
    from blogroll.schemas import BlogOut
    from blogroll.storage import blogs as blog_store

    with context.session() as session:
        found = blog_store.list_blogs_by_name(session)
        if as_json:
            # `icon_url` stays null: the icon's address is absolute, and here no request says the host.
            click.echo(json.dumps([BlogOut.of(blog).model_dump(mode="json") for blog in found], indent=2))
            return
        for blog in found:
            state = "" if blog.enabled else f"  [{blog.paused_reason or 'paused'}]"
            click.echo(f"{blog.id:>5}  {blog.name}  {blog.feed_url}{state}")
        if not found:
            click.echo("No blogs yet; add one with `blogroll blogs add NAME FEED_URL`.")


@blogs.command("resume")
@click.argument("blog_id", type=int)
@pass_context
def blogs_resume(context: Context, blog_id: int) -> None:
    """Resume fetching the paused blog BLOG_ID at the next pass, its failures counted anew."""
    from blogroll.storage import blogs as blog_store

    with context.session() as session:
        blog = blog_store.get_blog(session, blog_id)
        if blog is None:
            raise click.ClickException(f"there is no blog with id {blog_id}")
        if blog.enabled:
            click.echo(f"Blog {blog.id} ({blog.name}) is not paused.")
            return
        reason = blog.paused_reason or "paused"
        blog_store.set_paused(session, blog, False)
        click.echo(f"Resumed blog {blog.id} ({blog.name}); it was {reason}.")


@blogs.command("import")
@click.argument("file", type=click.File("rb"))
@pass_context
def blogs_import(context: Context, file: Any) -> None:
    """Import the blogs of an OPML FILE (`-` for stdin); feeds already known are skipped."""
    from blogroll.opml import OpmlError
    from blogroll.opml_import import import_opml

    data = file.read()
    try:
        with context.session() as session:
            done = import_opml(session, data)
    except OpmlError as error:
        where = ""
        if isinstance(error.details, dict) and "line" in error.details:
            where = f" (line {error.details['line']}, column {error.details['column']})"
        raise click.ClickException(f"cannot import {file.name}: {error.message}{where}") from None
    parsed, outcome = done.parsed, done.outcome
    for note in parsed.notes:
        click.echo(f"  imported {note.title}: {note.note}")
    for refused in parsed.refused:
        click.echo(f"  refused {refused.title} ({refused.xml_url}): {refused.reason}")
    click.echo(
        f"Imported {len(outcome.added)} blog(s); skipped {len(outcome.skipped)} already known; "
        f"refused {len(parsed.refused)}."
    )


@blogs.command("export")
@click.argument("file", type=click.File("wb"), default="-")
@pass_context
def blogs_export(context: Context, file: Any) -> None:
    """Write the blogroll as OPML to FILE (default: stdout)."""
    from blogroll.opml import render_opml
    from blogroll.storage import blogs as blog_store

    with context.session() as session:
        file.write(render_opml(blog_store.list_blogs_by_name(session), title=context.settings.site_title))
