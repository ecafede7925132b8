"""The pages a reader sees: thin views over the storage functions, rendered by Jinja templates."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from blogroll.caching import conditional, page_etag
from blogroll.config import current_settings
from blogroll.pages import bp
from blogroll.paging import page_number_arg
from blogroll.schemas import Tag
from blogroll.storage import blogs, entries
from blogroll.storage.db import get_session
from blogroll.storage.entries import EntryRecord

# The sidebar shows the blogs added last, so that a page costs the same with 200 blogs or 20,000;
# the whole blogroll is on /blogs/, a page at a time.
SIDEBAR_BLOGS = 20
BLOGS_PAGE = 50
_TAG = TypeAdapter(Tag)


@bp.get("/")
def index() -> Response:
    settings = current_settings()
    session = get_session()
    cursor = cursor_arg()
    page = entries.list_entries(session, limit=settings.page_size + 1, cursor=cursor)
    blogroll = blogs.list_newest_blog_links(session, limit=SIDEBAR_BLOGS)
    names = entry_blog_names(session, page[: settings.page_size])
    return conditional(
        page_etag(page, blogroll, names.items()),
        lambda: render_template(
            "index.html",
            greeting=settings.greeting,
            blogroll=blogroll,
            blog_names=names,
            entries=page[: settings.page_size],
            older=older_url(".index", page, settings.page_size),
            newest=None if cursor is None else url_for(".index"),
        ),
    )


@bp.get("/blogs/")
def blog_index() -> Response:
    """The whole blogroll (or a tag's blogs), alphabetically, BLOGS_PAGE at a time."""
    session = get_session()
    number = page_number_arg()
    tag = request.args.get("tag") or None
    if tag is not None:
        known_tag(tag)
    found = blogs.list_blog_links(session, tag=tag, offset=(number - 1) * BLOGS_PAGE, limit=BLOGS_PAGE + 1)
    if not found and number > 1:
        abort(404, _("There is no page %(number)s of this list.", number=number))
    values: dict[str, Any] = {"tag": tag} if tag else {}
    return conditional(
        page_etag(found[:BLOGS_PAGE]),
        lambda: render_template(
            "blogs.html",
            tag=tag,
            blogroll=found[:BLOGS_PAGE],
            number=number,
            first=(number - 1) * BLOGS_PAGE + 1,
            previous=None if number == 1 else url_for(".blog_index", page=number - 1, **values),
            next=url_for(".blog_index", page=number + 1, **values) if len(found) > BLOGS_PAGE else None,
        ),
    )


def entry_blog_names(session: Session, shown: list[EntryRecord]) -> dict[int, str]:
    """The names of the blogs of the entries shown (at most a page of them), not the whole roll's."""
    return {link.id: link.name for link in blogs.list_blog_links(session, ids={e.blog_id for e in shown})}


def known_tag(tag: str) -> None:
    """404 unless some blog carries exactly this tag (tags are stored normalized, so `Python` is
    not `python`); text no tag can be never reaches the database."""
    try:
        valid = _TAG.validate_python(tag) == tag
    except ValidationError:
        valid = False
    if not valid or not blogs.tag_exists(get_session(), tag):
        abort(404, f"There is no tag “{tag[:100]}”.")


@bp.get("/blogs/<int:blog_id>")
def blog(blog_id: int) -> Response:
    settings = current_settings()
    session = get_session()
    found = blogs.find_blog_record(session, blog_id)
    if found is None:
        abort(404, _("There is no blog with id %(id)s.", id=blog_id))
    cursor = cursor_arg()
    page = entries.list_entries(session, limit=settings.page_size + 1, blog_id=blog_id, cursor=cursor)
    return conditional(
        page_etag([found], page),
        lambda: render_template(
            "blog.html",
            blog=found,
            entries=page[: settings.page_size],
            older=older_url(".blog", page, settings.page_size, blog_id=blog_id),
            newest=None if cursor is None else url_for(".blog", blog_id=blog_id),
        ),
    )


def cursor_arg() -> entries.EntryCursor | None:
    text = request.args.get("before")
    if not text:
        return None
    try:
        return entries.EntryCursor.decode(text)
    except entries.BadCursor:
        abort(400, _("That page link is not valid. Start again from the first page."))


def older_url(endpoint: str, page: list[EntryRecord], size: int, **values: Any) -> str | None:
    if len(page) <= size:
        return None
    return url_for(endpoint, before=entries.EntryCursor.after(page[size - 1]).encode(), **values)
