"""Feed discovery: from a site's address to its feed, so that adding a blog needs only the address.

How the feed is found, in order:

1. The address is fetched with the worker's `Fetcher`: the same SSRF guard, size cap, timeouts and
   redirect rules as every feed fetch. When the answer is itself a feed (RSS, Atom or JSON Feed),
   that is the feed.
2. Otherwise the answer is read as HTML. Every `<link rel="alternate">` with a feed type
   (`application/rss+xml`, `application/atom+xml`, `application/rdf+xml`, `application/feed+json`,
   or `application/json`, the type JSON Feed 1.0 used) is a candidate, its `href` resolved against
   the page's `<base href>`, if any, and the page's own address after redirects.
3. Linked candidates are fetched best first (the rule below); the first that answers with a feed wins.
4. When the page links no feed, or none of its linked feeds answers as one, the common paths
   `/feed`, `/feed.xml`, `/rss.xml`, `/atom.xml` and `/index.xml` at the site's root are tried, in
   that order.
5. Comments feeds come last of all: one is taken only when nothing else answered.

Which feed wins when a page links several:

- A site's main feed beats its comments feeds. A comments feed is a link whose title or address says
  so: "comment" in any case, in English or the spellings of a few other languages ("Comments Feed",
  WordPress's `/comments/feed/`, Blogger's per-post `/feeds/<id>/comments/default`, whose title is
  the blog's own), and it is only tried after the common paths.
- RSS, Atom and RDF beat JSON Feed: the worker reads feeds with feedparser, which does not read JSON
  Feed, so a JSON feed is taken only when the site offers nothing else (`Discovery.feed_format`
  says which kind was found).
- Otherwise the feed linked first wins: WordPress, Blogger, Hugo and Jekyll all link the main feed
  first, before category, tag or comments feeds.

The blog's name is the feed's title, else the page's `<title>`, else the site's host name. A whole
discovery gives up once `fetch_total_timeout` has passed (checked before each fetch, so it can run
over by at most one fetch's own limit) and fetches at most `MAX_FEED_FETCHES` candidates.
"""

from __future__ import annotations

import codecs
import datetime as dt
import html
import json
import re
import time
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
import nh3

from blogroll.config import Settings
from blogroll.storage.models import URL_LENGTH
from blogroll.worker.fetch import FeedResponse, Fetcher, FetchError, GuardedBackend
from blogroll.worker.parse import parse_feed

COMMON_PATHS = ("/feed", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml")
# Feeds fetched at most in one discovery, linked ones and common paths together (the page aside).
MAX_FEED_FETCHES = 8
PREVIEW_TITLES = 5

FeedFormat = Literal["rss", "atom", "json"]

# Declared link types that announce a feed, and what kind of feed each announces.
FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/rdf+xml": "rss",
    "application/feed+json": "json",
    "application/json": "json",
}
HTML_TYPES = ("text/html", "application/xhtml+xml")
# "comment" in English, French, Italian and Spanish (comment, commentaire, commento, comentario),
# "kommentar" in German and the Nordic languages, "reactie" in Dutch.
COMMENTS = re.compile(r"com+ent|kommentar|reactie", re.IGNORECASE)
JSON_FEED_VERSION = "https://jsonfeed.org/version/"
# A charset named in the page itself, for pages served without one in Content-Type.
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_FEED_START = re.compile(rb"\s*(<\?xml|<rss|<feed|<rdf:rdf)", re.IGNORECASE)


class NoFeedFound(Exception):
    """No feed could be found from `url`; the message names the address and says why."""

    error = "no_feed_found"

    def __init__(self, url: str, reason: str, candidates: tuple[Candidate, ...] = ()) -> None:
        super().__init__(f"no feed found at {url}: {reason}")
        self.url = url
        self.reason = reason
        self.candidates = candidates


@dataclass(frozen=True)
class Candidate:
    """One feed address considered, where it came from, and what became of it."""

    url: str
    found: Literal["address", "link", "common path"]
    # The link's title and declared type; empty for the address and the common paths.
    title: str = ""
    type: str = ""
    comments: bool = False
    # "chosen", "not tried", or why it was passed over ("HTTP 404 Not Found", "not a feed", ...).
    outcome: str = "not tried"


@dataclass(frozen=True)
class Discovery:
    """The feed found for an address, with what a preview shows before the blog is saved."""

    address: str
    feed_url: str
    feed_format: FeedFormat
    feed_title: str
    page_title: str
    site_url: str | None
    latest_titles: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    reason: str

    @property
    def address_is_feed(self) -> bool:
        """Whether the address given was itself the feed, rather than a page that leads to one."""
        return bool(self.candidates) and self.candidates[0].found == "address"

    @property
    def name(self) -> str:
        """The blog's default name: the feed's title, else the page's title, else the host name."""
        site = self.site_url or self.feed_url
        return self.feed_title or self.page_title or urlsplit(site).hostname or site


@dataclass(frozen=True)
class _Feed:
    format: FeedFormat
    title: str
    link: str | None
    latest_titles: tuple[str, ...]


@dataclass(frozen=True)
class _Link:
    href: str
    title: str
    type: str


def discover(url: str, settings: Settings, *, backend: GuardedBackend | None = None) -> Discovery:
    """The feed of the site at `url` (or `url` itself, when it is a feed); raises NoFeedFound."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise NoFeedFound(url, "the address is not an http(s) URL")
    fetcher = Fetcher(settings, backend)
    try:
        return _Search(url, fetcher, time.monotonic() + settings.fetch_total_timeout).run()
    finally:
        fetcher.close()


class _Search:
    """One discovery: the page, then its candidates in order, each outcome written down."""

    def __init__(self, address: str, fetcher: Fetcher, deadline: float) -> None:
        self.address = address
        self.fetcher = fetcher
        self.deadline = deadline
        self.fetches = 0
        # Why the search stopped before trying every candidate, once it has.
        self.stopped: str | None = None

    def run(self) -> Discovery:
        try:
            page = self.fetcher.fetch(self.address)
        except FetchError as error:
            raise NoFeedFound(self.address, f"the page could not be fetched: {error}") from error
        feed = _read_feed(page)
        if feed is not None:
            chosen = Candidate(self.address, "address", outcome="chosen")
            return self._found(chosen, page, feed, "", (chosen,), "the address is itself a feed")
        parser = _PageParser.read(_decode(page.body, page.content_type))
        linked = _candidates(parser.links, base=urljoin(page.url, parser.base or ""))
        ranked = sorted(linked, key=lambda c: (c.comments, FEED_TYPES[c.type] == "json"))
        main = [candidate for candidate in ranked if not candidate.comments]
        comments = [candidate for candidate in ranked if candidate.comments]
        known = {candidate.url for candidate in linked}
        common = [Candidate(urljoin(page.url, path), "common path") for path in COMMON_PATHS]
        outcomes: dict[str, Candidate] = {}
        for candidate in [*main, *(c for c in common if c.url not in known), *comments]:
            result = self._try(candidate)
            if isinstance(result, Candidate):
                outcomes[candidate.url] = result
                continue
            chosen, response, feed = result
            outcomes[chosen.url] = chosen
            reason = _why(chosen, linked, list(outcomes.values()))
            page_title = " ".join(parser.title.split())
            site_url = page.moved_to or self.address
            candidates = _listing(linked, outcomes)
            return self._found(chosen, response, feed, page_title, candidates, reason, site_url)
        reason = _why_not(linked, self.stopped)
        raise NoFeedFound(self.address, reason, _listing(linked, outcomes))

    def _try(self, candidate: Candidate) -> tuple[Candidate, FeedResponse, _Feed] | Candidate:
        """The chosen candidate with its answer and feed, or the candidate marked with its failure."""
        if self.stopped is None and time.monotonic() > self.deadline:
            self.stopped = "the time allowed ran out"
        elif self.stopped is None and self.fetches >= MAX_FEED_FETCHES:
            self.stopped = f"stopped after {MAX_FEED_FETCHES} fetches"
        if self.stopped is not None:
            return candidate
        self.fetches += 1
        try:
            response = self.fetcher.fetch(candidate.url)
        except FetchError as error:
            return replace(candidate, outcome=str(error))
        feed = _read_feed(response)
        if feed is None:
            return replace(candidate, outcome="not a feed")
        return replace(candidate, outcome="chosen"), response, feed

    def _found(
        self,
        chosen: Candidate,
        response: FeedResponse,
        feed: _Feed,
        page_title: str,
        candidates: tuple[Candidate, ...],
        reason: str,
        site_url: str | None = None,
    ) -> Discovery:
        return Discovery(
            address=self.address,
            # A feed that moved for good (301/308) is stored at its new address, as the worker does.
            feed_url=response.moved_to or chosen.url,
            feed_format=feed.format,
            feed_title=feed.title,
            page_title=page_title,
            site_url=site_url or feed.link,
            latest_titles=feed.latest_titles,
            candidates=candidates,
            reason=reason,
        )


def _candidates(links: list[_Link], *, base: str) -> list[Candidate]:
    """The page's feed links as candidates, in page order, each address once."""
    found: dict[str, Candidate] = {}
    for link in links:
        address = _web_address(link.href, base)
        if address is None or address in found:
            continue
        # The host is left out: a site called "comment-is-free.example" has a main feed too.
        parts = urlsplit(address)
        comments = bool(COMMENTS.search(link.title) or COMMENTS.search(f"{parts.path}?{parts.query}"))
        found[address] = Candidate(address, "link", link.title, link.type, comments)
    return list(found.values())


def _web_address(href: str, base: str) -> str | None:
    """`href` made absolute, without its fragment, when it is an http(s) URL that fits the column."""
    address = urldefrag(urljoin(base, href.strip())).url
    if urlsplit(address).scheme not in ("http", "https") or len(address) > URL_LENGTH:
        return None
    return address


def _listing(linked: list[Candidate], outcomes: dict[str, Candidate]) -> tuple[Candidate, ...]:
    """Every linked candidate in page order, then the common paths tried, each with its outcome."""
    listed = [outcomes.get(candidate.url, candidate) for candidate in linked]
    probed = [c for c in outcomes.values() if c.found == "common path" and c.outcome != "not tried"]
    return (*listed, *probed)


def _why(chosen: Candidate, linked: list[Candidate], tried: list[Candidate]) -> str:
    """Why `chosen` won, in one sentence for the preview."""
    failed = [c for c in tried if c.found == "link" and c.outcome != "chosen"]
    if chosen.found == "common path":
        path = urlsplit(chosen.url).path
        if not linked:
            return f"the page links no feed; found at the common path {path}"
        return f"no feed the page links answered as one; found at the common path {path}"
    if chosen.comments:
        return "only a comments feed was found"
    reason = "the feed the page links" if len(linked) == 1 else "the first feed the page links"
    notes = []
    if failed:
        notes.append(f"{len(failed)} tried before it failed")
    position = linked.index(next(c for c in linked if c.url == chosen.url))
    json_before = [c for c in linked[:position] if FEED_TYPES[c.type] == "json" and not c.comments]
    if json_before and FEED_TYPES[chosen.type] != "json":
        notes.append(f"{len(json_before)} JSON feed(s) linked before it come after RSS and Atom")
    passed_over = [c for c in linked if c.comments]
    if passed_over:
        notes.append(f"{len(passed_over)} comments feed(s) passed over")
    return f"{reason} ({'; '.join(notes)})" if notes else reason


def _why_not(linked: list[Candidate], stopped: str | None) -> str:
    """Why nothing was found, in one sentence for the error message."""
    if stopped is not None:
        return f"gave up before trying every candidate: {stopped}"
    paths = ", ".join(COMMON_PATHS)
    if not linked:
        return f"the page links no feed, and none of {paths} is one"
    return f"none of the {len(linked)} feed(s) the page links answered as one, and none of {paths} is one"


def _read_feed(response: FeedResponse) -> _Feed | None:
    """The answer read as a feed, or None when it is not one (an HTML page, most often)."""
    body = response.body.removeprefix(codecs.BOM_UTF8)
    content_type = (response.content_type or "").split(";", 1)[0].strip().lower()
    if "json" in content_type or body.lstrip().startswith(b"{"):
        return _json_feed(body)
    if content_type in HTML_TYPES and not _FEED_START.match(body):
        return None
    return _xml_feed(response)


def _xml_feed(response: FeedResponse) -> _Feed | None:
    # parse_feed gives the entries exactly as the worker will store them; the feed's own title and
    # link come from feedparser's header, which parse_feed does not return.
    headers = {"content-location": response.url}
    if response.content_type:
        headers["content-type"] = response.content_type
    parsed = feedparser.parse(
        response.body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not parsed.version:
        return None
    entries = parse_feed(response.body, url=response.url, content_type=response.content_type)
    header = parsed.feed
    return _Feed(
        format="atom" if parsed.version.startswith("atom") else "rss",
        title=_plain_text(header.get("title", ""), header.get("title_detail")),
        link=_site_link(header.get("link"), response.url),
        latest_titles=_latest([(entry.title, entry.published_at) for entry in entries]),
    )


def _json_feed(body: bytes) -> _Feed | None:
    """A JSON Feed (https://jsonfeed.org), read only as far as the preview needs."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(JSON_FEED_VERSION):
        return None
    items = document.get("items")
    entries = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    return _Feed(
        format="json",
        title=_text(document.get("title")),
        link=_site_link(document.get("home_page_url"), ""),
        latest_titles=_latest([(_text(item.get("title")), _json_date(item)) for item in entries]),
    )


def _latest(entries: list[tuple[str, dt.datetime | None]]) -> tuple[str, ...]:
    """The newest titles first, as the blog's page will list them after the first fetch: an entry
    without a date counts as new, since the store dates it when it first sees it."""
    now = dt.datetime.now(dt.UTC)
    newest_first = sorted(entries, key=lambda entry: entry[1] or now, reverse=True)
    return tuple(title for title, _ in newest_first if title)[:PREVIEW_TITLES]


def _json_date(item: dict[str, Any]) -> dt.datetime | None:
    try:
        stamp = dt.datetime.fromisoformat(str(item.get("date_published", "")))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def _plain_text(value: str, detail: Any) -> str:
    if detail and "html" in str(detail.get("type", "")):
        value = html.unescape(nh3.clean(value, tags=set()))
    return " ".join(value.split())


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _site_link(link: object, base: str) -> str | None:
    return _web_address(link, base) if isinstance(link, str) and link.strip() else None


def _decode(body: bytes, content_type: str | None) -> str:
    """The page as text: the charset of Content-Type, else of a `<meta>` tag, else UTF-8."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8) :].decode("utf-8", "replace")
    declared = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", content_type or "", re.IGNORECASE)
    meta = _META_CHARSET.search(body[:4096])
    for name in (declared.group(1) if declared else None, meta.group(1).decode() if meta else None):
        if name:
            try:
                return body.decode(codecs.lookup(name).name, "replace")
            except LookupError:
                continue
    return body.decode("utf-8", "replace")


class _PageParser(HTMLParser):
    """Collects what discovery needs from a page: its feed links, first `<base href>` and `<title>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[_Link] = []
        self.base: str | None = None
        self.title = ""
        self._in_title = False
        self._seen_title = False
        # An inline <svg> has <title> elements of its own, which are not the page's.
        self._svg_depth = 0

    @classmethod
    def read(cls, page: str) -> _PageParser:
        parser = cls()
        try:
            parser.feed(page)
            parser.close()
        except AssertionError:
            # html.parser gives up on a malformed `<![` section this way (seen on Python 3.11 to
            # 3.13.0); the links read before it are kept.
            pass
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "svg":
            self._svg_depth += 1
        elif tag == "title" and not self._seen_title and not self._svg_depth:
            self._in_title = True
        elif tag == "base" and self.base is None and values.get("href", "").strip():
            self.base = values["href"].strip()
        elif tag == "link":
            self._link(values)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("svg", "title"):  # <svg/> and <title/> open nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self._svg_depth:
            self._svg_depth -= 1
        elif tag == "title" and self._in_title:
            self._in_title = False
            self._seen_title = True

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def _link(self, values: dict[str, str]) -> None:
        relations = values.get("rel", "").lower().split()
        link_type = values.get("type", "").split(";", 1)[0].strip().lower()
        href = values.get("href", "").strip()
        if "alternate" in relations and link_type in FEED_TYPES and href:
            title = " ".join(values.get("title", "").split())
            self.links.append(_Link(href=href, title=title, type=link_type))
