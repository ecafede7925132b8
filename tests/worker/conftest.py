"""The worker's fixtures: a feed server on 127.0.0.1, a fake internet for the SSRF tests, and a harness
that adds blogs, runs a pass and reads back what was stored, on a real (committed) database."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import pytest
from sqlalchemy import select

from blogroll.config import Settings
from blogroll.storage.blogs import NewBlog, create_blog, make_due
from blogroll.storage.db import Database, make_engine
from blogroll.storage.models import Blog, Entry, utcnow
from blogroll.worker.fetch import GuardedBackend, resolve_host
from blogroll.worker.runner import Report, Runner

# The longest any fixture handler sleeps or streams; every wait in these tests is bounded.
HANDLER_LIMIT = 30.0


@dataclass
class Reply:
    """What the feed server answers on a path."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    endless: bool = False  # stream bytes until the client hangs up


Route = Reply | Callable[[dict[str, str]], Reply]


class FeedServer:
    """A threaded HTTP server on 127.0.0.1 whose paths tests set up, counting what it is asked."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, reply: Route, host: str = "127.0.0.1") -> str:
        self.routes[path] = reply
        return self.url(path, host)

    def headers_of(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.requests if seen == path]

    def wait_for_request(self, path: str, timeout: float = 10.0) -> bool:
        for _ in range(int(timeout / 0.05)):
            if self.hits[path]:
                return True
            self.stopping.wait(0.05)
        return False

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            with server.lock:
                server.hits[self.path] += 1
                server.requests.append((self.path, headers))
                server.active += 1
                server.most_active = max(server.most_active, server.active)
            try:
                route = server.routes.get(self.path, Reply(404, b"not here"))
                self._answer(route(headers) if callable(route) else route)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the worker hung up, as it should past a limit
            finally:
                with server.lock:
                    server.active -= 1

        def _answer(self, reply: Reply) -> None:
            if reply.delay and server.stopping.wait(min(reply.delay, HANDLER_LIMIT)):
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if not reply.endless and "Content-Length" not in reply.headers:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            if reply.endless:
                self._stream_forever()

        def _stream_forever(self) -> None:
            chunk = b"<item><title>again</title></item>" * 1000
            stop_at = utcnow() + dt.timedelta(seconds=HANDLER_LIMIT)
            while not server.stopping.is_set() and utcnow() < stop_at:
                self.wfile.write(chunk)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Polls `condition` for at most `timeout` seconds."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if condition():
            return True
        pause.wait(0.05)
    return condition()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    server.thread.start()
    yield server
    server.close()


# A public address (the fake DNS hands it out) that the fake internet routes to the feed server.
PUBLIC_ADDRESS = "93.184.215.14"


class FakeInternet(GuardedBackend):
    """The production guard with a fake DNS in front and the public address wired to 127.0.0.1,
    so "a public host" can be served by the fixture server while private addresses stay refused."""

    def __init__(self, dns: dict[str, list[str]]) -> None:
        def fake_dns(host: str, port: int) -> list[str]:
            return dns[host] if host in dns else resolve_host(host, port)

        super().__init__(allow_private=False, resolve=fake_dns, network=PublicAddressOnLoopback())


class PublicAddressOnLoopback(httpcore.SyncBackend):
    """httpcore's sockets, with connections to the public address made to 127.0.0.1 instead."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address = "127.0.0.1" if host == PUBLIC_ADDRESS else host
        return super().connect_tcp(address, port, timeout, local_address, socket_options)


def worker_settings(database_url: str, **overrides: Any) -> Settings:
    """Test settings: short timeouts and small limits so the failure cases are quick."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "log_level": "WARNING",
        "allow_private_feeds": True,
        "fetch_connect_timeout": 2.0,
        "fetch_read_timeout": 1.0,
        "fetch_total_timeout": 10.0,
        "max_feed_bytes": 64 * 1024,
        "fetch_concurrency": 4,
        "fetch_poll_interval": 0.2,
        "graceful_timeout": 5,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


class Harness:
    """Adds blogs, runs the worker and reads back the database, each in its own transaction."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.settings = worker_settings(database_url)
        self.database = Database(make_engine(self.settings))

    def configure(self, **overrides: Any) -> None:
        self.settings = worker_settings(self.database_url, **overrides)

    def add_blog(self, feed_url: str, name: str = "A blog") -> int:
        with self.database.session() as session:
            return create_blog(session, NewBlog(name=name, feed_url=feed_url)).id

    def runner(self, backend: GuardedBackend | None = None, **overrides: Any) -> Runner:
        settings = worker_settings(self.database_url, **overrides) if overrides else self.settings
        return Runner(settings, self.database, backend=backend)

    def fetch(self, *blog_ids: int, backend: GuardedBackend | None = None) -> Report:
        """One pass over the due blogs (or only `blog_ids`, made due first)."""
        for blog_id in blog_ids:
            self.make_due(blog_id)
        runner = self.runner(backend)
        try:
            return runner.run_pass(blog_ids=blog_ids or None)
        finally:
            runner.close()

    def make_due(self, blog_id: int) -> None:
        with self.database.session() as session:
            blog = session.get(Blog, blog_id)
            assert blog is not None
            make_due(session, blog)

    def blog(self, blog_id: int) -> Blog:
        with self.database.sessions() as session:
            blog = session.get(Blog, blog_id)
            assert blog is not None
            return blog

    def entries(self, blog_id: int) -> list[Entry]:
        """The blog's entries as the pages list them: newest first."""
        with self.database.sessions() as session:
            query = (
                select(Entry)
                .where(Entry.blog_id == blog_id)
                .order_by(Entry.published_at.desc(), Entry.id.desc())
            )
            return list(session.scalars(query))

    def close(self) -> None:
        self.database.engine.dispose()


@pytest.fixture
def harness(committed_database: str, feed_server: FeedServer) -> Iterator[Harness]:
    # Depends on feed_server so the server closes first and no fixture request outlives the data.
    harness = Harness(committed_database)
    yield harness
    harness.close()
