"""Feeds to entries: feedparser reads RSS 0.9x/1.0/2.0 and Atom; here each entry is made safe to store."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import nh3

from blogroll.sanitize import sanitize_html
from blogroll.storage.models import URL_LENGTH

AUTHOR_LENGTH = 500


class FeedParseError(Exception):
    """The body is not RSS or Atom at all; the message is what the blog's `last_error` shows."""


@dataclass(frozen=True)
class ParsedEntry:
    guid: str
    title: str
    link: str | None
    author: str
    summary: str
    # None when the feed gives no date, or one in the future: the store then uses the time it first
    # saw the entry, so a post cannot sit on top of the page until its made-up date arrives.
    published_at: dt.datetime | None


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> list[ParsedEntry]:
    """The feed's entries in feed order; raises FeedParseError when the body is not a feed at all."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # Blogroll sanitizes with its own rules (blogroll.sanitize), and makes links absolute while it
    # does, so feedparser does neither: its sgmllib pass over every summary took a third of the time.
    parsed = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not parsed.entries and not parsed.version:
        problem = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise FeedParseError(f"not a feed: {problem}")
    now = dt.datetime.now(dt.UTC)
    return [_entry(raw, url, now) for raw in parsed.entries]


def _entry(raw: Any, feed_url: str, now: dt.datetime) -> ParsedEntry:
    title = _plain_text(raw.get("title", ""), raw.get("title_detail"))
    link = _web_link(raw.get("link"), feed_url)
    published_at = _published_at(raw)
    if published_at is not None and published_at > now:
        published_at = None
    return ParsedEntry(
        guid=_guid(raw, link, title),
        title=title,
        link=link,
        author=_plain_text(raw.get("author", ""), raw.get("author_detail"))[:AUTHOR_LENGTH],
        summary=_summary(raw, feed_url),
        published_at=published_at,
    )


def _guid(raw: Any, link: str | None, title: str) -> str:
    """The feed's guid or id; else the link; else a hash of the title and the date as the feed wrote it."""
    guid = str(raw.get("id") or "").strip()
    if guid:
        return guid
    if link:
        return link
    stamp = raw.get("published") or raw.get("updated") or ""
    digest = hashlib.sha256(f"{title}\n{stamp}".encode()).hexdigest()
    return f"sha256:{digest}"


def _plain_text(value: str, detail: Any) -> str:
    """Titles and authors are shown as text; an HTML one loses its tags and keeps its characters."""
    if detail and "html" in str(detail.get("type", "")):
        value = html.unescape(nh3.clean(value, tags=set()))
    return " ".join(value.split())


def _summary(raw: Any, feed_url: str) -> str:
    """The entry's summary, or its content when it has none, as sanitized HTML."""
    contents = raw.get("content") or [{}]
    if raw.get("summary"):
        # feedparser fills `summary` from the content when there is no summary, without its details.
        value, detail = raw["summary"], raw.get("summary_detail") or contents[0]
    else:
        value, detail = contents[0].get("value", ""), contents[0]
    if "html" not in str(detail.get("type", "text/html")):
        value = html.escape(value)
    # `base` is the entry's xml:base where the feed sets one, else the feed's address.
    return sanitize_html(str(value), base_url=detail.get("base") or feed_url).strip()


def _web_link(link: str | None, feed_url: str) -> str | None:
    """An absolute http(s) link that fits the column, or None."""
    if not link:
        return None
    absolute = urljoin(feed_url, link.strip())
    if urlsplit(absolute).scheme not in ("http", "https") or len(absolute) > URL_LENGTH:
        return None
    return absolute


def _published_at(raw: Any) -> dt.datetime | None:
    stamp: time.struct_time | None = raw.get("published_parsed") or raw.get("updated_parsed")
    if stamp is None:
        return None
    try:
        # feedparser gives UTC struct_times; timegm reads them as UTC.
        return dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC)
    except (OverflowError, ValueError, OSError):
        return None
