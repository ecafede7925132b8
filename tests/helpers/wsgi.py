"""A WSGI app that counts what it is asked, and a way to call any WSGI app without a server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.test import EnvironBuilder


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def call(app: Callable[..., Iterable[bytes]], path: str = "/", method: str = "GET", **headers: str) -> Answer:
    """`app`'s answer to one request; headers are given as `Accept_Language="es"`."""
    given = [(name.replace("_", "-"), value) for name, value in headers.items()]
    environ = EnvironBuilder(path=path, method=method, headers=given).get_environ()
    started: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started["status"], started["headers"] = status, response_headers

    body = b"".join(app(environ, start_response))
    names = [name.lower() for name, _ in started["headers"]]
    assert len(names) == len(set(names)), f"a header is sent twice: {started['headers']}"
    return Answer(int(started["status"].split()[0]), {n.lower(): v for n, v in started["headers"]}, body)


@dataclass
class CountingApp:
    """Answers `body` (with `headers`, default: shareable for a second like Blogroll's pages) and
    counts the requests that reach it; a matching If-None-Match gets a 304. `gate`, when set, holds
    every answer until it is opened, to catch requests in flight."""

    body: bytes = b"hello"
    status: str = "200 OK"
    headers: list[tuple[str, str]] = field(
        default_factory=lambda: [("Cache-Control", "public, max-age=0, s-maxage=1")]
    )
    etag: str | None = '"v1"'
    # When set: `X-Accel-Expires: @<this second>` by this clock, as src/blogroll/caching.py says it.
    wall: Callable[[], float] | None = None
    gate: threading.Event | None = None
    asked: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.asked.append(dict(environ))
        if self.gate is not None:
            assert self.gate.wait(10), "the test never opened the gate"
        headers = list(self.headers)
        if self.wall is not None:
            headers.append(("X-Accel-Expires", f"@{int(self.wall())}"))
        if self.etag:
            headers.append(("ETag", self.etag))
            if environ.get("HTTP_IF_NONE_MATCH") == self.etag:
                start_response("304 Not Modified", headers)
                return []
        start_response(self.status, [*headers, ("Content-Length", str(len(self.body)))])
        return [self.body]

    @property
    def count(self) -> int:
        return len(self.asked)


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
