"""Paused blogs through the API: `fetch.paused_reason` says why, and resuming clears it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from blogroll.storage.models import Blog

Headers = dict[str, str]
REASON = "paused after 20 consecutive failures; last error: HTTP 500 Internal Server Error"
FAILING_SINCE = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def paused_by_the_worker(session: Session, blog: Blog) -> None:
    blog.enabled = False
    blog.paused_reason = REASON
    blog.consecutive_errors = 20
    blog.failing_since = FAILING_SINCE
    blog.next_fetch_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    session.commit()


def test_a_paused_blog_shows_why(client: FlaskClient, add_blog: Any, session: Session) -> None:
    blog = add_blog()
    paused_by_the_worker(session, blog)

    fetch = client.get(f"/api/v1/blogs/{blog.id}").json["fetch"]

    assert (fetch["enabled"], fetch["paused_reason"]) == (False, REASON)
    assert (fetch["consecutive_errors"], fetch["failing_since"]) == (20, "2026-01-02T03:04:05Z")
    listed = client.get("/api/v1/blogs").json["items"]
    assert [item["fetch"]["paused_reason"] for item in listed] == [REASON]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("patch", "/api/v1/blogs/{id}", {"enabled": True}), ("post", "/api/v1/blogs/{id}/refresh", None)],
)
def test_resuming_clears_the_reason_and_the_failures(
    client: FlaskClient, auth: Headers, add_blog: Any, session: Session, method: str, path: str, body: Any
) -> None:
    blog = add_blog()
    paused_by_the_worker(session, blog)
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)

    response = getattr(client, method)(path.format(id=blog.id), json=body, headers=auth)

    assert response.status_code in (200, 202)
    fetch = response.json["fetch"]
    assert (fetch["enabled"], fetch["paused_reason"]) == (True, None)
    assert (fetch["consecutive_errors"], fetch["failing_since"]) == (0, None)
    assert started <= dt.datetime.fromisoformat(fetch["next_fetch_at"]) <= dt.datetime.now(dt.UTC)
    # The last error stays, for the record, until the next fetch replaces it.
    assert client.get(f"/api/v1/blogs/{blog.id}").json["fetch"] == fetch


def test_a_keeper_pausing_says_so(client: FlaskClient, auth: Headers, add_blog: Any) -> None:
    blog = add_blog()

    response = client.patch(f"/api/v1/blogs/{blog.id}", json={"enabled": False}, headers=auth)

    fetch = response.json["fetch"]
    assert (fetch["enabled"], fetch["paused_reason"]) == (False, "paused by a keeper")


def test_pausing_a_paused_blog_keeps_the_workers_reason(
    client: FlaskClient, auth: Headers, add_blog: Any, session: Session
) -> None:
    blog = add_blog()
    paused_by_the_worker(session, blog)

    response = client.patch(f"/api/v1/blogs/{blog.id}", json={"enabled": False}, headers=auth)

    assert response.json["fetch"]["paused_reason"] == REASON
    assert response.json["fetch"]["consecutive_errors"] == 20


def test_an_enabled_blog_has_no_reason(client: FlaskClient, auth: Headers, add_blog: Any) -> None:
    blog = add_blog()
    client.patch(f"/api/v1/blogs/{blog.id}", json={"enabled": False}, headers=auth)

    response = client.patch(f"/api/v1/blogs/{blog.id}", json={"enabled": True}, headers=auth)

    assert (response.json["fetch"]["enabled"], response.json["fetch"]["paused_reason"]) == (True, None)


def test_the_openapi_document_describes_paused_reason(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    fetch = schemas["FetchState"]["properties"]

    assert "paused by a keeper" in fetch["paused_reason"]["description"]
    assert {"paused_reason", "failing_since"} <= set(schemas["FetchState"]["required"])
