"""The feeds a web page links (`<link rel="alternate">` with a feed type): what discovery searches, and
what the worker names when a blog's feed address answers with a web page instead of a feed; and the
icons it links (`<link rel="icon">` and its kin), which the worker fetches for the pages.

It sits below both (discovery fetches through the worker), so neither imports the other for it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from blogroll.storage.models import URL_LENGTH

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
# A charset named in the page itself, for pages served without one in Content-Type.
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# How a page and a feed begin, after any comments.
_HTML_START = re.compile(
    r"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>])", re.IGNORECASE | re.DOTALL
)
_FEED_START = re.compile(
    r"\s*(<!--.*?-->\s*)*(<\?xml|<rss|<feed|<rdf:rdf|<!doctype\s+rss)", re.IGNORECASE | re.DOTALL
)


# Link relations that name an icon of the site: `icon` (also in `shortcut icon`), and Apple's two,
# which browsers fall back to as well. `mask-icon` (Safari's monochrome SVG) is no favicon.
ICON_RELATIONS = {"icon", "apple-touch-icon", "apple-touch-icon-precomposed"}


@dataclass(frozen=True)
class FeedLink:
    """One `<link rel="alternate">` of a feed type, as the page wrote it."""

    href: str
    title: str
    type: str


@dataclass(frozen=True)
class IconLink:
    """One icon `<link>`, as the page wrote it: `rel` is "icon" or "apple-touch-icon", `sizes` and
    `type` are the attributes' values, lower case."""

    href: str
    rel: str
    sizes: str
    type: str


def looks_like_html(text: str, content_type: str | None) -> bool:
    """Whether an answer (decoded) is a web page: served as HTML or starting like one, and not starting
    like a feed (feeds served as `text/html` are common enough)."""
    start = text[:4096]
    if _FEED_START.match(start):
        return False
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type in HTML_TYPES or bool(_HTML_START.match(start))


def web_address(href: str, base: str) -> str | None:
    """`href` made absolute, without its fragment, when it is an http(s) URL that fits the column."""
    address = urldefrag(urljoin(base, href.strip())).url
    if urlsplit(address).scheme not in ("http", "https") or len(address) > URL_LENGTH:
        return None
    return address


def is_comments_feed(address: str, title: str) -> bool:
    """A comments feed says so in its title or its address (the host is left out: a site called
    "comment-is-free.example" has a main feed too)."""
    parts = urlsplit(address)
    return bool(COMMENTS.search(title) or COMMENTS.search(f"{parts.path}?{parts.query}"))


def main_feed_of(page_text: str, page_url: str) -> str | None:
    """The address of the main feed a page (decoded) links: the first that is not a comments feed,
    RSS and Atom before JSON Feed (as discovery ranks them), or None when it links none."""
    page = PageParser.read(page_text)
    base = urljoin(page_url, page.base or "")
    found: list[tuple[bool, str]] = []
    for link in page.links:
        address = web_address(link.href, base)
        if address is not None and not is_comments_feed(address, link.title):
            found.append((FEED_TYPES[link.type] == "json", address))
    return min(found, key=lambda pair: pair[0])[1] if found else None


def decode_page(body: bytes, content_type: str | None) -> str:
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


class PageParser(HTMLParser):
    """Collects what is needed from a page: its feed and icon links, first `<base href>` and `<title>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[FeedLink] = []
        self.icons: list[IconLink] = []
        self.base: str | None = None
        self.title = ""
        self._in_title = False
        self._seen_title = False
        # An inline <svg> has <title> elements of its own, which are not the page's.
        self._svg_depth = 0

    @classmethod
    def read(cls, page: str) -> PageParser:
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
            self.links.append(FeedLink(href=href, title=title, type=link_type))
        icon = ICON_RELATIONS.intersection(relations)
        if icon and href:
            rel = "icon" if "icon" in icon else "apple-touch-icon"
            sizes = " ".join(values.get("sizes", "").lower().split())
            self.icons.append(IconLink(href=href, rel=rel, sizes=sizes, type=link_type))
