"""`GET /feed.atom`: the latest entries of every blog, as an Atom feed any feed reader can follow."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import feedparser
from defusedxml.ElementTree import fromstring
from flask.testing import FlaskClient

ATOM = "{http://www.w3.org/2005/Atom}"


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 1, hour, minute, tzinfo=dt.UTC)


def get_feed(client: FlaskClient) -> Any:
    response = client.get("/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_atom_feed_describes_the_blogroll(client: FlaskClient) -> None:
    feed = get_feed(client).feed
    assert feed.title == "Blogroll"
    assert feed.subtitle == "Hello from the tests!"
    assert feed.id == "http://localhost/feed.atom"
    assert [(link.rel, link.href, link.type) for link in feed.links] == [
        ("self", "http://localhost/feed.atom", "application/atom+xml"),
        ("alternate", "http://localhost/", "text/html"),
        ("blogroll", "http://localhost/blogroll.opml", "text/xml"),
    ]
    assert feed.generator == "Blogroll"


def test_atom_feed_lists_the_latest_entries_newest_first(
    client: FlaskClient, add_blog: Any, add_entry: Any
) -> None:
    alpha = add_blog("Alpha", site_url="https://alpha.example/", feed_url="https://alpha.example/feed")
    beta = add_blog("Beta", site_url="https://beta.example/", feed_url="https://beta.example/feed")
    first = add_entry(
        alpha,
        "Alpha's first",
        link="https://alpha.example/1",
        author="Ann",
        summary="<p>Hello <em>world</em></p>",
        published_at=at(9),
        fetched_at=at(12),
    )
    only = add_entry(
        beta, "Beta's only", link="https://beta.example/only", published_at=at(11), fetched_at=at(12)
    )
    second = add_entry(
        alpha, "Alpha's second", link="https://alpha.example/2", published_at=at(10), fetched_at=at(13)
    )

    feed = get_feed(client)

    assert feed.feed.updated == "2026-03-01T13:00:00Z"
    assert [entry.title for entry in feed.entries] == ["Beta's only", "Alpha's second", "Alpha's first"]
    assert [entry.link for entry in feed.entries] == [
        "https://beta.example/only",
        "https://alpha.example/2",
        "https://alpha.example/1",
    ]
    assert [entry.id for entry in feed.entries] == [
        f"http://localhost/api/v1/entries/{only.id}",
        f"http://localhost/api/v1/entries/{second.id}",
        f"http://localhost/api/v1/entries/{first.id}",
    ]
    assert [entry.published for entry in feed.entries] == [
        "2026-03-01T11:00:00Z",
        "2026-03-01T10:00:00Z",
        "2026-03-01T09:00:00Z",
    ]
    assert [entry.updated for entry in feed.entries] == [entry.published for entry in feed.entries]
    assert feed.entries[0].published_parsed == time.struct_time((2026, 3, 1, 11, 0, 0, 6, 60, 0))
    # An entry without an author is credited to its blog.
    assert [entry.author for entry in feed.entries] == ["Beta", "Alpha", "Ann"]
    assert [entry.source.title for entry in feed.entries] == ["Beta", "Alpha", "Alpha"]
    assert [entry.source.id for entry in feed.entries] == [
        "https://beta.example/feed",
        "https://alpha.example/feed",
        "https://alpha.example/feed",
    ]
    assert feed.entries[2].summary == "<p>Hello <em>world</em></p>"
    assert feed.entries[2].summary_detail.type == "text/html"


def test_atom_feed_holds_at_most_50_entries(client: FlaskClient, add_blog: Any, add_entry: Any) -> None:
    blog = add_blog("Prolific")
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for number in range(1, 52):
        add_entry(blog, f"Post {number}", published_at=start + dt.timedelta(minutes=number))

    titles = [entry.title for entry in get_feed(client).entries]

    assert titles == [f"Post {number}" for number in range(51, 1, -1)]


def test_every_atom_entry_has_the_elements_rfc_4287_requires(
    client: FlaskClient, add_blog: Any, add_entry: Any
) -> None:
    """id, title, updated, an author, and (without content) an alternate link, even when a feed gave none."""
    blog = add_blog("Alpha")
    linked = add_entry(blog, "Linked", link="https://alpha.example/post", published_at=at(10))
    unlinked = add_entry(blog, "", link=None, published_at=at(9))
    scripted = add_entry(blog, "Scripted", link="javascript:alert(1)", published_at=at(8))

    root = fromstring(client.get("/feed.atom").data)

    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    for entry in entries:
        for required in ("id", "title", "updated", "author/" + ATOM + "name"):
            assert entry.find(ATOM + required) is not None, required
    alternates = [entry.find(f"{ATOM}link[@rel='alternate']") for entry in entries]
    assert [link.get("href") for link in alternates if link is not None] == [
        "https://alpha.example/post",
        f"http://localhost/blogs/{blog.id}",
        f"http://localhost/blogs/{blog.id}",
    ]
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Linked", "(untitled)", "Scripted"]
    assert linked.id != unlinked.id != scripted.id


def test_atom_feed_keeps_markup_in_titles_as_text(client: FlaskClient, add_blog: Any, add_entry: Any) -> None:
    blog = add_blog("Tom & Jerry <3")
    add_entry(blog, '<script>alert("x")</script> & more', published_at=at(9))

    response = client.get("/feed.atom")

    assert b"<script>" not in response.data
    root = fromstring(response.data)
    assert root.findtext(f"{ATOM}entry/{ATOM}title") == '<script>alert("x")</script> & more'
    assert root.findtext(f"{ATOM}entry/{ATOM}source/{ATOM}title") == "Tom & Jerry <3"


def test_atom_feed_of_an_empty_blogroll_is_still_a_feed(client: FlaskClient) -> None:
    feed = get_feed(client)
    assert feed.entries == []
    assert feed.feed.updated == "2000-01-01T00:00:00Z"


def test_characters_xml_cannot_hold_are_left_out(client: FlaskClient, add_blog: Any, add_entry: Any) -> None:
    """Feeds can carry control characters; a single one would make the whole Atom feed unreadable."""
    blog = add_blog("Bell\x07 Labs")
    add_entry(blog, "Ring\x0b the bell", author="Ann\x1b", published_at=at(9))

    feed = get_feed(client)

    assert feed.entries[0].title == "Ring the bell"
    assert feed.entries[0].author == "Ann"
    assert feed.entries[0].source.title == "Bell Labs"


def test_an_unchanged_atom_feed_is_a_304(client: FlaskClient, add_blog: Any, add_entry: Any) -> None:
    """Feed readers poll often; they send back the ETag and get no body while nothing changed."""
    blog = add_blog("Alpha")
    add_entry(blog, "First", published_at=at(9))
    etag = client.get("/feed.atom").headers["ETag"]

    unchanged = client.get("/feed.atom", headers={"If-None-Match": etag})
    add_entry(blog, "Second", published_at=at(10))
    changed = client.get("/feed.atom", headers={"If-None-Match": etag})

    assert unchanged.status_code == 304
    assert unchanged.data == b""
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert [entry.title for entry in feedparser.parse(changed.data).entries] == ["Second", "First"]
