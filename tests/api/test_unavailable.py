"""With the database server gone, the API and /readyz answer 503 quickly; /healthz stays up."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from blogroll import create_app
from blogroll.storage import db
from tests.helpers.ports import free_port
from tests.helpers.settings import make_settings

Headers = dict[str, str]
DRIVERS = ["postgresql+psycopg", "mysql+pymysql"]


def _client(driver: str, port: int) -> FlaskClient:
    url = f"{driver}://blogroll:secret-password@127.0.0.1:{port}/blogroll"
    settings = make_settings(url, database_connect_timeout=1, log_level="ERROR")
    app = create_app(settings)
    app.config["TESTING"] = True
    return app.test_client()


@pytest.fixture(params=DRIVERS)
def down_client(request: pytest.FixtureRequest) -> Iterator[FlaskClient]:
    """A client of an app whose database server is not running."""
    client = _client(request.param, free_port())
    yield client
    db.get_database(client.application).engine.dispose()


# (method, documented path, request path, request arguments)
REQUESTS = [
    ("get", "/api/v1/blogs", "/api/v1/blogs", {}),
    ("get", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/1", {}),
    ("get", "/api/v1/entries", "/api/v1/entries", {}),
    ("get", "/api/v1/entries/{entry_id}", "/api/v1/entries/1", {}),
    ("post", "/api/v1/blogs", "/api/v1/blogs", {"json": {"name": "x", "feed_url": "https://x.example/"}}),
    ("patch", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/1", {"json": {"name": "x"}}),
    ("delete", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/1", {}),
    ("post", "/api/v1/blogs/{blog_id}/refresh", "/api/v1/blogs/1/refresh", {}),
    (
        "post",
        "/api/v1/blogs/import",
        "/api/v1/blogs/import",
        {"data": b"<opml/>", "content_type": "text/x-opml"},
    ),
]


@pytest.mark.parametrize(
    ("method", "documented", "path", "arguments"), REQUESTS, ids=[f"{m} {p}" for m, _, p, _ in REQUESTS]
)
def test_api_answers_503(
    down_client: FlaskClient,
    expect_error: Callable[..., Any],
    conforms: Callable[..., None],
    method: str,
    documented: str,
    path: str,
    arguments: dict[str, Any],
) -> None:
    started = time.monotonic()
    response = getattr(down_client, method)(
        path, headers={"Authorization": "Bearer blr_whatever"}, **arguments
    )
    assert time.monotonic() - started < 5
    body = expect_error(response, 503, "service_unavailable")
    assert body["message"] == "the database is not answering; try again shortly"
    assert response.headers["Retry-After"] == "5"
    assert "secret-password" not in response.get_data(as_text=True)
    assert "127.0.0.1" not in response.get_data(as_text=True)
    conforms(response, method, documented)


def test_api_without_database_still_says_hello(down_client: FlaskClient) -> None:
    assert down_client.get("/api/v1/").status_code == 200
    assert down_client.get("/api/v1/openapi.json").status_code == 200


def test_readyz_answers_503(down_client: FlaskClient) -> None:
    started = time.monotonic()
    response = down_client.get("/readyz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.json["status"] == "unavailable"
    assert response.json["error"] == "service_unavailable"
    assert response.json["message"] == "the database is not answering"
    assert "secret-password" not in response.get_data(as_text=True)
    assert response.headers["X-Request-ID"]


def test_healthz_stays_up(down_client: FlaskClient) -> None:
    response = down_client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("driver", DRIVERS)
def test_readyz_does_not_wait_for_a_silent_server(driver: str) -> None:
    """A server that takes the connection but never speaks (a frozen database) must not hang /readyz."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        client = _client(driver, silent.getsockname()[1])
        answers: list[int] = []
        worker = threading.Thread(
            target=lambda: answers.append(client.get("/readyz").status_code), daemon=True
        )
        worker.start()
        worker.join(timeout=5)
        answered_in_time = not worker.is_alive()
    worker.join(timeout=5)  # closing the socket above releases a client still waiting
    db.get_database(client.application).engine.dispose()
    assert answered_in_time
    assert answers == [503]
