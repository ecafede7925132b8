"""JSON Feed (1.1 and 1.0) in the worker: read with the same guids, dates, sanitizing and limits as RSS
and Atom, end to end through the fixture feed server; and refused clearly when it is not one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from blogroll.discovery import discover
from blogroll.storage.models import utcnow
from tests.helpers.feed_server import FeedServer, Reply

from .feeds import JSON_FEED_10, JSON_FEED_11, JSON_FEED_TYPE
from .harness import Harness

FIXTURES = Path(__file__).parent.parent / "fixtures" / "feeds"


@pytest.fixture(autouse=True)
def keep_old_entries(harness: Harness) -> None:
    """The spec's examples and the real feeds are from 2017: keep entries however old they are."""
    harness.configure(entry_retention_days=0)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def assert_refused(harness: Harness, blog_id: int, error: str) -> None:
    blog = harness.blog(blog_id)
    assert (blog.last_status, blog.last_error, blog.consecutive_errors) == (200, error, 1)
    assert harness.entries(blog_id) == []


def test_json_feed_11_entries_are_stored_like_rss_ones(harness: Harness, feed_server: FeedServer) -> None:
    url = feed_server.route("/feed.json", Reply(body=JSON_FEED_11, headers=JSON_FEED_TYPE))
    blog_id = harness.add_blog(url)
    before = utcnow().replace(microsecond=0)

    report = harness.fetch()

    after = utcnow()
    assert report.summary() == "Fetched 1 blog(s): 5 new entries, 0 updated, 0 not modified, 0 failed."
    entries = {entry.guid: entry for entry in harness.entries(blog_id)}
    assert set(entries) == {
        "https://json.example.org/2026/second",
        "first",
        "42",
        "https://json.example.org/no-id",
        "future",
    }
    second = entries["https://json.example.org/2026/second"]
    assert (second.title, second.link, second.author) == (
        "Second <post>",
        "https://json.example.org/2026/second",
        "Ada, Grace",
    )
    assert second.summary == (
        f'<p>Hi <a href="{feed_server.url("/about")}" rel="noopener noreferrer nofollow">about</a> '
        f'<img src="{feed_server.url("/cat.png")}"></p>'
    )
    assert second.published_at == utc(2026, 1, 8, 10)
    first = entries["first"]
    # No title, plain-text content, only a modification date, the feed's authors.
    assert (first.title, first.summary, first.author) == (
        "",
        "Plain &lt;text&gt;<br>on two lines",
        "The Team",
    )
    assert first.published_at == utc(2026, 1, 7, 9)
    assert (entries["42"].summary, entries["42"].link) == ("Only a summary.", None)
    assert entries["https://json.example.org/no-id"].title == "No id"
    for undated in ("42", "future"):
        assert before <= entries[undated].published_at <= after
    blog = harness.blog(blog_id)
    assert (blog.last_status, blog.last_error) == (200, None)


def test_a_second_fetch_updates_json_entries_without_duplicating_them(
    harness: Harness, feed_server: FeedServer
) -> None:
    document = json.loads(JSON_FEED_11)
    feed = {"body": JSON_FEED_11}
    blog_id = harness.add_blog(feed_server.route("/feed.json", lambda _headers: Reply(body=feed["body"])))
    harness.fetch()
    document["items"][0]["title"] = "Second post, edited"
    feed["body"] = json.dumps(document).encode()

    report = harness.fetch(blog_id)

    assert (report.new, report.updated) == (0, 1)
    assert len(harness.entries(blog_id)) == 5
    assert "Second post, edited" in {entry.title for entry in harness.entries(blog_id)}


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_json_feed_10_is_read_whatever_type_it_is_served_as(
    harness: Harness, feed_server: FeedServer, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    blog_id = harness.add_blog(feed_server.route("/feed.json", Reply(body=JSON_FEED_10, headers=headers)))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    assert (entry.guid, entry.title, entry.author, entry.summary) == ("1", "One", "Brent", "<p>One</p>")
    assert entry.published_at == utc(2017, 5, 17, 15, 2, 12)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            b'{"version": "https://jsonfeed.org/version/1.1", "items": [}',
            "not a feed: the JSON is malformed (Expecting value: line 1 column 59 (char 58))",
            id="malformed",
        ),
        pytest.param(
            b'{"data": [1, 2, 3]}',
            "not a feed: JSON, but not a JSON Feed (no version https://jsonfeed.org/version/1.1)",
            id="other-json",
        ),
        pytest.param(
            b"[1, 2, 3]",
            "not a feed: JSON, but not a JSON Feed (no version https://jsonfeed.org/version/1.1)",
            id="an-array",
        ),
        pytest.param(
            b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": {"id": "1"}}',
            "not a feed: a JSON Feed needs a list of items",
            id="items-not-a-list",
        ),
        pytest.param(b"[" * 60_000, "not a feed: the JSON is nested too deeply", id="nested"),
    ],
)
def test_json_that_is_not_a_json_feed_is_refused_clearly(
    harness: Harness, feed_server: FeedServer, body: bytes, error: str
) -> None:
    blog_id = harness.add_blog(feed_server.route("/feed.json", Reply(body=body, headers=JSON_FEED_TYPE)))

    report = harness.fetch()

    assert report.count("failed") == 1
    assert_refused(harness, blog_id, error)


def test_a_json_feed_over_the_size_limit_is_cut(harness: Harness, feed_server: FeedServer) -> None:
    items = [{"id": str(number), "content_text": "x" * 1000} for number in range(100)]
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Big", "items": items})
    blog_id = harness.add_blog(
        feed_server.route("/big.json", Reply(body=body.encode(), headers=JSON_FEED_TYPE))
    )

    harness.fetch()

    assert_refused(harness, blog_id, "feed is larger than 65536 bytes")


def test_long_json_fields_are_cut_to_fit_like_rss_ones(harness: Harness, feed_server: FeedServer) -> None:
    item = {
        "id": "long",
        "url": "https://json.example.org/" + "a" * 3000,
        "title": "T",
        "content_text": "x",
        "authors": [{"name": "N" * 600}],
    }
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Long", "items": [item]})
    blog_id = harness.add_blog(feed_server.route("/long.json", Reply(body=body.encode())))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    assert entry.link is None, "a link longer than the column is dropped, as for RSS"
    assert entry.author == "N" * 500


def test_real_json_feeds_are_read(harness: Harness, feed_server: FeedServer) -> None:
    """Feeds captured from jsonfeed.org and manton.org, and feedparser's JSON test file
    (tests/fixtures/feeds/README.md)."""
    ids = {}
    for name in ("jsonfeed.org.json", "manton.org.json", "feedparser-example.json"):
        body = (FIXTURES / name).read_bytes()
        ids[name] = harness.add_blog(feed_server.route(f"/{name}", Reply(body=body, headers=JSON_FEED_TYPE)))

    report = harness.fetch()

    assert report.count("failed") == 0
    [announcement] = harness.entries(ids["jsonfeed.org.json"])
    assert announcement.title == "Announcing JSON Feed"
    assert announcement.author == "Brent Simmons and Manton Reece"
    assert announcement.published_at == utc(2017, 5, 17, 15, 2, 12)
    manton = harness.entries(ids["manton.org.json"])
    assert len(manton) == 10
    assert sum(1 for entry in manton if not entry.title) == 7, "microblog posts have no titles"
    assert manton[0].published_at == utc(2017, 5, 25, 15, 40, 25)
    assert manton[0].link == "https://www.manton.org/2017/05/5177.html"
    sample = {entry.guid: entry for entry in harness.entries(ids["feedparser-example.json"])}
    assert sample["1"].summary == "<p>Hello, world!</p>", "the sample's <script> is removed"
    assert (sample["1"].author, sample["2"].author) == ("you", "me")


def test_a_discovered_json_feed_then_fetches_fine(harness: Harness, feed_server: FeedServer) -> None:
    feed_server.route("/feed.json", Reply(body=JSON_FEED_11, headers=JSON_FEED_TYPE))
    page = b'<html><head><link rel="alternate" type="application/feed+json" href="/feed.json"></head></html>'
    site = feed_server.route("/", Reply(body=page, headers={"Content-Type": "text/html"}))

    found = discover(site, harness.settings)
    blog_id = harness.add_blog(found.feed_url, name=found.name)
    report = harness.fetch()

    assert (found.feed_url, found.feed_format, found.name) == (
        feed_server.url("/feed.json"),
        "json",
        "A JSON blog",
    )
    # Newest first, the undated ones counting as new (as the store dates them); untitled ones left out.
    assert found.latest_titles == ("A numeric id, no date", "No id", "From the future", "Second <post>")
    assert report.count("failed") == 0
    assert len(harness.entries(blog_id)) == 5
