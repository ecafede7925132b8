"""`GET /feed.json`: the latest entries of every blog as a JSON Feed 1.1, beside the Atom feed, checked
against the JSON Feed 1.1 schema (tests/fixtures/jsonfeed)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask.testing import FlaskClient

from tests.helpers.json_feed_schema import json_feed_errors


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 1, hour, minute, tzinfo=dt.UTC)


def get_json_feed(client: FlaskClient, path: str = "/feed.json") -> Any:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/feed+json"
    document = json.loads(response.data)
    assert json_feed_errors(document) == []
    return document


def test_the_json_feed_describes_the_blogroll(client: FlaskClient) -> None:
    document = get_json_feed(client)

    assert document == {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Blogroll",
        "home_page_url": "http://localhost/",
        "feed_url": "http://localhost/feed.json",
        "description": "Hello from the tests!",
        "items": [],
    }


def test_the_json_feed_lists_the_latest_entries_newest_first(
    client: FlaskClient, add_blog: Any, add_entry: Any
) -> None:
    alpha = add_blog("Alpha", site_url="https://alpha.example/", feed_url="https://alpha.example/feed")
    beta = add_blog("Beta", site_url=None, feed_url="https://beta.example/feed")
    first = add_entry(
        alpha,
        "Alpha's first",
        link="https://alpha.example/1",
        author="Ann",
        summary="<p>Hello <em>world</em></p>",
        published_at=at(9),
    )
    untitled = add_entry(beta, "", link="javascript:alert(1)", published_at=at(11))
    second = add_entry(alpha, "Alpha's <second>", link="https://alpha.example/2", published_at=at(10))

    items = get_json_feed(client)["items"]

    assert items == [
        {
            "id": f"http://localhost/api/v1/entries/{untitled.id}",
            # A link that is not a web address gives way to the blog's page here.
            "url": f"http://localhost/blogs/{beta.id}",
            "content_html": "",
            "date_published": "2026-03-01T11:00:00Z",
            "authors": [{"name": "Beta"}],
        },
        {
            "id": f"http://localhost/api/v1/entries/{second.id}",
            "url": "https://alpha.example/2",
            "title": "Alpha's <second>",
            "content_html": "",
            "date_published": "2026-03-01T10:00:00Z",
            "authors": [{"name": "Alpha", "url": "https://alpha.example/"}],
        },
        {
            "id": f"http://localhost/api/v1/entries/{first.id}",
            "url": "https://alpha.example/1",
            "title": "Alpha's first",
            "content_html": "<p>Hello <em>world</em></p>",
            "date_published": "2026-03-01T09:00:00Z",
            "authors": [{"name": "Ann"}],
        },
    ]


def test_the_json_feed_has_the_same_entries_as_the_atom_feed(
    client: FlaskClient, add_blog: Any, add_entry: Any
) -> None:
    blog = add_blog("Many")
    for number in range(55):
        add_entry(blog, f"Post {number}", published_at=at(0) + dt.timedelta(minutes=number))

    items = get_json_feed(client)["items"]
    atom = client.get("/feed.atom").text

    assert len(items) == 50
    assert [item["title"] for item in items] == [f"Post {number}" for number in range(54, 4, -1)]
    assert all(f"<id>{item['id']}</id>" in atom for item in items)


def test_an_unchanged_json_feed_is_a_304(client: FlaskClient, add_blog: Any, add_entry: Any) -> None:
    blog = add_blog("Alpha")
    add_entry(blog, "First", published_at=at(9))
    first = client.get("/feed.json")
    etag = first.headers["ETag"]

    unchanged = client.get("/feed.json", headers={"If-None-Match": etag})
    add_entry(blog, "Second", published_at=at(10))
    changed = client.get("/feed.json", headers={"If-None-Match": etag})

    assert first.headers["Cache-Control"] == "public, max-age=0, s-maxage=1"
    assert first.headers["X-Accel-Expires"].startswith("@")
    assert etag != client.get("/feed.atom").headers["ETag"], "each document has its own ETag"
    assert (unchanged.status_code, unchanged.data) == (304, b"")
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert [item["title"] for item in json.loads(changed.data)["items"]] == ["Second", "First"]


def test_the_schema_refuses_what_json_feed_11_does_not_allow() -> None:
    """The schema is strict enough to catch the mistakes a feed writer makes."""
    item = {"id": "1", "content_html": "<p>Hi</p>", "date_published": "2026-03-01T09:00:00Z"}
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [item]}
    assert json_feed_errors(feed) == []

    assert json_feed_errors({**feed, "version": "https://jsonfeed.org/version/1"}) != []
    assert json_feed_errors({**feed, "items": [{"id": 1, "content_html": ""}]}) == [
        "items/0/id: 1 is not of type 'string'"
    ]
    assert json_feed_errors({**feed, "items": [{"id": "1"}]}) != []
    assert json_feed_errors({**feed, "items": [{**item, "date_published": "1 March 2026"}]}) == [
        "items/0/date_published: '1 March 2026' is not a 'date-time'"
    ]
    assert json_feed_errors({**feed, "feed_url": "/feed.json"}) == ["feed_url: '/feed.json' is not a 'uri'"]
    assert json_feed_errors({**feed, "authors": [{}]}) != []
    assert json_feed_errors({**feed, "_blogroll": {"about": "x"}}) == []
    assert json_feed_errors({**feed, "extra": 1}) != []
