"""The pages a reader sees: thin views over the storage functions, rendered by Jinja templates."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, render_template, request, url_for
from werkzeug.http import HTTP_STATUS_CODES

from blogroll import __version__
from blogroll.config import current_settings
from blogroll.pages import bp
from blogroll.pages.conditional import conditional, page_etag, state
from blogroll.storage import blogs, entries
from blogroll.storage.db import get_session
from blogroll.storage.models import Entry


@bp.app_context_processor
def _site() -> dict[str, Any]:
    """Values every template (error pages included) can use."""
    return {"site_title": current_settings().site_title, "version": __version__}


@bp.app_template_filter("web_url")
def web_url(value: str | None) -> str | None:
    """The URL if it is an absolute http(s) address, else None: feeds can carry `javascript:` links."""
    if not value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


@bp.app_template_filter("rfc3339")
def rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@bp.app_template_filter("status_phrase")
def status_phrase(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, "Error")


@bp.get("/")
def index() -> Response:
    settings = current_settings()
    session = get_session()
    cursor = _cursor_arg()
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
            older=_older_url(".index", page, settings.page_size),
            newest=None if cursor is None else url_for(".index"),
        ),
    )


@bp.get("/blogs/<int:blog_id>")
def blog(blog_id: int) -> Response:
    settings = current_settings()
    session = get_session()
    found = blogs.get_blog(session, blog_id)
    if found is None:
        abort(404, f"There is no blog with id {blog_id}.")
    cursor = _cursor_arg()
    page = entries.list_entries(session, limit=settings.page_size + 1, blog_id=blog_id, cursor=cursor)
    return conditional(
        page_etag(state([found]), [found.tags], state(page)),
        lambda: render_template(
            "blog.html",
            blog=found,
            entries=page[: settings.page_size],
            older=_older_url(".blog", page, settings.page_size, blog_id=blog_id),
            newest=None if cursor is None else url_for(".blog", blog_id=blog_id),
        ),
    )


def _cursor_arg() -> entries.EntryCursor | None:
    text = request.args.get("before")
    if not text:
        return None
    try:
        return entries.EntryCursor.decode(text)
    except entries.BadCursor:
        abort(400, "That page link is not valid. Start again from the first page.")


def _older_url(endpoint: str, page: list[Entry], size: int, **values: Any) -> str | None:
    if len(page) <= size:
        return None
    return url_for(endpoint, before=entries.EntryCursor.after(page[size - 1]).encode(), **values)
