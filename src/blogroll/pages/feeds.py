"""The blogroll's own feeds: OPML of the blogs, Atom of everyone's latest entries."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from flask import Response, url_for

from blogroll import __version__
from blogroll.config import current_settings
from blogroll.opml import render_opml
from blogroll.pages import bp
from blogroll.storage import blogs, entries
from blogroll.storage.db import get_session
from blogroll.storage.models import Blog, Entry

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
    names = {blog.id: blog for blog in blogs.list_blogs_by_name(session)}
    body = render_atom(latest, names, title=settings.site_title, subtitle=settings.greeting)
    return Response(body, mimetype="application/atom+xml")


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def render_atom(latest: list[Entry], blogs_by_id: dict[int, Blog], *, title: str, subtitle: str) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}subtitle").text = subtitle
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
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _stamp(newest)
    ET.SubElement(feed, f"{{{ATOM}}}generator", version=__version__).text = "Blogroll"
    for entry in latest:
        blog = blogs_by_id.get(entry.blog_id)
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(item, f"{{{ATOM}}}title").text = entry.title or "(untitled)"
        ET.SubElement(item, f"{{{ATOM}}}id").text = url_for(
            "api.get_entry", entry_id=entry.id, _external=True
        )
        if entry.link:
            ET.SubElement(item, f"{{{ATOM}}}link", rel="alternate", href=entry.link)
        ET.SubElement(item, f"{{{ATOM}}}published").text = _stamp(entry.published_at)
        ET.SubElement(item, f"{{{ATOM}}}updated").text = _stamp(max(entry.published_at, entry.fetched_at))
        author = ET.SubElement(item, f"{{{ATOM}}}author")
        ET.SubElement(author, f"{{{ATOM}}}name").text = entry.author or (blog.name if blog else "")
        if entry.summary:
            ET.SubElement(item, f"{{{ATOM}}}summary", type="html").text = entry.summary
        if blog is not None:
            source = ET.SubElement(item, f"{{{ATOM}}}source")
            ET.SubElement(source, f"{{{ATOM}}}title").text = blog.name
            ET.SubElement(source, f"{{{ATOM}}}id").text = blog.feed_url
            if blog.site_url:
                ET.SubElement(source, f"{{{ATOM}}}link", rel="alternate", href=blog.site_url)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
