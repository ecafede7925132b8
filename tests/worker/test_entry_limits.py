"""What an entry may take up: titles one printable line of 500 characters at most, summaries 64 KiB of
sanitized HTML at most, cut between tags; whatever a feed sends, a blog's page stays small."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from blogroll import create_app
from blogroll.sanitize import cut_html, sanitize_html
from blogroll.worker.limits import SUMMARY_BYTES, TITLE_LENGTH, cut_marker, within_limits
from blogroll.worker.parse import ParsedEntry
from tests.helpers.feed_server import FeedServer, Reply

from .feeds import RSS_TYPE
from .harness import Harness

MARKER = (
    '<p><a href="https://huge.example.org/1" title="The rest is on the blog" '
    'rel="noopener noreferrer nofollow">…</a></p>'
)


def entry(title: str = "A post", summary: str = "<p>Hello.</p>", link: str | None = None) -> ParsedEntry:
    return ParsedEntry(guid="g", title=title, link=link, author="", summary=summary, published_at=None)


def test_titles_lose_control_characters() -> None:
    limited = within_limits(entry(title="Tab\there\x00and\x1b[31mred\x7f \ufffe end"))

    assert limited.title == "Tab here and [31mred end"


def test_long_titles_are_cut_at_500_characters() -> None:
    limited = within_limits(entry(title="word " * 300))

    assert len(limited.title) == TITLE_LENGTH
    assert limited.title.endswith("word…")


def test_an_entry_within_the_limits_is_left_as_it_is() -> None:
    given = entry(title="Fine", summary="<p>Short &amp; sweet.</p>")

    assert within_limits(given) is given


def nested(paragraphs: int) -> str:
    body = "".join(
        f'<p>Paragraph {n} <b>bold &amp; <i>italic</i></b><br><img src="https://i.example/{n}.png"></p>'
        for n in range(paragraphs)
    )
    return sanitize_html(f"<div><blockquote>{body}</blockquote><ul><li>last</li></ul></div>")


@pytest.mark.parametrize("limit", [40, 100, 333, 1000, 4096, 65536])
def test_a_cut_is_well_formed_html_within_the_limit(limit: int) -> None:
    html = nested(3000)

    cut = cut_html(html, limit, ending="<p>…</p>")

    assert len(cut.encode()) <= limit
    assert cut.endswith("<p>…</p>")
    assert sanitize_html(cut) == cut, "sanitizing it again changes nothing: no broken tag"
    # Every element opened is closed, and the kept part is the original's beginning.
    kept = cut.removesuffix("<p>…</p>")
    opened = re.findall(r"<(div|blockquote|p|b|i|ul|li)[ >]", kept)
    closed = re.findall(r"</(div|blockquote|p|b|i|ul|li)>", kept)
    assert sorted(opened) == sorted(closed)
    unclosed = re.sub(r"(</[a-z]+>)+$", "", kept)
    assert html.startswith(unclosed)


def test_a_cut_within_text_keeps_whole_characters_and_entities() -> None:
    html = sanitize_html("<p>" + "é &amp; ü " * 10_000 + "</p>")

    for limit in range(50, 90):
        cut = cut_html(html, limit, ending="")
        assert len(cut.encode()) <= limit
        assert re.search(r"&[a-z]*</p>$", cut) is None
        assert cut == sanitize_html(cut)


def test_html_that_fits_is_not_cut() -> None:
    html = nested(3)

    assert cut_html(html, len(html.encode()), ending="<p>…</p>") == html


def test_a_cut_summary_ends_with_a_link_to_the_post() -> None:
    summary = sanitize_html("<p>" + "x" * 100_000 + "</p>")

    limited = within_limits(entry(summary=summary, link="https://huge.example.org/1"))

    assert limited.summary.endswith(MARKER)
    assert len(limited.summary.encode()) <= SUMMARY_BYTES
    assert cut_marker(None) == "<p>…</p>"


def huge_feed(summary_bytes: int) -> bytes:
    summary = ("<p>" + "All work and no play. " * 40 + "</p>\n") * (summary_bytes // 900)
    item = (
        "<item><title>Huge\x01 post</title><link>https://huge.example.org/1</link><guid>huge-1</guid>"
        "<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>"
        f"<description><![CDATA[{summary}]]></description></item>"
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>{item}</channel></rss>'.encode()
    )


def test_a_5_mb_summary_is_stored_cut_and_the_page_stays_small(
    harness: Harness, feed_server: FeedServer
) -> None:
    body = huge_feed(5 * 1024 * 1024)
    assert len(body) > 5_000_000
    harness.configure(max_feed_bytes=8 * 1024 * 1024)
    blog_id = harness.add_blog(feed_server.route("/huge.xml", Reply(body=body, headers=RSS_TYPE)))

    report = harness.fetch()

    assert report.new == 1
    [stored] = harness.entries(blog_id)
    assert stored.title == "Huge post"
    assert len(stored.summary.encode()) <= SUMMARY_BYTES
    assert len(stored.summary.encode()) > SUMMARY_BYTES - 2000, "cut near the limit, not far below"
    assert stored.summary.startswith("<p>All work and no play.")
    assert stored.summary.endswith(MARKER)
    app = create_app(harness.settings)
    try:
        page = app.test_client().get(f"/blogs/{blog_id}")
    finally:
        app.extensions["blogroll.database"].engine.dispose()
    assert page.status_code == 200
    assert SUMMARY_BYTES < len(page.data) < SUMMARY_BYTES + 20_000


def test_entries_older_than_the_retention_are_not_stored(harness: Harness, feed_server: FeedServer) -> None:
    now = dt.datetime.now(dt.UTC)
    dates = {"fresh": now - dt.timedelta(days=364), "stale": now - dt.timedelta(days=366)}
    items = "".join(
        f"<item><title>{guid}</title><guid>{guid}</guid>"
        f"<pubDate>{when:%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>"
        for guid, when in dates.items()
    )
    undated = "<item><title>undated</title><guid>undated</guid></item>"
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Old</title>{items}{undated}</channel></rss>'
    )
    blog_id = harness.add_blog(feed_server.route("/old.xml", Reply(body=feed.encode())))

    harness.fetch()

    assert sorted(stored.title for stored in harness.entries(blog_id)) == ["fresh", "undated"]
    harness.configure(entry_retention_days=0)
    harness.fetch(blog_id)
    assert sorted(stored.title for stored in harness.entries(blog_id)) == ["fresh", "stale", "undated"]
