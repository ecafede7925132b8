"""The blogroll's own feeds: OPML of the blogs, Atom and JSON Feed of everyone's latest entries (the
documents themselves are made in syndication.py; tags.py serves the same for one tag)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from flask import Response, url_for

from blogroll.caching import conditional, page_etag
from blogroll.config import current_settings
from blogroll.opml import render_opml
from blogroll.pages import bp
from blogroll.pages.syndication import JSON_FEED_TYPE, FeedInfo, render_atom, render_json_feed
from blogroll.storage import blogs, entries
from blogroll.storage.blogs import BlogLink
from blogroll.storage.db import get_session
from blogroll.storage.entries import EntryRecord

FEED_ENTRIES = 50
ATOM_TYPE = "application/atom+xml"

Renderer = Callable[[Sequence[EntryRecord], Mapping[int, BlogLink], FeedInfo], bytes]


@bp.get("/blogroll.opml")
@bp.get("/.well-known/recommendations.opml", endpoint="recommendations_opml")
def opml_export() -> Response:
    return opml_response(title=current_settings().site_title)


@bp.get("/feed.atom")
def atom_feed() -> Response:
    return feed_response(
        render_atom,
        ATOM_TYPE,
        feed_url=url_for(".atom_feed", _external=True),
        home_page_url=url_for(".index", _external=True),
    )


@bp.get("/feed.json")
def json_feed() -> Response:
    return feed_response(
        render_json_feed,
        JSON_FEED_TYPE,
        feed_url=url_for(".json_feed", _external=True),
        home_page_url=url_for(".index", _external=True),
    )


def feed_response(
    render: Renderer,
    mimetype: str,
    *,
    feed_url: str,
    home_page_url: str,
    tag: str | None = None,
    title: str | None = None,
) -> Response:
    """The latest entries (of every blog, or of the blogs with `tag`) as a feed document."""
    settings = current_settings()
    session = get_session()
    latest = entries.list_entries(session, limit=FEED_ENTRIES, tag=tag)
    sources = {blog.id: blog for blog in blogs.list_blog_links(session, ids={e.blog_id for e in latest})}
    info = FeedInfo(
        title=title or settings.site_title,
        subtitle=settings.greeting,
        feed_url=feed_url,
        home_page_url=home_page_url,
        blogroll_url=url_for(".opml_export", _external=True),
        entry_id=lambda entry: url_for("api.get_entry", entry_id=entry.id, _external=True),
        blog_page=lambda blog_id: url_for(".blog", blog_id=blog_id, _external=True),
    )
    # Feed readers poll; an unchanged feed costs them a 304 instead of the whole document.
    return conditional(
        page_etag(latest, list(sources.values())),
        lambda: Response(render(latest, sources, info), mimetype=mimetype),
    )


def opml_response(*, title: str, tag: str | None = None) -> Response:
    """The blogs (or a tag's) as OPML, alphabetically. One query of the exported columns gives its
    ETag (a 304 renders nothing) and then its document."""
    rows = blogs.opml_state(get_session(), tag=tag)
    return conditional(
        page_etag(rows),
        lambda: Response(
            render_opml(blogs.opml_blogs(rows), title=title),
            mimetype="text/x-opml",
            headers={"Content-Disposition": 'inline; filename="blogroll.opml"'},
        ),
    )
