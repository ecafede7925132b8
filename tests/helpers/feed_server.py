"""A feed server on 127.0.0.1 for tests that fetch feeds: each path answers what the test set up (status,
body, headers, a delay, an endless stream), and every request is counted. It takes POSTs too (a
webhook's), keeping each one's body."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from blogroll.storage.models import utcnow

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
        self.posted: list[tuple[str, bytes]] = []  # (path, body) of each POST
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

    def bodies_of(self, path: str) -> list[bytes]:
        return [body for seen, body in self.posted if seen == path]

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
            self._handle(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._handle(self.rfile.read(min(length, 1024 * 1024)))

        def _handle(self, posted: bytes | None) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            with server.lock:
                if posted is not None:
                    server.posted.append((self.path, posted))
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
