"""Reading the API: the hello, the JSON shapes of blogs, entries and lists, paging and filters."""

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blogroll import __version__

JAN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_hello(client: FlaskClient) -> None:
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"message": "Hello from the tests!", "version": __version__}


def test_blog_shape(client: FlaskClient, add_blog: Any, session: Any) -> None:
    blog = add_blog(
        "Example",
        feed_url="https://example.org/feed.xml",
        site_url="https://example.org/",
        description="Notes.",
        tags=["python", "web"],
    )
    blog.created_at = blog.updated_at = blog.next_fetch_at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    blog.last_fetched_at = dt.datetime(2026, 1, 2, 3, 4, 6, tzinfo=dt.UTC)
    blog.last_status = 304
    blog.etag = '"abc"'
    blog.last_modified = "Fri, 02 Jan 2026 03:04:05 GMT"
    session.commit()

    response = client.get(f"/api/v1/blogs/{blog.id}")

    assert response.status_code == 200
    assert response.json == {
        "id": blog.id,
        "name": "Example",
        "site_url": "https://example.org/",
        "feed_url": "https://example.org/feed.xml",
        "description": "Notes.",
        "tags": ["python", "web"],
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-02T03:04:05Z",
        "icon_url": None,
        "fetch": {
            "enabled": True,
            "paused_reason": None,
            "last_fetched_at": "2026-01-02T03:04:06Z",
            "last_status": 304,
            "last_error": None,
            "consecutive_errors": 0,
            "failing_since": None,
            "next_fetch_at": "2026-01-02T03:04:05Z",
            "etag": '"abc"',
            "last_modified": "Fri, 02 Jan 2026 03:04:05 GMT",
        },
    }


def test_a_blog_with_an_icon_gives_its_address_here(
    client: FlaskClient, add_blog: Any, session: Any, conforms: Callable[[TestResponse, str, str], None]
) -> None:
    """The icon's address on this Blogroll, versioned by its digest; never the blog's own site."""
    blog = add_blog("Iconic", site_url="https://iconic.example/")
    digest = "0123456789abcdef0123456789abcdef"
    blog.icon_digest = digest
    session.commit()

    one = client.get(f"/api/v1/blogs/{blog.id}")
    listed = client.get("/api/v1/blogs")

    assert one.json["icon_url"] == f"http://localhost/blogs/{blog.id}/icon/{digest}"
    assert [item["icon_url"] for item in listed.json["items"]] == [one.json["icon_url"]]
    conforms(one, "get", "/api/v1/blogs/{blog_id}")
    conforms(listed, "get", "/api/v1/blogs")


def test_entry_shape(client: FlaskClient, add_blog: Any, add_entry: Any) -> None:
    blog = add_blog(site_url="https://example.org/")
    entry = add_entry(
        blog,
        "Hello, world",
        guid="tag:example.org,2026:1",
        link="https://example.org/hello",
        author="Ada",
        summary="<p>Hi <em>there</em></p>",
        published_at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        fetched_at=dt.datetime(2026, 1, 2, 9, 0, tzinfo=dt.UTC),
    )

    response = client.get(f"/api/v1/entries/{entry.id}")

    assert response.status_code == 200
    assert response.json == {
        "id": entry.id,
        "blog_id": blog.id,
        "guid": "tag:example.org,2026:1",
        "title": "Hello, world",
        "link": "https://example.org/hello",
        "author": "Ada",
        "summary": "<p>Hi <em>there</em></p>",
        "published_at": "2026-01-02T01:04:05Z",
        "fetched_at": "2026-01-02T09:00:00Z",
    }


def test_empty_lists(client: FlaskClient) -> None:
    assert client.get("/api/v1/blogs").json == {"items": [], "next": None}
    assert client.get("/api/v1/entries").json == {"items": [], "next": None}


def test_blogs_are_listed_oldest_first(client: FlaskClient, add_blog: Any) -> None:
    ids = [add_blog(name).id for name in ("Zeta", "Alpha", "Mid")]
    response = client.get("/api/v1/blogs")
    assert [blog["id"] for blog in response.json["items"]] == ids
    assert [blog["name"] for blog in response.json["items"]] == ["Zeta", "Alpha", "Mid"]
    assert response.json["next"] is None


def test_blog_pages(client: FlaskClient, add_blog: Any) -> None:
    ids = [add_blog(f"Blog {n}").id for n in range(5)]

    first = client.get("/api/v1/blogs?limit=2").json
    assert [blog["id"] for blog in first["items"]] == ids[:2]
    assert first["next"] == f"http://localhost/api/v1/blogs?limit=2&cursor={ids[1]}"
    second = client.get(first["next"]).json
    assert [blog["id"] for blog in second["items"]] == ids[2:4]
    assert second["next"] == f"http://localhost/api/v1/blogs?limit=2&cursor={ids[3]}"
    last = client.get(second["next"]).json
    assert [blog["id"] for blog in last["items"]] == ids[4:]
    assert last["next"] is None


def test_a_full_last_page_has_no_next(client: FlaskClient, add_blog: Any) -> None:
    for n in range(4):
        add_blog(f"Blog {n}")
    first = client.get("/api/v1/blogs?limit=2").json
    assert client.get(first["next"]).json["next"] is None


def test_blogs_by_tag(client: FlaskClient, add_blog: Any) -> None:
    python = [add_blog(f"Py {n}", tags=["python", "web"]).id for n in range(3)]
    add_blog("Rust", tags=["rust"])
    add_blog("Untagged")

    first = client.get("/api/v1/blogs?tag=python&limit=2").json
    assert [blog["id"] for blog in first["items"]] == python[:2]
    assert first["next"] == f"http://localhost/api/v1/blogs?tag=python&limit=2&cursor={python[1]}"
    assert [blog["id"] for blog in client.get(first["next"]).json["items"]] == python[2:]
    assert [b["name"] for b in client.get("/api/v1/blogs?tag=RUST").json["items"]] == ["Rust"]
    assert client.get("/api/v1/blogs?tag=go").json == {"items": [], "next": None}


def test_next_keeps_only_known_parameters(client: FlaskClient, add_blog: Any) -> None:
    first, second = add_blog("One").id, add_blog("Two").id
    response = client.get("/api/v1/blogs?limit=1&endpoint=x&_anchor=top&_external=0&other=1")
    assert response.status_code == 200
    assert response.json["next"] == f"http://localhost/api/v1/blogs?limit=1&cursor={first}"
    assert [blog["id"] for blog in client.get(response.json["next"]).json["items"]] == [second]


@pytest.fixture
def timeline(add_blog: Any, add_entry: Any) -> dict[str, Any]:
    """Two blogs, eight entries; three of them share one publication time, so ids break the tie."""
    python = add_blog("Python", tags=["python"])
    rust = add_blog("Rust", tags=["rust"])
    same = JAN + dt.timedelta(days=3)
    entries = [
        add_entry(python, "p1", published_at=JAN + dt.timedelta(days=1)),
        add_entry(rust, "r1", published_at=JAN + dt.timedelta(days=2)),
        add_entry(python, "p2", published_at=same),
        add_entry(rust, "r2", published_at=same),
        add_entry(python, "p3", published_at=same),
        add_entry(rust, "r3", published_at=JAN + dt.timedelta(days=4)),
        add_entry(python, "p4", published_at=JAN + dt.timedelta(days=5)),
        add_entry(rust, "r4", published_at=JAN),
    ]
    return {"python": python, "rust": rust, "entries": entries}


def _newest_first(entries: list[Any]) -> list[int]:
    return [e.id for e in sorted(entries, key=lambda e: (e.published_at, e.id), reverse=True)]


def _all_pages(client: FlaskClient, url: str) -> tuple[list[int], int]:
    ids: list[int] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        body = client.get(next_url).json
        ids.extend(entry["id"] for entry in body["items"])
        next_url = body["next"]
        pages += 1
    return ids, pages


def test_entries_newest_first(client: FlaskClient, timeline: dict[str, Any]) -> None:
    body = client.get("/api/v1/entries").json
    titles = [entry["title"] for entry in body["items"]]
    assert titles == ["p4", "r3", "p3", "r2", "p2", "r1", "p1", "r4"]
    assert body["next"] is None


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8, 9])
def test_entry_pages_have_no_gaps_or_repeats(
    client: FlaskClient, timeline: dict[str, Any], limit: int
) -> None:
    ids, pages = _all_pages(client, f"/api/v1/entries?limit={limit}")
    assert ids == _newest_first(timeline["entries"])
    assert pages == max(1, -(-8 // limit))


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("blog={python}", ["p4", "p3", "p2", "p1"]),
        ("tag=rust", ["r3", "r2", "r1", "r4"]),
        ("since=2026-01-04T00:00:00Z", ["p4", "r3", "p3", "r2", "p2"]),
        ("since=2026-01-04T01:00:00%2B01:00", ["p4", "r3", "p3", "r2", "p2"]),
        ("since=2026-01-04T00:00:01Z", ["p4", "r3"]),
        ("tag=python&since=2026-01-03T00:00:00Z", ["p4", "p3", "p2"]),
        ("blog={rust}&tag=python", []),
        ("blog=999999", []),
        ("since=2030-01-01T00:00:00Z", []),
    ],
)
def test_entry_filters(client: FlaskClient, timeline: dict[str, Any], query: str, titles: list[str]) -> None:
    query = query.format(python=timeline["python"].id, rust=timeline["rust"].id)
    body = client.get(f"/api/v1/entries?{query}").json
    assert [entry["title"] for entry in body["items"]] == titles
    assert body["next"] is None


def test_entry_filters_carry_over_to_next_pages(client: FlaskClient, timeline: dict[str, Any]) -> None:
    python = timeline["python"]
    first = client.get(f"/api/v1/entries?blog={python.id}&since=2026-01-02T00:00:00Z&limit=2").json
    assert [entry["title"] for entry in first["items"]] == ["p4", "p3"]
    assert first["next"].startswith(
        f"http://localhost/api/v1/entries?blog={python.id}&since=2026-01-02T00:00:00Z&limit=2&cursor="
    )
    second = client.get(first["next"]).json
    assert [entry["title"] for entry in second["items"]] == ["p2", "p1"]
    assert second["next"] is None


def test_entries_of_a_tag_page_by_page(client: FlaskClient, timeline: dict[str, Any]) -> None:
    rust = [entry for entry in timeline["entries"] if entry.blog_id == timeline["rust"].id]
    ids, pages = _all_pages(client, "/api/v1/entries?tag=rust&limit=1")
    assert ids == _newest_first(rust)
    assert pages == 4


def test_times_are_utc_with_z(client: FlaskClient, add_blog: Any, add_entry: Any) -> None:
    blog = add_blog()
    add_entry(blog, published_at=dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))))
    entry = client.get("/api/v1/entries").json["items"][0]
    assert entry["published_at"] == "2026-07-01T04:30:00Z"
    listed = client.get("/api/v1/blogs").json["items"][0]
    for stamp in (listed["created_at"], listed["updated_at"], listed["fetch"]["next_fetch_at"]):
        assert stamp.endswith("Z")
        assert dt.datetime.fromisoformat(stamp).utcoffset() == dt.timedelta(0)


def test_reads_need_no_token(client: FlaskClient, add_blog: Any, add_entry: Any) -> None:
    blog = add_blog()
    entry = add_entry(blog)
    for url in (
        "/api/v1/",
        "/api/v1/blogs",
        f"/api/v1/blogs/{blog.id}",
        "/api/v1/entries",
        f"/api/v1/entries/{entry.id}",
        "/api/v1/openapi.json",
        "/api/v1/docs",
        "/blogroll.opml",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/blogs", "/api/v1/blogs/{id}", "/api/v1/entries"])
def test_the_proxy_may_keep_a_read_until_the_current_second_ends(
    client: FlaskClient, add_blog: Any, path: str
) -> None:
    """nginx's X-Accel-Expires "@<epoch second>": the proxy's micro-cache keeps the answer to the end
    of the second it was made in (nginx never forwards the header to clients)."""
    blog = add_blog("Example")
    before = int(time.time())
    response = client.get(path.format(id=blog.id))
    after = int(time.time())

    assert response.status_code == 200
    assert before <= int(response.headers["X-Accel-Expires"].removeprefix("@")) <= after


def test_errors_and_writes_are_not_kept_by_the_proxy(client: FlaskClient, auth: dict[str, str]) -> None:
    missing = client.get("/api/v1/blogs/987654")
    created = client.post(
        "/api/v1/blogs", json={"name": "New", "feed_url": "https://example.org/new.xml"}, headers=auth
    )
    invalid = client.get("/api/v1/entries?limit=0")

    assert (missing.status_code, created.status_code, invalid.status_code) == (404, 201, 422)
    for response in (missing, created, invalid):
        assert "X-Accel-Expires" not in response.headers
