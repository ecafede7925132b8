"""Writes need a valid bearer token; everything else about a refused write is a 401 that changes nothing."""

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from blogroll.storage.tokens import create_token, revoke_token

OPML = (
    b'<opml version="2.0"><body><outline type="rss" text="A" xmlUrl="https://a.example/feed"/></body></opml>'
)

# Each write, as (method, path, request arguments); "{id}" is an existing blog.
WRITES = [
    ("post", "/api/v1/blogs", {"json": {"name": "New", "feed_url": "https://new.example/feed"}}),
    ("patch", "/api/v1/blogs/{id}", {"json": {"name": "Renamed"}}),
    ("delete", "/api/v1/blogs/{id}", {}),
    ("post", "/api/v1/blogs/{id}/refresh", {}),
    ("post", "/api/v1/blogs/import", {"data": OPML, "content_type": "text/x-opml"}),
]
WRITE_IDS = [f"{method} {path}" for method, path, _ in WRITES]


@pytest.mark.parametrize(("method", "path", "arguments"), WRITES, ids=WRITE_IDS)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token {token}",
        "{token}",
        "Bearer blr_not-a-real-token",
        "Bearer {token}x",
        "Bearer {token} {token}",
    ],
)
def test_writes_without_a_valid_token_are_refused(
    client: FlaskClient,
    token: str,
    add_blog: Any,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    method: str,
    path: str,
    arguments: dict[str, Any],
    authorization: str | None,
) -> None:
    blog = add_blog()
    before = storage()
    headers = {} if authorization is None else {"Authorization": authorization.format(token=token)}

    response = getattr(client, method)(path.format(id=blog.id), headers=headers, **arguments)

    expect_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert storage() == before


@pytest.mark.parametrize(("method", "path", "arguments"), WRITES, ids=WRITE_IDS)
def test_a_revoked_token_is_refused(
    client: FlaskClient,
    session: Session,
    add_blog: Any,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    method: str,
    path: str,
    arguments: dict[str, Any],
) -> None:
    blog = add_blog()
    _row, token = create_token(session, "soon revoked")
    revoke_token(session, "soon revoked")
    session.commit()
    before = storage()

    response = getattr(client, method)(
        path.format(id=blog.id), headers={"Authorization": f"Bearer {token}"}, **arguments
    )

    expect_error(response, 401, "unauthorized")
    assert "WWW-Authenticate" in response.headers
    assert storage() == before


SUCCESS = {
    "post /api/v1/blogs": 201,
    "post /api/v1/blogs/{id}/refresh": 202,
    "delete /api/v1/blogs/{id}": 204,
}


@pytest.mark.parametrize(("method", "path", "arguments"), WRITES, ids=WRITE_IDS)
@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_a_valid_token_may_write(
    client: FlaskClient,
    token: str,
    add_blog: Any,
    method: str,
    path: str,
    arguments: dict[str, Any],
    scheme: str,
) -> None:
    blog = add_blog()
    response = getattr(client, method)(
        path.format(id=blog.id), headers={"Authorization": f"{scheme} {token}"}, **arguments
    )
    assert response.status_code == SUCCESS.get(f"{method} {path}", 200)


def test_token_stops_working_once_revoked(client: FlaskClient, session: Session, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    body = {"name": "One", "feed_url": "https://one.example/feed"}
    assert client.post("/api/v1/blogs", json=body, headers=headers).status_code == 201
    revoke_token(session, "tests")
    session.commit()
    body = {"name": "Two", "feed_url": "https://two.example/feed"}
    assert client.post("/api/v1/blogs", json=body, headers=headers).status_code == 401
