"""Blog icons: found on each blog's site, checked, and stored, so that the pages show them from
Blogroll's own origin (never hot-linked: a reader's browser never asks the blog's site for anything).

How an icon is found, when a claimed blog's icon is due (`icon_check_at`; weekly after a check):

1. The blog's site page (its `site_url`, else the root of its feed's site) is fetched with the
   worker's guarded `Fetcher` (the same SSRF guard and redirect rules as feeds), its first
   `MAX_PAGE_BYTES` only: the icon links are in the page's head.
2. Its icon links (`<link rel="icon">`, `"shortcut icon"`, `"apple-touch-icon"`) are ranked by
   `ranked_icon_links`, and the best `MAX_LINKED_TRIES` are tried in turn.
3. Then `/favicon.ico` at the root of the page's site (after redirects), where browsers look too.

An answer is kept only if it is at most `MAX_ICON_BYTES` and its first bytes say PNG, ICO, GIF,
JPEG or WebP (`sniff_image`): its stored type is the one the bytes tell, whatever the server said.
SVG is refused, even when it is the only icon a page links: an SVG document can carry script, which
would run on Blogroll's origin for anyone who opened the icon's address. A whole check gives up after
`CHECK_SECONDS` (checked before each fetch), each fetch after `FETCH_SECONDS`.

A failed check never touches the feed's fetch state: it is logged, and recorded in `blog_icons`.
A site that could not be reached (network, timeout, 5xx, 429) is asked again in a day and keeps the
icon it had; one that answered without a usable icon is asked again in a week, and its icon is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from sqlalchemy import update
from sqlalchemy.orm import Session

from blogroll.config import Settings
from blogroll.feed_links import IconLink, PageParser, decode_page, web_address
from blogroll.storage.db import Database
from blogroll.storage.models import MAX_ICON_BYTES, URL_LENGTH, Blog, BlogIcon, utcnow
from blogroll.worker.claim import KEEP_UPDATED_AT, Claim
from blogroll.worker.fetch import AddressRefused, Fetcher, FetchError, GuardedBackend, TooLarge

log = logging.getLogger(__name__)

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ICON_ACCEPT = (
    "image/png, image/x-icon, image/vnd.microsoft.icon, image/gif, image/jpeg, image/webp, "
    "image/*;q=0.5, */*;q=0.1"
)
# How much of the site's page is read: its head, where icon links are, however heavy its body.
MAX_PAGE_BYTES = 256 * 1024
# Linked icons tried at most, best first, before /favicon.ico.
MAX_LINKED_TRIES = 3
# Seconds a whole check may start fetches for, and one fetch may take (redirects included).
CHECK_SECONDS = 20.0
FETCH_SECONDS = 10.0
# Connect and read timeouts of icon fetches, at most (the feed settings may be shorter).
WAIT_SECONDS = 5.0
# When an icon is looked for again: after a check that got an answer, and after a site that gave none.
RECHECK = dt.timedelta(days=7)
RETRY = dt.timedelta(days=1)
# The pages show icons at 16 CSS pixels; twice that is sharp on high-density screens too.
WANTED_SIZE = 32
# An apple-touch-icon without `sizes` is 180 pixels, Apple's default.
TOUCH_ICON_SIZE = 180
ERROR_LENGTH = 1000


@dataclass(frozen=True)
class Icon:
    """An image fit to serve: its bytes, the type they tell, and the address they came from."""

    data: bytes
    content_type: str
    source_url: str

    @property
    def digest(self) -> str:
        """The icon's ETag and the version in its address: 128 bits of BLAKE2b, in hex."""
        return icon_digest(self.data)


class IconError(Exception):
    """No usable icon was found; the message says what each address answered. `transient` when the
    site could not be reached, so the check is retried sooner and a stored icon is kept."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class IconChecked:
    """An icon check's result, for the store: the claim it was made under, and an icon or why not
    (neither when the worker abandoned it while stopping)."""

    claim: Claim
    icon: Icon | None = None
    error: IconError | None = None

    @property
    def abandoned(self) -> bool:
        return self.icon is None and self.error is None


def icon_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def sniff_image(data: bytes) -> str | None:
    """The image type the first bytes tell, among those Blogroll serves, else None (an HTML page
    served as favicon.ico, an SVG, anything else)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    # ICONDIR: reserved 0, type 1 (2 would be a cursor), and at least one image.
    if data[:4] == b"\x00\x00\x01\x00" and len(data) >= 6 and data[4:6] != b"\x00\x00":
        return "image/x-icon"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def icon_fetcher(settings: Settings, backend: GuardedBackend | None = None) -> Fetcher:
    """A `Fetcher` with the feeds' guard and a short patience: an icon is never worth a long wait."""
    quick = settings.model_copy(
        update={
            "fetch_connect_timeout": min(settings.fetch_connect_timeout, WAIT_SECONDS),
            "fetch_read_timeout": min(settings.fetch_read_timeout, WAIT_SECONDS),
            "fetch_total_timeout": min(settings.fetch_total_timeout, FETCH_SECONDS),
        }
    )
    return Fetcher(quick, backend)


def ranked_icon_links(page: str, page_url: str) -> list[str]:
    """The addresses of the icons a page (decoded) links, best first for a 16-pixel icon, SVG left
    out: see `_rank`. Ties keep the page's order."""
    parser = PageParser.read(page)
    base = urljoin(page_url, parser.base or "")
    ranked: list[tuple[tuple[int, int], int, str]] = []
    for position, link in enumerate(parser.icons):
        address = web_address(link.href, base)
        if address is not None and not _is_svg(link):
            ranked.append((_rank(link), position, address))
    return list(dict.fromkeys(address for _rank_, _position, address in sorted(ranked)))


def _is_svg(link: IconLink) -> bool:
    """An SVG icon, by its declared type, else by its address. The type wins: Ghost links PNGs it
    made from an SVG at addresses ending in `.svg`, typed `image/png`."""
    if link.type:
        return link.type.startswith("image/svg")
    return urlsplit(link.href).path.lower().endswith((".svg", ".svgz"))


def _sizes(value: str) -> list[int]:
    """The sizes a `sizes` attribute lists ("16x16 32x32"), each as its larger side; "any" is none."""
    found = []
    for token in value.split():
        width, x, height = token.partition("x")
        if x and width.isdigit() and height.isdigit():
            found.append(max(int(width), int(height)))
    return found


def _rank(link: IconLink) -> tuple[int, int]:
    """Lower is better. An `icon` of 32 to 64 pixels first, nearest 32 first; then one that says no
    size (usually favicon.ico, which holds several); then smaller ones, largest first; then larger
    ones, smallest first; Apple's touch icons (180 pixels and the like) last."""
    sizes = _sizes(link.sizes)
    if link.rel != "icon":
        return (4, min(sizes or [TOUCH_ICON_SIZE]))
    if not sizes:
        return (1, 0)
    large = [size for size in sizes if size >= WANTED_SIZE]
    if large and min(large) <= 2 * WANTED_SIZE:
        return (0, min(large) - WANTED_SIZE)
    small = [size for size in sizes if size < WANTED_SIZE]
    if small:
        return (2, WANTED_SIZE - max(small))
    return (3, min(large))


def find_icon(fetcher: Fetcher, site: str, *, cancelled: threading.Event | None = None) -> Icon:
    """The best usable icon of the site at `site`; raises IconError, or Abandoned when `cancelled`."""
    deadline = time.monotonic() + CHECK_SECONDS
    failures: list[IconError] = []
    candidates: list[str] = []
    page_url = site
    try:
        page = fetcher.fetch(
            site, accept=PAGE_ACCEPT, max_bytes=MAX_PAGE_BYTES, truncate=True, cancelled=cancelled
        )
    except FetchError as error:
        failures.append(IconError(f"{site}: {error}", transient=_transient(error)))
    else:
        page_url = page.url
        links = ranked_icon_links(decode_page(page.body, page.content_type), page.url)
        candidates = links[:MAX_LINKED_TRIES]
    fallback = urljoin(page_url, "/favicon.ico")
    if fallback not in candidates:
        candidates.append(fallback)
    for address in candidates:
        if time.monotonic() > deadline:
            failures.append(IconError(f"gave up after {CHECK_SECONDS:g} s", transient=True))
            break
        try:
            return _fetch_icon(fetcher, address, cancelled)
        except IconError as error:
            failures.append(error)
    message = "no usable icon: " + "; ".join(str(failure) for failure in failures)
    raise IconError(message[:ERROR_LENGTH], transient=any(failure.transient for failure in failures))


def _fetch_icon(fetcher: Fetcher, address: str, cancelled: threading.Event | None) -> Icon:
    try:
        response = fetcher.fetch(address, accept=ICON_ACCEPT, max_bytes=MAX_ICON_BYTES, cancelled=cancelled)
    except TooLarge as error:
        raise IconError(f"{address}: larger than {MAX_ICON_BYTES} bytes") from error
    except FetchError as error:
        raise IconError(f"{address}: {error}", transient=_transient(error)) from error
    content_type = sniff_image(response.body)
    if content_type is None:
        said = (response.content_type or "no type").split(";", 1)[0].strip()[:100]
        raise IconError(f"{address}: not a PNG, ICO, GIF, JPEG or WebP image (served as {said})")
    return Icon(response.body, content_type, response.url)


def _transient(error: FetchError) -> bool:
    """Whether asking again soon may help: no answer at all, an overloaded or failing server."""
    if isinstance(error, AddressRefused):
        return False
    return error.status is None or error.status >= 500 or error.status == 429


def store_icons(database: Database, results: Sequence[IconChecked]) -> None:
    """Writes finished checks, each in a transaction of its own; never raises: an icon is never
    worth failing the worker's loop for."""
    for checked in results:
        if checked.abandoned:
            continue
        try:
            with database.transaction() as session:
                store_icon(session, checked, now=utcnow())
        except Exception:
            log.warning("blog %d: cannot store its icon check", checked.claim.blog_id, exc_info=True)


def store_icon(session: Session, checked: IconChecked, *, now: dt.datetime) -> bool:
    """One check's result: the blog's icon digest and next check, and the icon's row. Written only
    if nobody moved the blog's next check since it was claimed (another worker checked it since, or
    a keeper changed its site); returns whether it was written."""
    claim, icon, error = checked.claim, checked.icon, checked.error
    transient = error is not None and error.transient
    wait = RETRY if transient else RECHECK
    state: dict[str, object] = {"icon_check_at": now + wait * random.uniform(0.9, 1.1)}  # noqa: S311
    if icon is not None:
        state["icon_digest"] = icon.digest
    elif not transient:
        state["icon_digest"] = None
    unmoved = (
        Blog.icon_check_at.is_(None)
        if claim.icon_check_at is None
        else Blog.icon_check_at == claim.icon_check_at
    )
    result = session.execute(
        update(Blog).where(Blog.id == claim.blog_id, unmoved).values(**state, **KEEP_UPDATED_AT),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    row = session.get(BlogIcon, claim.blog_id)
    if row is None:
        row = BlogIcon(blog_id=claim.blog_id)
        session.add(row)
    row.checked_at = now
    if icon is not None:
        row.data, row.content_type, row.fetched_at, row.last_error = icon.data, icon.content_type, now, None
        row.source_url = icon.source_url if len(icon.source_url) <= URL_LENGTH else None
        log.info(
            "blog %d: icon %s (%d bytes) from %s",
            claim.blog_id,
            icon.content_type,
            len(icon.data),
            icon.source_url,
        )
        return True
    row.last_error = str(error)[:ERROR_LENGTH]
    if not transient:
        row.data = row.content_type = row.source_url = row.fetched_at = None
    log.info("blog %d: %s", claim.blog_id, row.last_error)
    return True
