"""The pages a reader sees: thin views over the storage functions, rendered by Jinja templates."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _

from blogroll.caching import conditional, page_etag, state
from blogroll.config import current_settings
from blogroll.pages import bp
from blogroll.storage import blogs, entries
from blogroll.storage.db import get_session
from blogroll.storage.models import Entry


@bp.get("/")
def index() -> Response:
    settings = current_settings()
    session = get_session()
    cursor = cursor_arg()
    page = entries.list_entries(session, limit=settings.page_size + 1, cursor=cursor)
    blogroll = blogs.list_blog_links(session)
    return conditional(
        page_etag(state(page), blogroll),
        lambda: render_template(
            "index.html",
            greeting=settings.greeting,
            blogroll=blogroll,
            blog_names={blog.id: blog.name for blog in blogroll},
            entries=page[: settings.page_size],
            older=older_url(".index", page, settings.page_size),
            newest=None if cursor is None else url_for(".index"),
        ),
    )


@bp.get("/blogs/<int:blog_id>")
def blog(blog_id: int) -> Response:
    settings = current_settings()
    session = get_session()
    found = blogs.get_blog(session, blog_id)
    if found is None:
        abort(404, _("There is no blog with id %(id)s.", id=blog_id))
    cursor = cursor_arg()
    page = entries.list_entries(session, limit=settings.page_size + 1, blog_id=blog_id, cursor=cursor)
    return conditional(
        page_etag(state([found]), [found.tags], state(page)),
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


def older_url(endpoint: str, page: list[Entry], size: int, **values: Any) -> str | None:
    if len(page) <= size:
        return None
    return url_for(endpoint, before=entries.EntryCursor.after(page[size - 1]).encode(), **values)
