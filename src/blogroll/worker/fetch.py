"""HTTP for feeds: conditional GET, bounded time and size, checked redirects, and no private addresses."""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from blogroll.config import Settings

MAX_REDIRECTS = 5
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
PERMANENT_REDIRECTS = {301, 308}
# A host with many addresses is tried on its first few only, so one fetch cannot stall for long.
MAX_ADDRESSES_TRIED = 3
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.8, */*;q=0.5"
)


class FetchError(Exception):
    """A fetch failed; the message is what the blog's `last_error` shows."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class AddressRefused(FetchError):
    """The feed's host is on a private network, and this deployment does not fetch from those."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(
            f"refused: {host} resolves to {address}, which is not a public address "
            "(set BLOGROLL_ALLOW_PRIVATE_FEEDS=true to fetch feeds on private networks)"
        )
        self.host = host
        self.address = address


class TooLarge(FetchError):
    """The answer is larger than the fetch may read."""


class TimedOut(FetchError):
    """The server did not answer, or not all of it, within the fetch's time limits."""


class Abandoned(Exception):
    """The worker is stopping and gave up this fetch before storing anything."""


@dataclass(frozen=True)
class FeedResponse:
    """A successful answer: 200 with a body, or 304 Not Modified without one."""

    status: int
    url: str
    # The new address of the feed when every redirect on the way was permanent (301/308).
    moved_to: str | None
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def is_public_address(address: str) -> bool:
    """True for addresses on the public internet; loopback, private, link-local, multicast and
    reserved ranges are not, and neither is an IPv4 address dressed up as IPv6."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


# How names become addresses: the host and port in, its addresses out, in the order to try them.
Resolver = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """The host's addresses from the system's resolver, each once; an IP literal resolves to itself."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.NetworkBackend):
    """Opens TCP connections only to addresses the policy allows.

    The check happens on the very address being connected to, for every connection, redirects
    included, so neither a redirect nor a DNS answer that changes between check and use can reach
    a private network. The guard only decides: names are looked up with `resolve` (the system's
    resolver by default) and connections made by `network` (httpcore's sockets by default), so
    either can be swapped (a caching resolver, say) while every address resolved is still checked.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolve: Resolver = resolve_host,
        network: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        self.network = network or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self.resolve(host, port)
        except (OSError, UnicodeError) as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        if not self.allow_private:
            for address in addresses:
                if not is_public_address(address):
                    raise AddressRefused(host, address)
        failure: httpcore.ConnectError | None = None
        for address in addresses[:MAX_ADDRESSES_TRIED]:
            try:
                return self.network.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:
                failure = error
        raise failure or httpcore.ConnectError(f"{host} has no address")


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport, with its connection pool opening connections through a `GuardedBackend`."""

    def __init__(self, backend: GuardedBackend, *, max_connections: int) -> None:
        super().__init__(trust_env=False)
        # httpx takes no network backend, so the pool it built is replaced by one that uses ours.
        # Proxies from the environment are ignored on purpose: they would connect on our behalf.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


def default_user_agent() -> str:
    from blogroll import __version__

    return f"Blogroll/{__version__} (feed reader)"


class Fetcher:
    """Fetches feeds with one shared, thread-safe HTTP client; close it when done."""

    def __init__(self, settings: Settings, backend: GuardedBackend | None = None) -> None:
        self.max_bytes = settings.max_feed_bytes
        self.total_timeout = settings.fetch_total_timeout
        self.user_agent = settings.fetch_user_agent or default_user_agent()
        backend = backend or GuardedBackend(allow_private=settings.allow_private_feeds)
        connections = settings.fetch_concurrency * 2
        self.client = httpx.Client(
            transport=GuardedTransport(backend, max_connections=connections),
            timeout=httpx.Timeout(
                connect=settings.fetch_connect_timeout,
                read=settings.fetch_read_timeout,
                write=settings.fetch_read_timeout,
                pool=settings.fetch_total_timeout,
            ),
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self.client.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        cancelled: threading.Event | None = None,
        accept: str = ACCEPT,
        max_bytes: int | None = None,
        truncate: bool = False,
    ) -> FeedResponse:
        """GETs a feed, following at most five redirects; raises FetchError for every failure.

        Other answers (a web page, an icon) say what they accept and may read less than a feed:
        `max_bytes` at most, and with `truncate` only the first `max_bytes` of a longer body (what
        a page's head needs) rather than failing with TooLarge.
        """
        deadline = time.monotonic() + self.total_timeout
        headers = self._headers(etag, last_modified, accept)
        limit = _Limit(max_bytes or self.max_bytes, truncate, "feed" if max_bytes is None else "answer")
        visited = [url]
        permanent = True
        status = None
        with _http_errors_as_fetch_errors():
            for _hop in range(MAX_REDIRECTS + 1):
                _check(deadline, cancelled, self.total_timeout)
                with self.client.stream("GET", url, headers=headers) as response:
                    status = response.status_code
                    location = response.headers.get("location")
                    if status in REDIRECT_STATUSES and location:
                        url = _redirect_target(url, location, status)
                        if url in visited:
                            raise FetchError(f"redirect loop: {url} redirects back to itself", status=status)
                        visited.append(url)
                        permanent = permanent and status in PERMANENT_REDIRECTS
                        continue
                    moved_to = url if permanent and len(visited) > 1 else None
                    return self._answer(response, url, moved_to, deadline, cancelled, limit)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects", status=status)

    def _headers(self, etag: str | None, last_modified: str | None, accept: str) -> dict[str, str]:
        headers = {"User-Agent": self.user_agent, "Accept": accept, "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers

    def _answer(
        self,
        response: httpx.Response,
        url: str,
        moved_to: str | None,
        deadline: float,
        cancelled: threading.Event | None,
        limit: _Limit,
    ) -> FeedResponse:
        status = response.status_code
        if status != 304 and not 200 <= status < 300:
            raise FetchError(
                f"HTTP {status} {response.reason_phrase}".strip(),
                status=status,
                retry_after=_retry_after(response.headers.get("retry-after")),
            )
        body = b""
        if status != 304:
            body = self._read_body(response, deadline, cancelled, limit)
        return FeedResponse(
            status=status,
            url=url,
            moved_to=moved_to,
            body=body,
            content_type=response.headers.get("content-type"),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )

    def _read_body(
        self, response: httpx.Response, deadline: float, cancelled: threading.Event | None, limit: _Limit
    ) -> bytes:
        """Reads at most `limit.max_bytes` after decompression, so neither an endless body nor a
        gzip bomb can fill memory; stops at the deadline or when the worker is stopping."""
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        declared = response.headers.get("content-length", "")
        too_long = declared.isdigit() and int(declared) > limit.max_bytes
        if encoding == "identity" and too_long and not limit.truncate:
            raise _too_large(response.status_code, limit)
        inflater = _Inflater(encoding)
        body = bytearray()
        for chunk in response.iter_raw():
            _check(deadline, cancelled, self.total_timeout)
            room = limit.max_bytes - len(body)
            part = inflater.inflate(chunk, room=room)
            if len(part) > room:
                if not limit.truncate:
                    raise _too_large(response.status_code, limit)
                body += part[:room]
                break
            body += part
        return bytes(body)


@dataclass(frozen=True)
class _Limit:
    """How much of one answer a fetch reads, whether a longer one fails or is cut, and what the
    error calls it."""

    max_bytes: int
    truncate: bool
    what: str


def _too_large(status: int, limit: _Limit) -> FetchError:
    return TooLarge(f"{limit.what} is larger than {limit.max_bytes} bytes", status=status)


class _Inflater:
    """Undoes gzip or deflate a bounded piece at a time: each call makes at most `room` bytes."""

    def __init__(self, encoding: str) -> None:
        if encoding in ("gzip", "x-gzip", "deflate"):
            # 32 + MAX_WBITS accepts both the gzip and the zlib header.
            self._zlib: Any = zlib.decompressobj(32 + zlib.MAX_WBITS)
        elif encoding == "identity":
            self._zlib = None
        else:
            raise FetchError(f"unsupported Content-Encoding {encoding!r}")

    def inflate(self, data: bytes, *, room: int) -> bytes:
        """The decoded bytes, at most `room + 1` of them: more than `room` means they do not fit."""
        if self._zlib is None:
            return data[: room + 1]
        try:
            part: bytes = self._zlib.decompress(data, room + 1)
        except zlib.error as error:
            raise FetchError(f"cannot decompress the feed: {error}") from error
        return part


def _check(deadline: float, cancelled: threading.Event | None, total_timeout: float) -> None:
    if cancelled is not None and cancelled.is_set():
        raise Abandoned
    if time.monotonic() > deadline:
        raise TimedOut(f"timed out: the fetch took longer than {total_timeout:g} s")


def _redirect_target(url: str, location: str, status: int) -> str:
    target = urljoin(url, location.strip())
    if urlsplit(target).scheme not in ("http", "https"):
        raise FetchError(f"redirect to a URL that is not http(s): {target[:200]}", status=status)
    return target


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header, which is either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


@contextmanager
def _http_errors_as_fetch_errors() -> Iterator[None]:
    """httpx's exceptions become FetchError with a message fit for the blog's `last_error`."""
    try:
        yield
    except httpx.TimeoutException as error:
        raise TimedOut(f"timed out: {type(error).__name__}") from error
    except httpx.TransportError as error:
        raise FetchError(f"network error: {error or type(error).__name__}") from error
    except httpx.InvalidURL as error:
        raise FetchError(f"invalid URL: {error}") from error
