"""Tags are places: the list of tags, and for each its blogs and their latest posts as a page, an Atom
feed, a JSON Feed and an OPML file.

An address ending in `.atom`, `.json` or `.opml` is always that format of the tag before the
suffix: `/tags/node.js.atom` is the feed of `node.js`, `/tags/x.atom` the feed of `x`. A tag that
itself ends so (`x.atom`) has its page at `/tags/x.atom/`, with a slash, and `url_for` writes it
that way; every other tag's page is `/tags/<tag>`, without one.
"""

from __future__ import annotations

from flask import Response, render_template, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter
from werkzeug.routing import ValidationError as NotThisRule

from blogroll.caching import conditional, page_etag
from blogroll.config import current_settings
from blogroll.pages import bp
from blogroll.pages.feeds import ATOM_TYPE, feed_response, opml_response
from blogroll.pages.syndication import JSON_FEED_TYPE, render_atom, render_json_feed
from blogroll.pages.views import SIDEBAR_BLOGS, cursor_arg, entry_blog_names, known_tag, older_url
from blogroll.storage import blogs, entries
from blogroll.storage.db import get_session

FORMAT_SUFFIXES = (".atom", ".json", ".opml")


class PlainTagConverter(BaseConverter):
    """A tag whose page is `/tags/<tag>`: any tag but those ending in a format's suffix."""

    regex = r"[^/]+(?<!\.atom)(?<!\.json)(?<!\.opml)"

    def to_url(self, value: str) -> str:
        if value.endswith(FORMAT_SUFFIXES):
            raise NotThisRule()  # its page is the other rule's, with a slash
        return super().to_url(value)


class SuffixedTagConverter(BaseConverter):
    """A tag ending in a format's suffix, whose page is `/tags/<tag>/`."""

    regex = r"[^/]+(?:\.atom|\.json|\.opml)"

    def to_url(self, value: str) -> str:
        if not value.endswith(FORMAT_SUFFIXES):
            raise NotThisRule()
        return super().to_url(value)


@bp.record_once  # before the routes below, which use them
def _register_converters(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["plain_tag"] = PlainTagConverter
    state.app.url_map.converters["suffixed_tag"] = SuffixedTagConverter


@bp.get("/tags/")
def tags() -> Response:
    counts = blogs.count_blogs_by_tag(get_session())
    return conditional(page_etag(counts), lambda: render_template("tags.html", tags=counts))


@bp.get("/tags/<plain_tag:tag>")
@bp.get("/tags/<suffixed_tag:tag>/")
def tag_page(tag: str) -> Response:
    settings = current_settings()
    session = get_session()
    known_tag(tag)
    cursor = cursor_arg()
    page = entries.list_entries(session, limit=settings.page_size + 1, tag=tag, cursor=cursor)
    tagged = blogs.list_newest_blog_links(session, limit=SIDEBAR_BLOGS, tag=tag)
    names = entry_blog_names(session, page[: settings.page_size])
    return conditional(
        page_etag(page, tagged, names.items()),
        lambda: render_template(
            "tag.html",
            tag=tag,
            blogroll=tagged,
            blog_names=names,
            entries=page[: settings.page_size],
            older=older_url(".tag_page", page, settings.page_size, tag=tag),
            newest=None if cursor is None else url_for(".tag_page", tag=tag),
        ),
    )


@bp.get("/tags/<tag>.atom")
def tag_atom(tag: str) -> Response:
    known_tag(tag)
    return feed_response(
        render_atom,
        ATOM_TYPE,
        feed_url=url_for(".tag_atom", tag=tag, _external=True),
        home_page_url=url_for(".tag_page", tag=tag, _external=True),
        tag=tag,
        title=tag_title(tag),
    )


@bp.get("/tags/<tag>.json")
def tag_json(tag: str) -> Response:
    known_tag(tag)
    return feed_response(
        render_json_feed,
        JSON_FEED_TYPE,
        feed_url=url_for(".tag_json", tag=tag, _external=True),
        home_page_url=url_for(".tag_page", tag=tag, _external=True),
        tag=tag,
        title=tag_title(tag),
    )


@bp.get("/tags/<tag>.opml")
def tag_opml(tag: str) -> Response:
    known_tag(tag)
    return opml_response(title=tag_title(tag), tag=tag)


def tag_title(tag: str) -> str:
    return f"{current_settings().site_title}: {tag}"
