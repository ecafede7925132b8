"""An in-process micro-cache for `blogroll run`, which has no proxy in front: the same rules as the
compose stack's nginx micro-cache (deploy/nginx/blogroll.conf), as a WSGI middleware shared by the
threads of the server process.

- Only anonymous GET and HEAD: an Authorization header or any cookie but a lone `blogroll_lang`
  (the language is in the key) bypasses it, and an answer is stored only when the app says it may
  be shared (`X-Accel-Expires` or `s-maxage`, src/blogroll/caching.py), is a 200, sets no cookie
  and is not `private`/`no-store`/`no-cache`.
- One copy per scheme, host (and the forwarded headers ProxyFix may believe), path, query and
  language, the language resolved as the app resolves it (blogroll.i18n.choose_language); HEAD
  shares GET's copy.
- A copy is fresh for at most 1 s after the app was asked (monotonic clock). The first request for
  an expired copy refreshes it, revalidating with its ETag (a 304 costs the app no rendering),
  while the others get the previous copy for at most another second (`UPDATING`); a request for a
  copy nobody holds yet waits for the one already asking (a lock per key), so a burst costs the app
  one request.
- A client's matching If-None-Match gets a 304 from the copy.
- Bounded: at most `max_entries` copies and `max_bytes` of them (least recently used go first);
  an answer bigger than `max_bytes // BIG_ANSWER_SHARE` is not stored.
- `X-Cache-Status` says what happened, with nginx's words (HIT, MISS, EXPIRED, REVALIDATED,
  UPDATING, BYPASS); `X-Accel-Expires` is never shown to clients, as nginx never shows it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie, parse_etags

from blogroll.i18n import COOKIE_NAME, QUERY_ARG, choose_language
from blogroll.logs import REQUEST_ID_HEADER, is_safe_request_id

STATUS_HEADER = "X-Cache-Status"
APP_EXPIRES_HEADER = "X-Accel-Expires"
# The most a copy is kept fresh, and the most it may be served past that while it is refreshed.
FRESH_SECONDS = 1.0
UPDATING_SECONDS = 1.0
# How long a request waits for another one asking the app for the same copy (nginx's lock timeout).
LOCK_TIMEOUT = 5.0
# An answer bigger than this share of the whole cache is not stored.
BIG_ANSWER_SHARE = 16
# Headers a 304 from a copy carries (RFC 9110 15.4.5), besides the cache's own.
NOT_MODIFIED_HEADERS = frozenset(
    {"etag", "cache-control", "vary", "content-language", "expires", "last-modified", "content-location"}
)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass
class Copy:
    """One stored answer: what the app said and until when (monotonic seconds) it is fresh."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None
    expires: float
    size: int = 0

    def __post_init__(self) -> None:
        self.size = len(self.body) + sum(len(name) + len(value) for name, value in self.headers) + 200


@dataclass
class Flight:
    """A request asking the app for a key; others wait for `done` instead of asking too."""

    done: threading.Event = field(default_factory=threading.Event)


class MicroCache:
    """WSGI middleware: anonymous reads answered from memory for up to a second (module docstring)."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        max_bytes: int,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        count: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.max_answer_bytes = max_bytes // BIG_ANSWER_SHARE
        self.clock = clock
        self.wall_clock = wall_clock
        self.count = count
        self.bytes = 0
        self._copies: OrderedDict[tuple[str, ...], Copy] = OrderedDict()
        self._flights: dict[tuple[str, ...], Flight] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._copies)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            # Writes are none of the cache's business (nginx does not mark them either).
            return self.app(environ, start_response)
        key = cache_key(environ)
        if key is None:
            return self._pass(environ, start_response, "BYPASS")
        now = self.clock()
        with self._lock:
            copy = self._copies.get(key)
            fresh = copy is not None and now < copy.expires
            if copy is not None:
                self._copies.move_to_end(key)
            flight = None if fresh else self._flights.get(key)
            leading = not fresh and flight is None
            if leading:
                flight = self._flights[key] = Flight()
        if copy is not None and fresh:
            return self._answer(environ, start_response, copy, "HIT")
        assert flight is not None
        if leading:
            return self._refresh(environ, start_response, key, copy, flight)
        if copy is not None and now < copy.expires + UPDATING_SECONDS:
            return self._answer(environ, start_response, copy, "UPDATING")
        flight.done.wait(LOCK_TIMEOUT)
        with self._lock:
            copy = self._copies.get(key)
        if copy is not None and self.clock() < copy.expires:
            return self._answer(environ, start_response, copy, "HIT")
        # The one asking gave nothing to keep (or took too long): ask the app, keep nothing.
        return self._pass(environ, start_response, "MISS")

    # --- asking the app --------------------------------------------------------------------------------

    def _pass(self, environ: dict[str, Any], start_response: StartResponse, status: str) -> Iterable[bytes]:
        """The app's own answer, untouched but for the cache's headers."""
        self._counted(status)

        def marked(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(code, [*_shown(headers), (STATUS_HEADER, status)], exc_info)

        return self.app(environ, marked)

    def _refresh(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        key: tuple[str, ...],
        copy: Copy | None,
        flight: Flight,
    ) -> Iterable[bytes]:
        """Asks the app for `key` (as a GET, revalidating `copy` if there is one), keeps what may be
        kept, and answers this request; whoever waits on `flight` is let go in any case."""
        try:
            asked = dict(environ)
            asked["REQUEST_METHOD"] = "GET"
            asked.pop("HTTP_IF_MODIFIED_SINCE", None)
            if copy is not None and copy.etag:
                asked["HTTP_IF_NONE_MATCH"] = copy.etag
            else:
                asked.pop("HTTP_IF_NONE_MATCH", None)
            asked_at, asked_at_wall = self.clock(), self.wall_clock()
            answer = _Answer()
            body = self.app(asked, answer.start_response)
            try:
                chunks = [*answer.written, *body]
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
            whole = b"".join(chunks)
            code = int(answer.status.split(" ", 1)[0])
            fresh_for = _fresh_for(answer.headers, asked_at_wall) if answer.exc_info is None else 0.0
            if code == 304 and copy is not None and fresh_for > 0:
                renewed = Copy(copy.status, copy.headers, copy.body, copy.etag, asked_at + fresh_for)
                self._keep(key, renewed)
                return self._answer(environ, start_response, renewed, "REVALIDATED")
            status = "EXPIRED" if copy is not None else "MISS"
            if code == 200 and fresh_for > 0 and len(whole) <= self.max_answer_bytes:
                # Kept without the app's expiry and without the request id of the one who asked.
                dropped = (APP_EXPIRES_HEADER.lower(), REQUEST_ID_HEADER.lower())
                headers = [(n, v) for n, v in answer.headers if n.lower() not in dropped]
                kept = Copy(answer.status, headers, whole, _header(headers, "ETag"), asked_at + fresh_for)
                self._keep(key, kept)
                return self._answer(environ, start_response, kept, status)
            if code == 304 and copy is not None:
                # The copy is still right but may not be kept: the client gets it once more.
                self._forget(key)
                return self._answer(environ, start_response, copy, status)
            self._forget(key)
            self._counted(status)
            start_response(answer.status, [*_shown(answer.headers), (STATUS_HEADER, status)], answer.exc_info)
            return [] if environ.get("REQUEST_METHOD") == "HEAD" else [whole]
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()

    # --- answering from a copy -------------------------------------------------------------------------

    def _answer(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        copy: Copy,
        status: str,
    ) -> Iterable[bytes]:
        self._counted(status)
        # The client's own request id, if it sent one the app would accept; none otherwise: the app
        # logs no line for a hit that an id could point to (and minting one costs a syscall).
        incoming = environ.get("HTTP_X_REQUEST_ID")
        mine = [(REQUEST_ID_HEADER, incoming)] if incoming and is_safe_request_id(incoming) else []
        mark = (STATUS_HEADER, status)
        if copy.etag and _matches(environ.get("HTTP_IF_NONE_MATCH"), copy.etag):
            headers = [(n, v) for n, v in copy.headers if n.lower() in NOT_MODIFIED_HEADERS]
            start_response("304 Not Modified", [*headers, *mine, mark])
            return []
        start_response(copy.status, [*copy.headers, *mine, mark])
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [copy.body]

    # --- the store -------------------------------------------------------------------------------------

    def _keep(self, key: tuple[str, ...], copy: Copy) -> None:
        with self._lock:
            earlier = self._copies.pop(key, None)
            if earlier is not None:
                self.bytes -= earlier.size
            self._copies[key] = copy
            self.bytes += copy.size
            while self._copies and (len(self._copies) > self.max_entries or self.bytes > self.max_bytes):
                _, dropped = self._copies.popitem(last=False)
                self.bytes -= dropped.size

    def _forget(self, key: tuple[str, ...]) -> None:
        with self._lock:
            earlier = self._copies.pop(key, None)
            if earlier is not None:
                self.bytes -= earlier.size

    def _counted(self, status: str) -> None:
        if self.count is not None:
            self.count(status)


class _Answer:
    """What the app passed to `start_response` (and any `write()`), held until it has finished."""

    def __init__(self) -> None:
        self.status = "500 Internal Server Error"
        self.headers: list[tuple[str, str]] = []
        self.exc_info: Any = None
        self.written: list[bytes] = []

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        self.status, self.headers, self.exc_info = status, list(headers), exc_info
        return self.written.append


def cache_key(environ: dict[str, Any]) -> tuple[str, ...] | None:
    """What the answer to this request depends on, or None when it must not come from the cache."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or environ.get("HTTP_AUTHORIZATION"):
        return None
    cookie = environ.get("HTTP_COOKIE", "")
    remembered = ""
    if cookie:
        cookies = parse_cookie(cookie)
        if set(cookies) != {COOKIE_NAME}:
            return None
        remembered = cookies[COOKIE_NAME]
    query = environ.get("QUERY_STRING", "")
    asked = ""
    if QUERY_ARG in query:
        asked = next(
            (value for name, value in parse_qsl(query, keep_blank_values=True) if name == QUERY_ARG), ""
        )
    language = _language(asked, remembered, environ.get("HTTP_ACCEPT_LANGUAGE", ""))
    return (
        environ.get("wsgi.url_scheme", "http"),
        environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}",
        # ProxyFix (BLOGROLL_TRUSTED_PROXIES) builds the app's own address from these.
        environ.get("HTTP_X_FORWARDED_PROTO", ""),
        environ.get("HTTP_X_FORWARDED_HOST", ""),
        environ.get("HTTP_X_FORWARDED_PORT", ""),
        environ.get("HTTP_X_FORWARDED_PREFIX", ""),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        query,
        language,
    )


@lru_cache(maxsize=1024)
def _language(asked: str, remembered: str, accept_language: str) -> str:
    """The app's choice of language, remembered: browsers send few distinct values, and parsing and
    matching them was most of a hit's cost."""
    return choose_language(asked, remembered, parse_accept_header(accept_language, LanguageAccept))


def _fresh_for(headers: list[tuple[str, str]], asked_at_wall: float) -> float:
    """Seconds the app lets a shared cache keep this answer, at most FRESH_SECONDS; 0: not at all."""
    if any(name.lower() == "set-cookie" for name, _ in headers):
        return 0.0
    control = {part.strip().split("=", 1)[0].lower(): part for part in _header_all(headers, "Cache-Control")}
    if {"private", "no-store", "no-cache"} & control.keys():
        return 0.0
    expires = _header(headers, APP_EXPIRES_HEADER)
    if expires is not None:
        try:
            if expires.startswith("@"):
                # Until the end of that epoch second, as nginx reads it (src/blogroll/caching.py).
                return max(0.0, min(FRESH_SECONDS, int(expires[1:]) + 1 - asked_at_wall))
            return max(0.0, min(FRESH_SECONDS, float(int(expires))))
        except ValueError:
            return 0.0
    shared = control.get("s-maxage")
    if shared is not None:
        try:
            return max(0.0, min(FRESH_SECONDS, float(int(shared.split("=", 1)[1].strip().strip('"')))))
        except (IndexError, ValueError):
            return 0.0
    return 0.0


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    lowered = name.lower()
    return next((value for key, value in headers if key.lower() == lowered), None)


def _header_all(headers: list[tuple[str, str]], name: str) -> Iterator[str]:
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            yield from value.split(",")


def _shown(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() != APP_EXPIRES_HEADER.lower()]


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = parse_etags(if_none_match)
    return tags.star_tag or tags.contains_weak(etag.removeprefix("W/").strip('"'))
