"""The blogroll's own feeds as documents: Atom (RFC 4287) and JSON Feed 1.1, from entries and their
blogs. Plain functions of what they are given (addresses included), so the views stay thin and the
whole blogroll and each tag share them."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from blogroll.formats import rfc3339, web_url
from blogroll.opml import xml_text
from blogroll.storage.blogs import BlogLink
from blogroll.storage.entries import EntryRecord
from blogroll.version import __version__

ATOM = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
JSON_FEED_TYPE = "application/feed+json"
# The blogroll link (rel="blogroll", OPML served as text/xml), as proposed for HTML pages in 2024 by
# opml.org's blogroll convention; Atom takes any relation name, so its feeds carry the same link.
BLOGROLL_REL = "blogroll"
BLOGROLL_TYPE = "text/xml"
# Before any entry was ever fetched, a feed still needs an `updated` time.
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class FeedInfo:
    """What a feed says about itself, and how it addresses what it lists (absolute URLs)."""

    title: str
    subtitle: str
    # This document's own address, the HTML page it is the feed of, and the blogroll's OPML.
    feed_url: str
    home_page_url: str
    blogroll_url: str
    # The permanent id of an entry, and the page of a blog here (for entries without a link).
    entry_id: Callable[[EntryRecord], str]
    blog_page: Callable[[int], str]


def render_atom(latest: Sequence[EntryRecord], blogs_by_id: Mapping[int, BlogLink], info: FeedInfo) -> bytes:
    """An RFC 4287 feed: every entry has an id, a title, an author and an alternate link."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = xml_text(info.title)
    ET.SubElement(feed, f"{{{ATOM}}}subtitle").text = xml_text(info.subtitle)
    ET.SubElement(feed, f"{{{ATOM}}}id").text = info.feed_url
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=info.feed_url, type="application/atom+xml")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=info.home_page_url, type="text/html")
    ET.SubElement(
        feed,
        f"{{{ATOM}}}link",
        rel=BLOGROLL_REL,
        href=info.blogroll_url,
        type=BLOGROLL_TYPE,
        title=xml_text(f"{info.title}: the blogroll"),
    )
    newest = max((entry.fetched_at for entry in latest), default=EPOCH)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = rfc3339(newest)
    ET.SubElement(feed, f"{{{ATOM}}}generator", version=__version__).text = "Blogroll"
    for entry in latest:
        blog = blogs_by_id.get(entry.blog_id)
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(item, f"{{{ATOM}}}title").text = xml_text(entry.title) or "(untitled)"
        ET.SubElement(item, f"{{{ATOM}}}id").text = info.entry_id(entry)
        ET.SubElement(item, f"{{{ATOM}}}link", rel="alternate", href=_entry_link(entry, info))
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


def render_json_feed(
    latest: Sequence[EntryRecord], blogs_by_id: Mapping[int, BlogLink], info: FeedInfo
) -> bytes:
    """A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1) of the same entries as the Atom
    feed: `content_html` is the stored, already sanitized summary; the author is the entry's own,
    else its blog (named, with the blog's site as its url)."""
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": info.title,
        "home_page_url": info.home_page_url,
        "feed_url": info.feed_url,
        "description": info.subtitle,
        "items": [_json_item(entry, blogs_by_id.get(entry.blog_id), info) for entry in latest],
    }
    body: bytes = orjson.dumps(document)
    return body


def _json_item(entry: EntryRecord, blog: BlogLink | None, info: FeedInfo) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": info.entry_id(entry),
        "url": _entry_link(entry, info),
        "content_html": entry.summary,
        "date_published": rfc3339(entry.published_at),
    }
    if entry.title:
        item["title"] = entry.title
    author = _json_author(entry, blog)
    if author:
        item["authors"] = [author]
    return item


def _json_author(entry: EntryRecord, blog: BlogLink | None) -> dict[str, str]:
    if entry.author:
        return {"name": entry.author}
    if blog is None:
        return {}
    author = {"name": blog.name}
    site = web_url(blog.site_url)
    if site:
        author["url"] = site
    return author


def _entry_link(entry: EntryRecord, info: FeedInfo) -> str:
    # Without a usable link of its own, an entry points at its blog's page here.
    return web_url(entry.link) or info.blog_page(entry.blog_id)
