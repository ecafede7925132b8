"""Every kind of feed the worker meets, and exactly what it stores from each."""

from __future__ import annotations

import datetime as dt

from blogroll.storage.entries import guid_hash
from blogroll.storage.models import utcnow
from tests.helpers.feed_server import FeedServer, Reply

from .feeds import (
    ATOM,
    ATOM_TYPE,
    ATOM_XML_BASE,
    CYRILLIC,
    DUPLICATE_GUIDS,
    LATIN1,
    MISSING_GUIDS,
    NOT_A_FEED,
    RELATIVE_LINKS,
    RSS10,
    RSS20,
    RSS_TYPE,
    UNDATED_AND_FUTURE,
    UNDEFINED_ENTITY,
    UNSAFE_HTML,
    rss,
)
from .harness import Harness


def utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def test_rss20_entries_and_fetch_state_are_stored(harness: Harness, feed_server: FeedServer) -> None:
    headers = {**RSS_TYPE, "ETag": '"v1"', "Last-Modified": "Tue, 06 Jan 2026 10:00:00 GMT"}
    blog_id = harness.add_blog(feed_server.route("/rss.xml", Reply(body=RSS20, headers=headers)))
    created = harness.blog(blog_id)
    before = utcnow()

    report = harness.fetch()

    after = utcnow()
    assert report.summary() == "Fetched 1 blog(s): 2 new entries, 0 updated, 0 not modified, 0 failed."
    second, first = harness.entries(blog_id)
    assert (second.guid, second.title, second.link) == (
        "post-2",
        "Second post",
        "https://blog.example.org/posts/2",
    )
    assert second.guid_hash == guid_hash("post-2")
    assert second.author == "ada@example.org (Ada)"
    assert second.summary == "<p>The <em>second</em> one.</p>"
    assert second.published_at == utc(2026, 1, 6, 10, 0)
    assert (first.guid, first.title, first.summary) == ("post-1", "First post", "Hello, world.")
    assert first.published_at == utc(2026, 1, 5, 8, 30)

    blog = harness.blog(blog_id)
    assert blog.last_status == 200
    assert blog.etag == '"v1"'
    assert blog.last_modified == "Tue, 06 Jan 2026 10:00:00 GMT"
    assert blog.consecutive_errors == 0
    assert blog.last_error is None
    assert blog.claimed_until is None
    assert blog.enabled is True
    assert blog.last_fetched_at is not None
    assert before.replace(microsecond=0) <= blog.last_fetched_at <= after
    interval = dt.timedelta(seconds=harness.settings.fetch_interval)
    assert before + interval * 0.9 - dt.timedelta(seconds=1) <= blog.next_fetch_at <= after + interval * 1.1
    # Fetching is bookkeeping, not an edit of the blog.
    assert blog.updated_at == created.updated_at


def test_rss10_is_read(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/rdf.xml", Reply(body=RSS10)))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    assert entry.guid == "https://rdf.example.org/notes/1"
    assert entry.title == "A note in RDF"
    assert entry.link == "https://rdf.example.org/notes/1"
    assert entry.author == "Grace"
    assert entry.summary == "Written in RSS 1.0."
    assert entry.published_at == utc(2026, 1, 7, 8, 0)
    assert harness.blog(blog_id).last_status == 200


def test_atom_is_read_with_html_titles_as_text(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/atom.xml", Reply(body=ATOM, headers=ATOM_TYPE)))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    assert entry.guid == "tag:atom.example.org,2026:1"
    assert entry.title == "Atom rocks & rolls"
    assert entry.link == "https://atom.example.org/2026/atom-rocks"
    assert entry.author == "Linus"
    assert entry.summary == "<p>Full <strong>content</strong>.</p>"
    assert entry.published_at == utc(2026, 1, 8, 11, 0)


def test_entry_html_is_sanitized_before_it_is_stored(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/unsafe.xml", Reply(body=UNSAFE_HTML)))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    summary = entry.summary
    for dangerous in ("<script", "alert(1)", "onclick", "onerror", "javascript:", "style=", "<iframe"):
        assert dangerous not in summary
    assert '<a href="https://safe.example.org/" rel="noopener noreferrer nofollow">safe</a>' in summary
    assert '<img src="https://safe.example.org/cat.png">' in summary
    assert summary.startswith("<p>Hi")


def test_relative_links_are_resolved_against_the_feed(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/blog/feed/rss.xml", Reply(body=RELATIVE_LINKS)))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    assert entry.link == feed_server.url("/posts/relative")
    assert f'href="{feed_server.url("/blog/about")}"' in entry.summary
    assert f'src="{feed_server.url("/blog/feed/img/cat.png")}"' in entry.summary


def test_atom_xml_base_is_honoured(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/based.xml", Reply(body=ATOM_XML_BASE)))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    assert entry.link == "https://base.example.org/journal/entries/1"
    assert 'href="https://base.example.org/photos/"' in entry.summary


def test_entries_without_guid_fall_back_to_link_then_title_and_date(
    harness: Harness, feed_server: FeedServer
) -> None:
    blog_id = harness.add_blog(feed_server.route("/noguid.xml", Reply(body=MISSING_GUIDS)))

    harness.fetch()
    harness.fetch(blog_id)

    entries = harness.entries(blog_id)
    assert len(entries) == 3, "a second fetch must not duplicate anything"
    guids = {entry.title: entry.guid for entry in entries}
    assert guids["Only a link"] == "https://noguid.example.org/a"
    assert guids["Only a title and a date"].startswith("sha256:")
    assert guids["Only a title"].startswith("sha256:")
    assert guids["Only a title and a date"] != guids["Only a title"]


def test_iso_8859_1_declared_in_the_xml_is_decoded(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/latin1.xml", Reply(body=LATIN1)))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    assert entry.title == "Café à Zürich"
    assert entry.summary == "Crème brûlée"


def test_charset_from_the_http_header_is_decoded(harness: Harness, feed_server: FeedServer) -> None:
    reply = Reply(body=CYRILLIC, headers={"Content-Type": "application/rss+xml; charset=windows-1251"})
    blog_id = harness.add_blog(feed_server.route("/cp1251.xml", reply))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    assert entry.title == "Привет, мир"


def test_slightly_malformed_xml_is_still_read(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/sloppy.xml", Reply(body=UNDEFINED_ENTITY)))

    harness.fetch()

    assert sorted(entry.title for entry in harness.entries(blog_id)) == ["Fish chips", "Unclosed"]
    assert harness.blog(blog_id).last_error is None


def test_a_page_that_is_not_a_feed_is_an_error(harness: Harness, feed_server: FeedServer) -> None:
    reply = Reply(body=NOT_A_FEED, headers={"Content-Type": "text/html"})
    blog_id = harness.add_blog(feed_server.route("/index.html", reply))

    report = harness.fetch()

    assert report.count("failed") == 1
    assert harness.entries(blog_id) == []
    blog = harness.blog(blog_id)
    assert blog.last_status == 200
    assert blog.last_error is not None
    assert blog.last_error.startswith("not a feed")
    assert blog.consecutive_errors == 1
    assert blog.claimed_until is None


def test_undated_entries_get_the_fetch_time_and_future_dates_are_clamped(
    harness: Harness, feed_server: FeedServer
) -> None:
    blog_id = harness.add_blog(feed_server.route("/dates.xml", Reply(body=UNDATED_AND_FUTURE)))
    before = utcnow().replace(microsecond=0)

    harness.fetch()

    after = utcnow()
    entries = harness.entries(blog_id)
    assert {entry.guid for entry in entries} == {"undated", "future"}
    for entry in entries:
        assert before <= entry.published_at <= after
    first_seen = {entry.guid: entry.published_at for entry in entries}

    harness.fetch(blog_id)

    again = {entry.guid: entry.published_at for entry in harness.entries(blog_id)}
    assert again == first_seen, "an entry keeps the date it was first seen with"


def test_changed_entries_are_updated_not_duplicated(harness: Harness, feed_server: FeedServer) -> None:
    feed = {"body": rss(("a", "Draft title"), ("b", "Unchanged"))}
    url = feed_server.route("/changing.xml", lambda _headers: Reply(body=feed["body"]))
    blog_id = harness.add_blog(url)
    harness.fetch()
    feed["body"] = rss(("a", "Final title"), ("b", "Unchanged"), ("c", "Brand new"))

    report = harness.fetch(blog_id)

    assert (report.new, report.updated) == (1, 1)
    titles = sorted(entry.title for entry in harness.entries(blog_id))
    assert titles == ["Brand new", "Final title", "Unchanged"]


def test_a_guid_repeated_within_a_feed_is_stored_once(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/twice.xml", Reply(body=DUPLICATE_GUIDS)))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    assert entry.title == "Newer copy"
