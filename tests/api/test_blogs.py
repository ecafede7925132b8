"""Writing blogs through the API: create, read back, partial updates, delete, refresh."""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from blogroll.storage.models import ApiToken, Blog, BlogTag, Entry

Headers = dict[str, str]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
NEW_BLOG = {
    "name": "Example",
    "feed_url": "https://example.org/feed.xml",
    "site_url": "https://example.org/",
    "description": "Notes on things.",
    "tags": ["Python", "web", "python"],
}


def test_create_blog(client: FlaskClient, auth: Headers) -> None:
    response = client.post("/api/v1/blogs", json=NEW_BLOG, headers=auth)

    assert response.status_code == 201
    blog = response.json
    assert response.headers["Location"] == f"http://localhost/api/v1/blogs/{blog['id']}"
    assert {key: value for key, value in blog.items() if not key.endswith("_at") and key != "fetch"} == {
        "id": blog["id"],
        "name": "Example",
        "site_url": "https://example.org/",
        "feed_url": "https://example.org/feed.xml",
        "description": "Notes on things.",
        "tags": ["python", "web"],
        "icon_url": None,
    }
    assert TIMESTAMP.match(blog["created_at"]) and TIMESTAMP.match(blog["updated_at"])
    assert blog["fetch"]["enabled"] is True
    assert blog["fetch"]["consecutive_errors"] == 0
    assert blog["fetch"]["last_fetched_at"] is None
    assert TIMESTAMP.match(blog["fetch"]["next_fetch_at"])


def test_created_blog_reads_back_the_same(client: FlaskClient, auth: Headers) -> None:
    created = client.post("/api/v1/blogs", json=NEW_BLOG, headers=auth)
    assert client.get(created.headers["Location"]).json == created.json
    assert client.get("/api/v1/blogs").json["items"] == [created.json]


def test_create_blog_with_only_the_required_fields(client: FlaskClient, auth: Headers) -> None:
    response = client.post(
        "/api/v1/blogs", json={"name": "  Tiny  ", "feed_url": "HTTPS://Tiny.Example/rss"}, headers=auth
    )
    assert response.status_code == 201
    assert response.json["name"] == "Tiny"
    assert response.json["feed_url"] == "https://tiny.example/rss"
    assert response.json["site_url"] is None
    assert response.json["description"] == ""
    assert response.json["tags"] == []


def test_unicode_round_trips(client: FlaskClient, auth: Headers) -> None:
    body = {
        "name": "Blog 🐍 café ß",
        "feed_url": "https://bücher.example/föd?q=ü",
        "description": "Zeilen\nmit Umlauten: äöü, und 日本語.",
        "tags": ["café", "日本"],
    }
    created = client.post("/api/v1/blogs", json=body, headers=auth)
    assert created.status_code == 201
    blog = client.get(created.headers["Location"]).json
    assert blog["name"] == "Blog 🐍 café ß"
    assert blog["feed_url"] == "https://xn--bcher-kva.example/f%C3%B6d?q=%C3%BC"
    assert blog["description"] == "Zeilen\nmit Umlauten: äöü, und 日本語."
    assert blog["tags"] == ["café", "日本"]
    assert [b["id"] for b in client.get("/api/v1/blogs?tag=日本").json["items"]] == [blog["id"]]


def test_get_blog_404(client: FlaskClient, expect_error: Callable[..., Any]) -> None:
    body = expect_error(client.get("/api/v1/blogs/424242"), 404, "not_found")
    assert body["message"] == "there is no blog with id 424242"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "Renamed"}, {"name": "Renamed"}),
        ({"description": ""}, {"description": ""}),
        ({"site_url": None}, {"site_url": None}),
        ({"site_url": "https://new.example.org/"}, {"site_url": "https://new.example.org/"}),
        ({"tags": ["Go", "rust"]}, {"tags": ["go", "rust"]}),
        ({"tags": []}, {"tags": []}),
        ({}, {}),
    ],
)
def test_patch_changes_only_what_is_sent(
    client: FlaskClient, auth: Headers, add_blog: Any, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    blog = add_blog("Example", site_url="https://example.org/", description="Notes.", tags=["python"])
    before = client.get(f"/api/v1/blogs/{blog.id}").json

    response = client.patch(f"/api/v1/blogs/{blog.id}", json=changes, headers=auth)

    assert response.status_code == 200
    after = response.json
    assert {key: after[key] for key in expected} == expected
    unchanged = set(before) - set(expected) - {"updated_at"}  # type: ignore[arg-type]
    assert {key: after[key] for key in unchanged} == {key: before[key] for key in unchanged}
    assert after["updated_at"] >= before["updated_at"]
    assert client.get(f"/api/v1/blogs/{blog.id}").json == after


def test_patch_enabled(client: FlaskClient, auth: Headers, add_blog: Any) -> None:
    blog = add_blog()
    response = client.patch(f"/api/v1/blogs/{blog.id}", json={"enabled": False}, headers=auth)
    assert response.json["fetch"]["enabled"] is False
    assert client.get(f"/api/v1/blogs/{blog.id}").json["fetch"]["enabled"] is False


def test_patch_feed_url_resets_the_fetch_state(
    client: FlaskClient, auth: Headers, add_blog: Any, session: Session
) -> None:
    blog = add_blog()
    blog.etag = '"v1"'
    blog.last_modified = "Thu, 01 Jan 2026 00:00:00 GMT"
    blog.next_fetch_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    session.commit()

    response = client.patch(
        f"/api/v1/blogs/{blog.id}", json={"feed_url": "https://moved.example.org/atom"}, headers=auth
    )

    fetch = response.json["fetch"]
    assert response.json["feed_url"] == "https://moved.example.org/atom"
    assert (fetch["etag"], fetch["last_modified"]) == (None, None)
    assert fetch["next_fetch_at"] < "2030"


def test_patch_to_own_feed_url_is_no_conflict(client: FlaskClient, auth: Headers, add_blog: Any) -> None:
    blog = add_blog(feed_url="https://example.org/feed.xml")
    response = client.patch(
        f"/api/v1/blogs/{blog.id}", json={"feed_url": "https://example.org/feed.xml"}, headers=auth
    )
    assert response.status_code == 200


@pytest.mark.parametrize("field", ["name", "feed_url", "description", "tags", "enabled"])
def test_patch_refuses_null_except_for_site_url(
    client: FlaskClient,
    auth: Headers,
    add_blog: Any,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    field: str,
) -> None:
    blog = add_blog()
    before = storage()
    response = client.patch(f"/api/v1/blogs/{blog.id}", json={"name": "Fine", field: None}, headers=auth)
    body = expect_error(response, 422, "validation_failed")
    assert [detail["field"] for detail in body["details"]] == [field]
    assert storage() == before


def test_patch_unknown_blog(client: FlaskClient, auth: Headers, expect_error: Callable[..., Any]) -> None:
    expect_error(client.patch("/api/v1/blogs/424242", json={"name": "X"}, headers=auth), 404, "not_found")


def test_delete_blog_removes_its_entries_and_tags(
    client: FlaskClient, auth: Headers, add_blog: Any, add_entry: Any, session: Session
) -> None:
    doomed = add_blog("Doomed", tags=["a", "b"])
    kept = add_blog("Kept", tags=["a"])
    for _ in range(3):
        add_entry(doomed)
    kept_entry = add_entry(kept)

    response = client.delete(f"/api/v1/blogs/{doomed.id}", headers=auth)

    assert response.status_code == 204
    assert response.get_data() == b""
    assert session.scalars(select(Blog.id)).all() == [kept.id]
    assert session.scalars(select(Entry.id)).all() == [kept_entry.id]
    assert session.execute(select(BlogTag.blog_id, BlogTag.tag)).all() == [(kept.id, "a")]
    assert client.get(f"/api/v1/blogs/{doomed.id}").status_code == 404


def test_delete_twice(
    client: FlaskClient, auth: Headers, add_blog: Any, expect_error: Callable[..., Any]
) -> None:
    blog = add_blog()
    assert client.delete(f"/api/v1/blogs/{blog.id}", headers=auth).status_code == 204
    expect_error(client.delete(f"/api/v1/blogs/{blog.id}", headers=auth), 404, "not_found")


def test_refresh_makes_a_blog_due(
    client: FlaskClient, auth: Headers, add_blog: Any, session: Session
) -> None:
    blog = add_blog()
    blog.enabled = False
    blog.next_fetch_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    session.commit()
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)

    response = client.post(f"/api/v1/blogs/{blog.id}/refresh", headers=auth)

    assert response.status_code == 202
    assert response.json["id"] == blog.id
    assert response.json["fetch"]["enabled"] is True
    due = dt.datetime.fromisoformat(response.json["fetch"]["next_fetch_at"])
    assert started <= due <= dt.datetime.now(dt.UTC)
    assert client.get(f"/api/v1/blogs/{blog.id}").json == response.json


def test_refresh_unknown_blog(client: FlaskClient, auth: Headers, expect_error: Callable[..., Any]) -> None:
    expect_error(client.post("/api/v1/blogs/424242/refresh", headers=auth), 404, "not_found")


def test_writes_record_when_the_token_was_used(client: FlaskClient, auth: Headers, session: Session) -> None:
    assert session.scalars(select(ApiToken.last_used_at)).one() is None
    client.post("/api/v1/blogs", json=NEW_BLOG, headers=auth)
    session.expire_all()
    assert session.scalars(select(ApiToken.last_used_at)).one() is not None
