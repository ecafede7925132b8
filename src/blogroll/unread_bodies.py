"""Answers sent before the request body was read (a 413, a 401): what the client is still sending is
read and thrown away, within bounds, so that clients which send the whole body before they read
(urllib, requests, httpx) see the answer instead of a broken pipe, and the connection serves their
next request; past the bounds gunicorn is told to answer `Connection: close` and closes it.

gunicorn (27) alone reads at most 64 KiB of an unread body, within 5 s, after it has answered
`Connection: keep-alive`, then closes: the client is cut off in the middle of its upload. Its WSGI
environ is relied on here: `wsgi.input` ends with the body (`wsgi.input_terminated`), and
`gunicorn.socket` is the client's socket.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

# What is read and thrown away at most: ten times the largest body accepted (20 MiB by default), in
# 10 s. A mistaken upload (a big file) is read to its end and the client sees the 413; an endless one
# is not, and its connection is closed under it.
DISCARD_FACTOR = 10
DISCARD_SECONDS = 10.0
_CHUNK = 64 * 1024


class DiscardUnreadBodies:
    """WSGI middleware: when the app starts its answer before it has read the whole body, reads the
    rest (at most `max_bytes`, within `seconds`) and drops it; if that cannot be done, the
    connection is closed after the answer, saying so with `Connection: close`."""

    def __init__(self, app: WSGIApplication, *, max_bytes: int, seconds: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.seconds = seconds

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = TrackedBody(environ["wsgi.input"], _content_length(environ))
        environ["wsgi.input"] = body
        if not body.length and not _chunked(environ):
            body.ended = True  # no body at all (a GET): nothing to read

        def answer(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if not body.ended and not self._discard(environ, body):
                log.info("the request body was not read to its end; closing the connection")
                _close_connection(body.stream)
            body.ended = True  # decided once, even if the app starts its answer again (exc_info)
            return start_response(status, headers, exc_info)

        return self.app(environ, answer)

    def _discard(self, environ: WSGIEnvironment, body: TrackedBody) -> bool:
        """Reads the rest of the body and drops it; False when that cannot be done within the bounds."""
        if body.length is None and not environ.get("wsgi.input_terminated"):
            return False  # a chunked body from a server that would let us read past its end
        if body.length is not None and body.length - body.read_bytes > self.max_bytes:
            return False  # announced larger than we would read: no point starting
        deadline = time.monotonic() + self.seconds
        discarded = 0
        with _read_timeouts(environ.get("gunicorn.socket")) as wait_at_most:
            while discarded <= self.max_bytes:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                wait_at_most(left)
                try:
                    data = body.read(_CHUNK)
                except Exception:  # a timeout, a reset, a malformed chunk: the body has no known end
                    return False
                if body.ended:
                    return True
                discarded += len(data)
        return False


class TrackedBody:
    """The server's `wsgi.input` as the app reads it, noting how much it took and whether it reached
    the end; never reads past a Content-Length."""

    def __init__(self, stream: Any, length: int | None) -> None:
        self.stream = stream
        self.length = length
        self.read_bytes = 0
        self.ended = False

    def read(self, size: int | None = -1) -> bytes:
        size = self._bounded(size)
        data: bytes = self.stream.read(size) if size != -1 else self.stream.read()
        return self._took(data, ended=size == -1 or (not data and size != 0))

    def readline(self, size: int | None = -1) -> bytes:
        size = self._bounded(size)
        data: bytes = self.stream.readline(size) if size != -1 else self.stream.readline()
        return self._took(data, ended=not data and size != 0)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        return list(self._lines(hint if hint is not None and hint > 0 else None))

    def __iter__(self) -> Iterator[bytes]:
        return self._lines(None)

    def _lines(self, hint: int | None) -> Iterator[bytes]:
        total = 0
        while line := self.readline():
            yield line
            total += len(line)
            if hint is not None and total >= hint:
                return

    def _bounded(self, size: int | None) -> int:
        """The size to ask the server for: never beyond the Content-Length (-1: all of it)."""
        if self.length is None:
            return -1 if size is None or size < 0 else size
        left = self.length - self.read_bytes
        return left if size is None or size < 0 else min(size, left)

    def _took(self, data: bytes, *, ended: bool) -> bytes:
        self.read_bytes += len(data)
        if ended or (self.length is not None and self.read_bytes >= self.length):
            self.ended = True
        return data


def _content_length(environ: WSGIEnvironment) -> int | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


def _chunked(environ: WSGIEnvironment) -> bool:
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


@contextmanager
def _read_timeouts(sock: object) -> Iterator[Callable[[float], None]]:
    """Bounds each wait for the client on gunicorn's socket, putting its own timeout back afterwards
    (without a socket, only the deadline between reads bounds the time)."""
    if not isinstance(sock, socket.socket):
        yield lambda _seconds: None
        return
    before = sock.gettimeout()
    try:
        yield sock.settimeout
    finally:
        with suppress(OSError):  # the client is gone; gunicorn closes the socket
            sock.settimeout(before)


# The request gunicorn is serving on this thread (its `pre_request` hook runs on the thread that
# then calls the app), so that the app can have gunicorn close that connection: gunicorn drops any
# Connection header an app sets, as WSGI requires, and closes only when its own request says so.
_serving = threading.local()


def remember_request(_worker: Any, request: Any) -> None:
    """gunicorn's `pre_request` hook."""
    _serving.request = request


def forget_request(_worker: Any, _request: Any, _environ: Any, _response: Any) -> None:
    """gunicorn's `post_request` hook."""
    _serving.request = None


def _close_connection(server_input: Any) -> None:
    """Has gunicorn answer `Connection: close` and close the connection whose body is `server_input`."""
    request = getattr(_serving, "request", None)
    if request is not None and getattr(request, "body", None) is server_input:
        request.must_close = True
