"""Feeds to entries: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed 1.0 and 1.1 here; each
entry made safe to store the same way whatever the format. A body that is no feed at all (empty, a web
page, JSON of another kind) is refused with a message for the blog's `last_error`."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import feedparser
import nh3

from blogroll.feed_links import looks_like_html, main_feed_of
from blogroll.sanitize import sanitize_html
from blogroll.storage.models import URL_LENGTH
from blogroll.worker.encoding import decode_body

AUTHOR_LENGTH = 500
FeedFormat = Literal["rss", "atom", "json"]
# JSON Feed's version URL; some generators (Hakyll's template, for one) write it with www.
_JSON_FEED_VERSION = re.compile(r"^https?://(www\.)?jsonfeed\.org/version/", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Somewhere near the start, an HTML page says so even when it began with an XML declaration (XHTML).
_HTML_TAG = re.compile(r"<(!doctype\s+html|html[\s>])", re.IGNORECASE)


class FeedParseError(Exception):
    """The body is not a feed at all; the message is what the blog's `last_error` shows."""


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


@dataclass(frozen=True)
class ParsedFeed:
    """A feed as read: its kind, its own title and site link (as written), and its entries."""

    format: FeedFormat
    title: str
    link: str | None
    entries: list[ParsedEntry]


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> list[ParsedEntry]:
    """The feed's entries in feed order; raises FeedParseError when the body is not a feed at all."""
    return read_feed(body, url=url, content_type=content_type).entries


def read_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """The feed at `url`, whichever its format; raises FeedParseError when the body is not a feed."""
    decoded = decode_body(body, content_type)
    text = decoded.text
    if not text.strip():
        raise FeedParseError("the feed is empty: the server answered with no content")
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    start = text.lstrip()[:1]
    if start in ("{", "[") or ("json" in media_type and start != "<"):
        return _read_json_feed(text, url)
    if looks_like_html(text, content_type):
        raise _web_page(text, url)
    # The text goes to feedparser as UTF-8 under a declaration that says so: the encoding has been
    # decided already (blogroll.worker.encoding), by rules feedparser does not follow.
    document = ('<?xml version="1.0" encoding="utf-8"?>' + _XML_DECLARATION.sub("", text, count=1)).encode()
    # Blogroll sanitizes with its own rules (blogroll.sanitize), and makes links absolute while it
    # does, so feedparser does neither: its sgmllib pass over every summary took a third of the time.
    parsed = feedparser.parse(
        document,
        response_headers={"content-location": url, "content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    if not parsed.entries and not parsed.version:
        if _HTML_TAG.search(text[:4096]):
            raise _web_page(text, url)
        problem = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise FeedParseError(f"not a feed: {problem}")
    now = dt.datetime.now(dt.UTC)
    header = parsed.feed
    link = header.get("link")
    return ParsedFeed(
        format="atom" if str(parsed.version).startswith("atom") else "rss",
        title=_plain_text(header.get("title", ""), header.get("title_detail")),
        link=link if isinstance(link, str) else None,
        entries=[_entry(raw, url, now) for raw in parsed.entries],
    )


def _web_page(text: str, url: str) -> FeedParseError:
    """A web page where the feed should be: the error names the feed the page links, if any."""
    feed = main_feed_of(text, url)
    if feed is None:
        return FeedParseError(f"not a feed: {url} is a web page (HTML), and it links no feed")
    return FeedParseError(
        f"not a feed: {url} is a web page (HTML); the feed it links is {feed}, "
        "make that the blog's feed address"
    )


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
    stamp = raw.get("published") or raw.get("updated") or ""
    return _guid_or_fallback(str(raw.get("id") or ""), link, title, str(stamp))


def _guid_or_fallback(guid: str, link: str | None, title: str, stamp: str) -> str:
    """The feed's guid or id; else the link; else a hash of the title and the date as the feed wrote it."""
    if guid.strip():
        return guid.strip()
    if link:
        return link
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


def _read_json_feed(text: str, url: str) -> ParsedFeed:
    """A JSON Feed (https://jsonfeed.org/version/1.1, and 1.0), its entries made as RSS and Atom ones
    are: `id` is the guid, `url` the link, `content_html` (else `content_text`, else the plain-text
    `summary`) the sanitized summary, `date_published` (else `date_modified`) the date, and the
    item's `authors` (else the feed's; 1.0's `author` when there are none) the author."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise FeedParseError(f"not a feed: the JSON is malformed ({error})") from error
    except RecursionError as error:
        raise FeedParseError("not a feed: the JSON is nested too deeply") from error
    if not isinstance(document, dict) or not _JSON_FEED_VERSION.match(str(document.get("version", ""))):
        raise FeedParseError(
            "not a feed: JSON, but not a JSON Feed (no version https://jsonfeed.org/version/1.1)"
        )
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedParseError("not a feed: a JSON Feed needs a list of items")
    now = dt.datetime.now(dt.UTC)
    feed_authors = _json_authors(document)
    home = document.get("home_page_url")
    return ParsedFeed(
        format="json",
        title=_text(document.get("title")),
        link=home if isinstance(home, str) else None,
        entries=[_json_entry(item, url, feed_authors, now) for item in items if isinstance(item, dict)],
    )


def _json_entry(item: dict[str, Any], feed_url: str, feed_authors: str, now: dt.datetime) -> ParsedEntry:
    title = _text(item.get("title"))
    link = _web_link(_string(item.get("url")) or _string(item.get("external_url")), feed_url)
    published_at = _json_date(item.get("date_published")) or _json_date(item.get("date_modified"))
    if published_at is not None and published_at > now:
        published_at = None
    # JSON Feed 1.0 allowed any JSON value as id; 1.1 says it is a string. Numbers are kept as text.
    raw_id = item.get("id")
    guid = raw_id if isinstance(raw_id, str) else ""
    if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
        guid = str(raw_id)
    stamp = _string(item.get("date_published")) or _string(item.get("date_modified"))
    return ParsedEntry(
        guid=_guid_or_fallback(guid, link, title, stamp),
        title=title,
        link=link,
        author=(_json_authors(item) or feed_authors)[:AUTHOR_LENGTH],
        summary=_json_summary(item, feed_url),
        published_at=published_at,
    )


def _json_summary(item: dict[str, Any], feed_url: str) -> str:
    content_html = _string(item.get("content_html"))
    if content_html.strip():
        return sanitize_html(content_html, base_url=feed_url).strip()
    # content_text and summary are plain text: shown as written, line breaks kept.
    plain = _string(item.get("content_text")).strip() or _string(item.get("summary")).strip()
    return html.escape(plain).replace("\n", "<br>") if plain else ""


def _json_authors(holder: dict[str, Any]) -> str:
    """The names of `authors` (1.1), else of `author` (1.0), joined; empty when none is named."""
    authors = holder.get("authors")
    if not isinstance(authors, list) or not authors:
        authors = [holder.get("author")]
    names = [_text(author.get("name")) for author in authors if isinstance(author, dict)]
    return ", ".join(name for name in names if name)


def _json_date(value: object) -> dt.datetime | None:
    """An RFC 3339 date; one without a time zone, or not a date at all, is no date."""
    if not isinstance(value, str):
        return None
    try:
        stamp = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if stamp.tzinfo is None:
        return None
    try:
        return stamp.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _text(value: object) -> str:
    """JSON Feed's titles and names are plain text: kept as written, whitespace collapsed."""
    return " ".join(value.split()) if isinstance(value, str) else ""
