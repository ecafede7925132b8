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
- RSS, Atom and RDF beat JSON Feed: the worker reads all of them, but JSON Feed's own spec asks
  publishers to keep their RSS or Atom feed, which is then the site's main one, so a JSON feed is
  taken only when the site offers nothing else (`Discovery.feed_format` says which kind was found).
- Otherwise the feed linked first wins: WordPress, Blogger, Hugo and Jekyll all link the main feed
  first, before category, tag or comments feeds.

The blog's name is the feed's title, else the page's `<title>`, else the site's host name. A whole
discovery gives up once `fetch_total_timeout` has passed (checked before each fetch, so it can run
over by at most one fetch's own limit) and fetches at most `MAX_FEED_FETCHES` candidates.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal
from urllib.parse import urljoin, urlsplit

from blogroll.config import Settings
from blogroll.feed_links import FEED_TYPES, FeedLink, PageParser, decode_page, is_comments_feed, web_address
from blogroll.i18n import gettext as _

if TYPE_CHECKING:
    # Imported where a discovery runs: httpx, feedparser and charset_normalizer are about 8 MB of
    # each web process, and the views import this module for NoFeedFound (BENCHMARKS.md, session 11).
    from blogroll.worker.fetch import FeedResponse, Fetcher, GuardedBackend
    from blogroll.worker.parse import FeedFormat

COMMON_PATHS = ("/feed", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml")
# Feeds fetched at most in one discovery, linked ones and common paths together (the page aside).
MAX_FEED_FETCHES = 8
PREVIEW_TITLES = 5

__all__ = ["FEED_TYPES", "Candidate", "Discovery", "NoFeedFound", "discover"]


class NoFeedFound(Exception):
    """No feed could be found from `url`; the message names the address and says why."""

    error = "no_feed_found"

    def __init__(self, url: str, reason: str, candidates: tuple[Candidate, ...] = ()) -> None:
        super().__init__(_("no feed found at %(url)s: %(reason)s", url=url, reason=reason))
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


def discover(url: str, settings: Settings, *, backend: GuardedBackend | None = None) -> Discovery:
    """The feed of the site at `url` (or `url` itself, when it is a feed); raises NoFeedFound."""
    from blogroll.worker.fetch import Fetcher

    if urlsplit(url).scheme not in ("http", "https"):
        raise NoFeedFound(url, _("the address is not an http(s) URL"))
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
        from blogroll.worker.fetch import FetchError

        try:
            page = self.fetcher.fetch(self.address)
        except FetchError as error:
            raise NoFeedFound(
                self.address, _("the page could not be fetched: %(error)s", error=str(error))
            ) from error
        feed = _read_feed(page)
        if feed is not None:
            chosen = Candidate(self.address, "address", outcome="chosen")
            return self._found(chosen, page, feed, "", (chosen,), "the address is itself a feed")
        parser = PageParser.read(decode_page(page.body, page.content_type))
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
        from blogroll.worker.fetch import FetchError

        if self.stopped is None and time.monotonic() > self.deadline:
            self.stopped = _("the time allowed ran out")
        elif self.stopped is None and self.fetches >= MAX_FEED_FETCHES:
            self.stopped = _("stopped after %(count)s fetches", count=MAX_FEED_FETCHES)
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


def _candidates(links: list[FeedLink], *, base: str) -> list[Candidate]:
    """The page's feed links as candidates, in page order, each address once."""
    found: dict[str, Candidate] = {}
    for link in links:
        address = web_address(link.href, base)
        if address is None or address in found:
            continue
        comments = is_comments_feed(address, link.title)
        found[address] = Candidate(address, "link", link.title, link.type, comments)
    return list(found.values())


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
            return _("the page links no feed; found at the common path %(path)s", path=path)
        return _("no feed the page links answered as one; found at the common path %(path)s", path=path)
    if chosen.comments:
        return _("only a comments feed was found")
    reason = _("the feed the page links") if len(linked) == 1 else _("the first feed the page links")
    notes = []
    if failed:
        notes.append(_("%(count)s tried before it failed", count=len(failed)))
    position = linked.index(next(c for c in linked if c.url == chosen.url))
    json_before = [c for c in linked[:position] if FEED_TYPES[c.type] == "json" and not c.comments]
    if json_before and FEED_TYPES[chosen.type] != "json":
        notes.append(
            _("%(count)s JSON feed(s) linked before it come after RSS and Atom", count=len(json_before))
        )
    passed_over = [c for c in linked if c.comments]
    if passed_over:
        notes.append(_("%(count)s comments feed(s) passed over", count=len(passed_over)))
    return f"{reason} ({'; '.join(notes)})" if notes else reason


def _why_not(linked: list[Candidate], stopped: str | None) -> str:
    """Why nothing was found, in one sentence for the error message."""
    if stopped is not None:
        return _("gave up before trying every candidate: %(stopped)s", stopped=stopped)
    paths = ", ".join(COMMON_PATHS)
    if not linked:
        return _("the page links no feed, and none of %(paths)s is one", paths=paths)
    return _(
        "none of the %(count)s feed(s) the page links answered as one, and none of %(paths)s is one",
        count=len(linked),
        paths=paths,
    )


def _read_feed(response: FeedResponse) -> _Feed | None:
    """The answer read as a feed, exactly as the worker will read it, or None when it is not one
    (an HTML page, most often)."""
    from blogroll.worker.parse import FeedParseError, read_feed

    try:
        feed = read_feed(response.body, url=response.url, content_type=response.content_type)
    except FeedParseError:
        return None
    return _Feed(
        format=feed.format,
        title=feed.title,
        link=_site_link(feed.link, response.url),
        latest_titles=_latest([(entry.title, entry.published_at) for entry in feed.entries]),
    )


def _latest(entries: list[tuple[str, dt.datetime | None]]) -> tuple[str, ...]:
    """The newest titles first, as the blog's page will list them after the first fetch: an entry
    without a date counts as new, since the store dates it when it first sees it."""
    now = dt.datetime.now(dt.UTC)
    newest_first = sorted(entries, key=lambda entry: entry[1] or now, reverse=True)
    return tuple(title for title, _ in newest_first if title)[:PREVIEW_TITLES]


def _site_link(link: object, base: str) -> str | None:
    return web_address(link, base) if isinstance(link, str) and link.strip() else None
