"""The blogroll's own feeds: OPML of the blogs, Atom of everyone's latest entries."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from flask import Response, url_for

from blogroll.caching import conditional, page_etag, state
from blogroll.config import current_settings
from blogroll.formats import rfc3339, web_url
from blogroll.opml import render_opml, xml_text
from blogroll.pages import bp
from blogroll.storage import blogs, entries
from blogroll.storage.blogs import BlogLink
from blogroll.storage.db import get_session
from blogroll.storage.models import Entry
from blogroll.version import __version__

ATOM = "http://www.w3.org/2005/Atom"
ATOM_ENTRIES = 50


@bp.get("/blogroll.opml")
def opml_export() -> Response:
    settings = current_settings()
    body = render_opml(blogs.list_blogs_by_name(get_session()), title=settings.site_title)
    return Response(
        body,
        mimetype="text/x-opml",
        headers={"Content-Disposition": 'inline; filename="blogroll.opml"'},
    )


@bp.get("/feed.atom")
def atom_feed() -> Response:
    settings = current_settings()
    session = get_session()
    latest = entries.list_entries(session, limit=ATOM_ENTRIES)
    sources = {blog.id: blog for blog in blogs.list_blog_links(session, ids={e.blog_id for e in latest})}
    # Feed readers poll; an unchanged feed costs them a 304 instead of the whole document.
    return conditional(
        page_etag(state(latest), list(sources.values())),
        lambda: Response(
            render_atom(latest, sources, title=settings.site_title, subtitle=settings.greeting),
            mimetype="application/atom+xml",
        ),
    )


def render_atom(latest: list[Entry], blogs_by_id: dict[int, BlogLink], *, title: str, subtitle: str) -> bytes:
    """An RFC 4287 feed: every entry has an id, a title, an author and an alternate link."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = xml_text(title)
    ET.SubElement(feed, f"{{{ATOM}}}subtitle").text = xml_text(subtitle)
    feed_url = url_for(".atom_feed", _external=True)
    ET.SubElement(feed, f"{{{ATOM}}}id").text = feed_url
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=feed_url, type="application/atom+xml")
    ET.SubElement(
        feed,
        f"{{{ATOM}}}link",
        rel="alternate",
        href=url_for(".index", _external=True),
        type="text/html",
    )
    newest = max((entry.fetched_at for entry in latest), default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = rfc3339(newest)
    ET.SubElement(feed, f"{{{ATOM}}}generator", version=__version__).text = "Blogroll"
    for entry in latest:
        blog = blogs_by_id.get(entry.blog_id)
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(item, f"{{{ATOM}}}title").text = xml_text(entry.title) or "(untitled)"
        ET.SubElement(item, f"{{{ATOM}}}id").text = url_for(
            "api.get_entry", entry_id=entry.id, _external=True
        )
        # Without a usable link of its own, an entry points at its blog's page here.
        link = web_url(entry.link) or url_for(".blog", blog_id=entry.blog_id, _external=True)
        ET.SubElement(item, f"{{{ATOM}}}link", rel="alternate", href=link)
        ET.SubElement(item, f"{{{ATOM}}}published").text = rfc3339(entry.published_at)
        # Entries carry no edit time; the publication time is the best "updated" a feed reader gets.
        ET.SubElement(item, f"{{{ATOM}}}updated").text = rfc3339(entry.published_at)
        author = ET.SubElement(item, f"{{{ATOM}}}author")
        ET.SubElement(author, f"{{{ATOM}}}name").text = xml_text(entry.author or (blog.name if blog else ""))
        if entry.summary:
            ET.SubElement(item, f"{{{ATOM}}}summary", type="html").text = xml_text(entry.summary)
        if blog is not None:
            source = ET.SubElement(item, f"{{{ATOM}}}source")
            ET.SubElement(source, f"{{{ATOM}}}title").text = xml_text(blog.name)
            ET.SubElement(source, f"{{{ATOM}}}id").text = blog.feed_url
            site = web_url(blog.site_url)
            if site:
                ET.SubElement(source, f"{{{ATOM}}}link", rel="alternate", href=site)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document
