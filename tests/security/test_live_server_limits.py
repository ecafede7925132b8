"""What only the real server shows: oversized headers, request lines and bodies sent over a raw socket,
and traversal paths that an HTTP client would tidy up before sending. Never a 5xx, never a leak."""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.helpers.live_server import LiveServer

from .test_hostile_requests import LEAKED, TRAVERSALS

MB = 1024 * 1024


def _exchange(server: LiveServer, head: bytes, body: Iterable[bytes] = ()) -> bytes:
    """Sends a raw request (the server may stop reading the body and answer early) and reads the answer."""
    address = urlsplit(server.base)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(head)
        try:
            for chunk in body:
                connection.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the end, as it should be
        answer = b""
        try:
            while data := connection.recv(65536):
                answer += data
        except ConnectionResetError:
            pass
    return answer


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer[9:12])


def _request(path: bytes, *headers: bytes, method: bytes = b"GET") -> bytes:
    lines = [method + b" " + path + b" HTTP/1.1", b"Host: 127.0.0.1", *headers, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


@pytest.fixture
def server(live_server: LiveServer) -> Iterator[LiveServer]:
    """The live server, checked to be healthy and without a traceback after each test."""
    yield live_server
    assert httpx.get(f"{live_server.base}/healthz", timeout=5).status_code == 200
    assert "Traceback" not in live_server.output()


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(_request(b"/api/v1/", b"X-Big: " + b"a" * 9000), id="one-9-kb-header"),
        pytest.param(_request(b"/api/v1/", b"Authorization: Bearer " + b"a" * 100_000), id="100-kb-token"),
        pytest.param(_request(b"/", b"Cookie: " + b"c=1; " * 20_000), id="100-kb-cookie"),
        pytest.param(_request(b"/api/v1/", *(b"X-H%d: v" % n for n in range(200))), id="200-headers"),
        pytest.param(_request(b"/api/v1/blogs?tag=" + b"a" * 10_000), id="10-kb-request-line"),
    ],
)
def test_oversized_headers_are_refused(server: LiveServer, head: bytes) -> None:
    assert _status(_exchange(server, head)) in (400, 414, 431)


def test_headers_just_under_the_limit_are_served(server: LiveServer) -> None:
    answer = _exchange(server, _request(b"/api/v1/", b"X-Big: " + b"a" * 8000))
    assert _status(answer) == 200


def _blank(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    for _ in range(size // chunk):
        yield b" " * chunk


def _chunked(size: int) -> Iterator[bytes]:
    for piece in _blank(size):
        yield b"%x\r\n" % len(piece) + piece + b"\r\n"
    yield b"0\r\n\r\n"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [(b"/api/v1/blogs", b"application/json"), (b"/api/v1/blogs/import", b"text/x-opml")],
)
def test_oversized_bodies_are_refused(server: LiveServer, path: bytes, content_type: bytes) -> None:
    token = b"Authorization: Bearer " + server.token.encode()
    kind = b"Content-Type: " + content_type
    with_length = _request(path, token, kind, b"Content-Length: %d" % (50 * MB), method=b"POST")
    chunked = _request(path, token, kind, b"Transfer-Encoding: chunked", method=b"POST")

    for answer in (
        _exchange(server, with_length, _blank(50 * MB)),
        _exchange(server, chunked, _chunked(50 * MB)),
    ):
        assert _status(answer) == 413
        assert b'"error":"payload_too_large"' in answer


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_on_the_wire(server: LiveServer, path: str) -> None:
    """Sent byte for byte, `..` and all, as no HTTP client would."""
    answer = _exchange(server, _request(path.encode()))
    assert _status(answer) in (308, 400, 404)
    for leak in LEAKED:
        assert leak.encode() not in answer
