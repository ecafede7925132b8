"""Discovery's fixtures: the worker's feed server on 127.0.0.1, a way to serve a page or feed on it
(real pages with their site's origin pointed at it), settings that may fetch from loopback, and the
worker's fake internet for the SSRF cases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from blogroll.config import Settings
from tests.helpers.feed_server import FeedServer, Reply
from tests.helpers.settings import make_settings as settings_for_tests
from tests.worker.fake_internet import PUBLIC_ADDRESS, FakeInternet

PAGES = Path(__file__).parent / "pages"

Serve = Callable[..., str]


def _settings(**overrides: Any) -> Settings:
    """Short timeouts and a small size cap so failures are quick; loopback allowed unless overridden."""
    values: dict[str, Any] = {
        "log_level": "WARNING",
        "allow_private_feeds": True,
        "fetch_connect_timeout": 2.0,
        "fetch_read_timeout": 1.0,
        "fetch_total_timeout": 10.0,
        "max_feed_bytes": 64 * 1024,
    }
    values.update(overrides)
    return settings_for_tests(**values)


@pytest.fixture
def settings() -> Settings:
    """Discovery needs no database: this replaces the root fixture, which runs once per engine."""
    return _settings()


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    return _settings


@pytest.fixture
def url(feed_server: FeedServer) -> Callable[..., str]:
    """`url(path, host="127.0.0.1")`: where the feed server answers `path`."""
    return feed_server.url


@pytest.fixture
def hits(feed_server: FeedServer) -> Counter[str]:
    """How often the feed server was asked for each path."""
    return feed_server.hits


@pytest.fixture
def serve(feed_server: FeedServer) -> Serve:
    """`serve(path, body, content_type=..., status=..., headers=..., delay=...)` puts an answer on the
    feed server and returns its URL on 127.0.0.1."""

    def serve_at(
        path: str,
        body: bytes = b"",
        *,
        content_type: str | None = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> str:
        all_headers = dict(headers or {})
        if content_type:
            all_headers["Content-Type"] = content_type
        return feed_server.route(path, Reply(status, body, all_headers, delay))

    return serve_at


@pytest.fixture
def serve_page(serve: Serve, feed_server: FeedServer) -> Callable[[str, str, tuple[str, ...]], str]:
    """Serves a saved real page at `path`, each of its site's `origins` (`https://example.com`)
    rewritten to the feed server's, so that its links lead to the fixture server."""

    def serve_saved(name: str, path: str, origins: tuple[str, ...]) -> str:
        page = (PAGES / name).read_bytes()
        for origin in origins:
            page = page.replace(origin.encode(), feed_server.url("").encode())
        return serve(path, page)

    return serve_saved


@pytest.fixture
def fake_internet() -> FakeInternet:
    """`blog.example` is public (and served by the feed server); `intranet.example` is 10.0.0.5."""
    return FakeInternet({"blog.example": [PUBLIC_ADDRESS], "intranet.example": ["10.0.0.5"]})
