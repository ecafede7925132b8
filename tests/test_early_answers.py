"""Answers sent before the request body was read, as Python's HTTP clients meet them on a real server
(`blogroll run` and `blogroll serve`): a 413 for a body over the limit, a 401 for a write without a
token. Each client reads the JSON answer and its next request is served; a client that stops
sending, or announces more than the server would read, still gets its answer in bounded time."""

from __future__ import annotations

import io
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.test import Client

from blogroll.storage import db
from blogroll.storage.migrate import upgrade
from blogroll.storage.tokens import create_token
from blogroll.unread_bodies import DISCARD_FACTOR, DISCARD_SECONDS, DiscardUnreadBodies
from tests.helpers.http_clients import CLIENTS, MB, Answer, blank, post_then_get, streamed
from tests.helpers.ports import free_port
from tests.helpers.processes import Processes, server_env
from tests.helpers.settings import make_settings
from tests.helpers.waiting import wait_until_healthy

# The servers' BLOGROLL_MAX_BODY_BYTES: they read and drop at most ten times that, 10 MiB.
MAX_BODY = 1 * MB
BLOGS = "/api/v1/blogs"


@dataclass
class Server:
    port: int
    token: str
    processes: Processes
    process: subprocess.Popen[bytes]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self) -> str:
        return self.processes.output(self.process)


@pytest.fixture(scope="module", params=["run", "serve"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`blogroll run` (the embedded default) or `blogroll serve` (gunicorn, two processes)."""
    command: str = request.param
    folder = tmp_path_factory.mktemp(command)
    port = free_port()
    env = server_env(folder, BLOGROLL_PORT=str(port), BLOGROLL_MAX_BODY_BYTES=str(MAX_BODY))
    token = _migrated_with_a_token(folder / "data")
    processes = Processes(folder)
    try:
        process = processes.start(command, env=env)
        server = Server(port, token, processes, process)
        wait_until_healthy(server.url(""), process, server.output, 60)
        yield server
    finally:
        processes.stop_all()


def _migrated_with_a_token(data_dir: Path) -> str:
    """The server's SQLite database, migrated here rather than by two more `blogroll` processes."""
    data_dir.mkdir()
    database = db.Database(db.make_engine(make_settings(data_dir=data_dir)))
    try:
        upgrade(database.engine)
        with database.transaction() as session:
            _, token = create_token(session, "early-answers")
    finally:
        database.engine.dispose()
    return token


@pytest.fixture
def live(server: Server) -> Iterator[Server]:
    """The server, checked to be still healthy and without a traceback after each test."""
    yield server
    assert httpx.get(server.url("/healthz"), timeout=5).status_code == 200
    assert "Traceback" not in server.output()


def assert_json_answer(answer: Answer, status: int, error: str) -> None:
    assert answer.status == status, answer.body[:500]
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"] == error
    assert answer.then == 200  # the request after it was served


def _json(token: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


@pytest.mark.parametrize("size", [3 * MB, 9 * MB])
@pytest.mark.parametrize("client", CLIENTS)
def test_a_body_over_the_limit_gets_a_readable_413(live: Server, client: str, size: int) -> None:
    answer = post_then_get(client, live.url(BLOGS), blank(size), _json(live.token), live.url("/api/v1/"))

    assert_json_answer(answer, 413, "payload_too_large")
    if client != "urllib":  # urllib itself asks for `Connection: close`
        assert answer.headers["connection"] == "keep-alive"


@pytest.mark.parametrize("client", CLIENTS)
def test_a_chunked_body_over_the_limit_gets_a_readable_413(live: Server, client: str) -> None:
    answer = post_then_get(client, live.url(BLOGS), streamed(3 * MB), _json(live.token), live.url("/api/v1/"))

    assert_json_answer(answer, 413, "payload_too_large")


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
@pytest.mark.parametrize("client", CLIENTS)
def test_a_write_without_a_token_is_refused_before_its_body_is_read(
    live: Server, client: str, chunked: bool
) -> None:
    body = streamed(MAX_BODY // 2) if chunked else blank(MAX_BODY // 2)
    answer = post_then_get(client, live.url(BLOGS), body, _json(), live.url("/api/v1/"))

    assert_json_answer(answer, 401, "unauthorized")


def _raw_post(server: Server, length: int, sent: int) -> tuple[bytes, float]:
    """Announces `length` bytes of body, sends `sent` of them and waits: the answer's head, and the
    seconds it took to come."""
    head = (
        f"POST {BLOGS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {server.token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=DISCARD_SECONDS + 20) as connection:
        connection.sendall(head + blank(sent))
        answer = b""
        while b"\r\n\r\n" not in answer and (data := connection.recv(65536)):
            answer += data
    return answer.partition(b"\r\n\r\n")[0], time.monotonic() - started


def test_a_client_that_stops_sending_gets_its_answer_in_bounded_time(live: Server) -> None:
    head, seconds = _raw_post(live, length=3 * MB, sent=256 * 1024)

    assert head.startswith(b"HTTP/1.1 413 "), head
    assert b"\r\nConnection: close" in head
    assert seconds < DISCARD_SECONDS + 5


def test_a_body_announced_larger_than_what_is_dropped_is_answered_at_once(live: Server) -> None:
    head, seconds = _raw_post(live, length=DISCARD_FACTOR * MAX_BODY + 1, sent=64 * 1024)

    assert head.startswith(b"HTTP/1.1 413 "), head
    assert b"\r\nConnection: close" in head
    assert seconds < 3


# --- The middleware on its own: what it reads of the body, whoever read the first part -------------


def _answer_after(reading: str) -> Any:
    """A WSGI app that reads the start of the body as `reading` says, then answers 401."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = environ["wsgi.input"]
        if reading == "read":
            body.read(10)
        elif reading == "readline":
            body.readline()
        elif reading == "readlines":
            body.readlines(1)
        elif reading == "iteration":
            next(iter(body))
        start_response("401 UNAUTHORIZED", [("Content-Type", "text/plain")])
        return [b"no"]

    return app


@pytest.mark.parametrize("reading", ["nothing", "read", "readline", "readlines", "iteration"])
def test_what_the_app_left_unread_is_read_to_the_end_of_the_body(reading: str) -> None:
    sent = io.BytesIO(b"line one\nline two\n" * 1000 + b"next request")
    length = len(sent.getvalue()) - len(b"next request")
    client = Client(DiscardUnreadBodies(_answer_after(reading), max_bytes=MB, seconds=5))

    answer = client.post("/", input_stream=sent, environ_overrides={"CONTENT_LENGTH": str(length)})

    assert answer.status_code == 401
    assert sent.tell() == length  # all of the body, and not a byte of what follows it


def test_a_body_larger_than_the_bound_is_left_alone() -> None:
    sent = io.BytesIO(blank(2 * MB))
    client = Client(DiscardUnreadBodies(_answer_after("read"), max_bytes=MB, seconds=5))

    answer = client.post("/", input_stream=sent, environ_overrides={"CONTENT_LENGTH": str(2 * MB)})

    assert answer.status_code == 401
    assert sent.tell() == 10
