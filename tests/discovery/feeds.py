"""Small feeds in each format discovery reads, built from (title, date) pairs; a date of None leaves
the item undated."""

from __future__ import annotations

import json
from collections.abc import Sequence
from xml.sax.saxutils import escape

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_FEED_TYPE = "application/feed+json"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'

Items = Sequence[tuple[str, str | None]]


def rss(title: str, items: Items, *, link: str = "https://blog.example.org/") -> bytes:
    """RSS 2.0; dates are RFC 822 (`Tue, 06 Jan 2026 10:00:00 GMT`)."""
    entries = "".join(
        f"<item><title>{escape(name)}</title><guid>{index}</guid>"
        + (f"<pubDate>{date}</pubDate>" if date else "")
        + "</item>"
        for index, (name, date) in enumerate(items)
    )
    channel = f"<title>{escape(title)}</title><link>{escape(link)}</link>{entries}"
    return f'{XML_DECLARATION}<rss version="2.0"><channel>{channel}</channel></rss>'.encode()


def atom(title: str, items: Items, *, link: str = "https://blog.example.org/") -> bytes:
    """Atom 1.0; dates are RFC 3339 (`2026-01-06T10:00:00Z`)."""
    entries = "".join(
        f"<entry><title>{escape(name)}</title><id>urn:entry:{index}</id>"
        + (f"<updated>{date}</updated>" if date else "")
        + "</entry>"
        for index, (name, date) in enumerate(items)
    )
    head = f'<title>{escape(title)}</title><link rel="alternate" href="{escape(link)}"/><id>urn:feed</id>'
    return f'{XML_DECLARATION}<feed xmlns="http://www.w3.org/2005/Atom">{head}{entries}</feed>'.encode()


def json_feed(title: str, items: Items, *, home_page_url: str = "https://blog.example.org/") -> bytes:
    """JSON Feed 1.1; dates are RFC 3339."""
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": home_page_url,
        "items": [
            {"id": str(index), "title": name, **({"date_published": date} if date else {})}
            for index, (name, date) in enumerate(items)
        ],
    }
    return json.dumps(document).encode()


def page(head: str = "", body: str = "") -> bytes:
    """An HTML page with `head` in its <head>."""
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()
