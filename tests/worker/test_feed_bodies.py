"""Feed bodies real servers send: empty ones, UTF-16 and UTF-32 with byte-order marks, legacy encodings
nobody declared, and web pages given as the feed. Each is read right, or refused with a `last_error`
that says what is wrong."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from blogroll import create_app
from blogroll.storage.db import get_database
from tests.helpers.feed_server import FeedServer, Reply

from .feeds import RSS20, WORLD, rss_in
from .harness import Harness

FIXTURES = Path(__file__).parent.parent / "fixtures" / "feeds"
TEXT_XML = {"Content-Type": "text/xml"}


def assert_refused(harness: Harness, blog_id: int, error: str) -> None:
    blog = harness.blog(blog_id)
    assert (blog.last_status, blog.last_error, blog.consecutive_errors) == (200, error, 1)
    assert blog.claimed_until is None
    assert harness.entries(blog_id) == []


@pytest.mark.parametrize("body", [b"", b" \r\n\t ", codecs.BOM_UTF8, codecs.BOM_UTF16_LE])
def test_an_empty_body_is_refused_as_an_empty_feed(
    harness: Harness, feed_server: FeedServer, body: bytes
) -> None:
    blog_id = harness.add_blog(feed_server.route("/empty.xml", Reply(body=body, headers=TEXT_XML)))

    report = harness.fetch()

    assert report.count("failed") == 1
    assert_refused(harness, blog_id, "the feed is empty: the server answered with no content")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(rss_in("utf-16", declare=True), id="utf-16-le-bom-declared"),
        pytest.param(rss_in("utf-16"), id="utf-16-le-bom"),
        pytest.param(codecs.BOM_UTF16_BE + rss_in("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(rss_in("utf-32", declare=True), id="utf-32-le-bom-declared"),
        pytest.param(codecs.BOM_UTF32_BE + rss_in("utf-32-be"), id="utf-32-be-bom"),
        pytest.param(codecs.BOM_UTF8 + rss_in("utf-8"), id="utf-8-bom"),
        pytest.param(rss_in("utf-16-le"), id="utf-16-le-nul-bytes-no-bom"),
    ],
)
def test_a_byte_order_mark_wins_over_text_xml_without_a_charset(
    harness: Harness, feed_server: FeedServer, body: bytes
) -> None:
    # RFC 3023 made text/xml without a charset US-ASCII; feedparser follows it and read nothing here.
    blog_id = harness.add_blog(feed_server.route("/wide.xml", Reply(body=body, headers=TEXT_XML)))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    assert (entry.guid, entry.title, entry.summary) == ("encoded-1", WORLD, WORLD)
    assert harness.blog(blog_id).last_error is None


def test_a_byte_order_mark_wins_over_a_wrong_charset(harness: Harness, feed_server: FeedServer) -> None:
    reply = Reply(
        body=rss_in("utf-16", declare=True), headers={"Content-Type": "text/xml; charset=iso-8859-1"}
    )
    blog_id = harness.add_blog(feed_server.route("/lying.xml", reply))

    harness.fetch()

    assert [entry.title for entry in harness.entries(blog_id)] == [WORLD]


@pytest.mark.parametrize("name", ["feedparser-utf-16le-bom.xml", "feedparser-utf-32be-bom.xml"])
def test_feedparsers_own_byte_order_mark_samples_are_feeds(
    harness: Harness, feed_server: FeedServer, name: str
) -> None:
    """feedparser's test files (tests/fixtures/feeds/README.md): an empty RSS channel each, which
    feedparser itself only reads when it is not told `text/xml`."""
    body = (FIXTURES / name).read_bytes()
    blog_id = harness.add_blog(feed_server.route(f"/{name}", Reply(body=body, headers=TEXT_XML)))

    report = harness.fetch()

    assert report.count("failed") == 0
    blog = harness.blog(blog_id)
    assert (blog.last_status, blog.last_error) == (200, None)


LEGACY = [
    ("cp1252", "Crème brûlée à Zürich : déjà vu, voilà qui est fâcheux pour l'été"),
    ("cp1251", "Привет, мир! Сегодня хорошая погода, и мы пишем новый пост в блог."),
    ("koi8-r", "Привет, мир! Сегодня хорошая погода, и мы пишем новый пост в блог."),
    ("shift_jis", "こんにちは世界、今日はいい天気ですね。新しい記事を書きました。"),
    ("gb18030", "你好，世界。今天天气很好，我们写了一篇新的博客文章。"),  # noqa: RUF001 (Chinese commas)
]


@pytest.mark.parametrize(("encoding", "title"), LEGACY, ids=[encoding for encoding, _ in LEGACY])
def test_legacy_encodings_nobody_declared_are_detected(
    harness: Harness, feed_server: FeedServer, encoding: str, title: str
) -> None:
    body = rss_in(encoding, title=title)
    blog_id = harness.add_blog(feed_server.route("/legacy.xml", Reply(body=body, headers=TEXT_XML)))

    harness.fetch()

    [entry] = harness.entries(blog_id)
    assert (entry.title, entry.summary) == (title, title)


def test_a_declared_encoding_is_still_believed_over_a_guess(
    harness: Harness, feed_server: FeedServer
) -> None:
    # Bytes that are valid in both: only the declaration says they are KOI8-R, not windows-1251.
    title = "Привет"
    body = rss_in("koi8-r", declare=True, title=title)
    blog_id = harness.add_blog(feed_server.route("/declared.xml", Reply(body=body, headers=TEXT_XML)))

    harness.fetch()

    assert [entry.title for entry in harness.entries(blog_id)] == [title]


def test_a_web_page_given_as_the_feed_names_the_feed_it_links(
    harness: Harness, feed_server: FeedServer
) -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>Home</title>"
        b'<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed/">'
        b'<link rel="alternate" type="application/feed+json" href="/feed.json">'
        b'<link rel="alternate" type="application/rss+xml" href="feed/">'
        b"</head><body><p>Hello</p></body></html>"
    )
    url = feed_server.route("/blog/", Reply(body=page, headers={"Content-Type": "text/html; charset=utf-8"}))
    blog_id = harness.add_blog(url)

    harness.fetch()

    assert_refused(
        harness,
        blog_id,
        f"not a feed: {url} is a web page (HTML); the feed it links is {feed_server.url('/blog/feed/')}, "
        "make that the blog's feed address",
    )


def test_a_web_page_that_links_no_feed_says_so(harness: Harness, feed_server: FeedServer) -> None:
    # Served without a type at all, and in XHTML's clothes: it is still seen to be a page.
    page = (
        b'<?xml version="1.0"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'
    )
    url = feed_server.route("/page", Reply(body=page))
    blog_id = harness.add_blog(url)

    harness.fetch()

    assert_refused(harness, blog_id, f"not a feed: {url} is a web page (HTML), and it links no feed")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(RSS20, id="declared"),
        pytest.param(b"<!-- generated by hand -->\n" + RSS20.split(b"?>", 1)[1], id="comment-first"),
        pytest.param(rss_in("utf-16"), id="utf-16"),
    ],
)
def test_a_feed_served_as_text_html_is_still_read(
    harness: Harness, feed_server: FeedServer, body: bytes
) -> None:
    reply = Reply(body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    blog_id = harness.add_blog(feed_server.route("/misconfigured", reply))

    harness.fetch()

    assert harness.blog(blog_id).last_error is None
    assert harness.entries(blog_id) != []


def test_the_refusal_is_what_the_api_shows(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/empty", Reply(body=b"")))
    harness.fetch()
    app = create_app(harness.settings)

    try:
        fetch = app.test_client().get(f"/api/v1/blogs/{blog_id}").json["fetch"]
    finally:
        get_database(app).engine.dispose()

    assert (fetch["last_status"], fetch["last_error"], fetch["consecutive_errors"]) == (
        200,
        "the feed is empty: the server answered with no content",
        1,
    )
