"""The worker as an HTTP client: conditional GET, limits, redirects and error statuses, with the fetch
state each one leaves on the blog."""

from __future__ import annotations

import datetime as dt

from blogroll import __version__
from blogroll.storage.models import utcnow
from blogroll.worker.store import GONE_MESSAGE
from tests.helpers.feed_server import FeedServer, Reply

from .feeds import RSS20, gzip_bomb, gzipped, rss
from .harness import Harness


def redirect(status: int, location: str) -> Reply:
    return Reply(status=status, headers={"Location": location})


def assert_failed(harness: Harness, blog_id: int, *, status: int | None, error: str, errors: int = 1) -> None:
    blog = harness.blog(blog_id)
    assert blog.last_status == status
    assert blog.last_error is not None
    assert error in blog.last_error
    assert blog.consecutive_errors == errors
    assert blog.claimed_until is None
    assert harness.entries(blog_id) == []


def test_requests_name_blogroll_and_its_version(harness: Harness, feed_server: FeedServer) -> None:
    harness.add_blog(feed_server.route("/rss.xml", Reply(body=RSS20)))

    harness.fetch()

    [headers] = feed_server.headers_of("/rss.xml")
    assert headers["user-agent"] == f"Blogroll/{__version__} (feed reader)"
    assert headers["accept-encoding"] == "gzip, deflate"


def test_304_with_etag_costs_no_parsing_and_keeps_entries(harness: Harness, feed_server: FeedServer) -> None:
    validators = {"ETag": '"v1"', "Last-Modified": "Tue, 06 Jan 2026 10:00:00 GMT"}

    def conditional(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'})
        return Reply(body=RSS20, headers=validators)

    blog_id = harness.add_blog(feed_server.route("/conditional.xml", conditional))
    harness.fetch()
    stored = [(entry.id, entry.title) for entry in harness.entries(blog_id)]

    report = harness.fetch(blog_id)

    assert report.count("not_modified") == 1
    first, second = feed_server.headers_of("/conditional.xml")
    assert "if-none-match" not in first
    assert second["if-none-match"] == '"v1"'
    assert second["if-modified-since"] == "Tue, 06 Jan 2026 10:00:00 GMT"
    assert [(entry.id, entry.title) for entry in harness.entries(blog_id)] == stored
    blog = harness.blog(blog_id)
    assert blog.last_status == 304
    assert (blog.etag, blog.last_modified) == ('"v1"', "Tue, 06 Jan 2026 10:00:00 GMT")
    assert blog.consecutive_errors == 0


def test_gzipped_feeds_are_read(harness: Harness, feed_server: FeedServer) -> None:
    reply = Reply(body=gzipped(RSS20), headers={"Content-Encoding": "gzip"})
    blog_id = harness.add_blog(feed_server.route("/rss.xml.gz", reply))

    harness.fetch()

    assert len(harness.entries(blog_id)) == 2


def test_an_endless_body_is_cut_at_the_size_limit(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/endless.xml", Reply(body=b"<rss>", endless=True)))

    harness.fetch()

    assert_failed(harness, blog_id, status=200, error="feed is larger than 65536 bytes")


def test_a_declared_length_over_the_limit_is_refused_unread(
    harness: Harness, feed_server: FeedServer
) -> None:
    reply = Reply(body=b"x" * (65 * 1024), headers={"Content-Length": str(65 * 1024)})
    blog_id = harness.add_blog(feed_server.route("/big.xml", reply))

    harness.fetch()

    assert_failed(harness, blog_id, status=200, error="feed is larger than 65536 bytes")


def test_a_gzip_bomb_is_cut_at_the_size_limit(harness: Harness, feed_server: FeedServer) -> None:
    bomb = gzip_bomb(64 * 1024 * 1024)
    assert len(bomb) < 100 * 1024
    reply = Reply(body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"})
    blog_id = harness.add_blog(feed_server.route("/bomb.xml", reply))

    harness.fetch()

    assert_failed(harness, blog_id, status=200, error="feed is larger than 65536 bytes")


def test_a_response_slower_than_the_read_timeout_fails(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/slow.xml", Reply(body=RSS20, delay=5)))

    harness.fetch()

    assert_failed(harness, blog_id, status=None, error="timed out")


def test_a_redirect_chain_is_followed_without_moving_the_feed(
    harness: Harness, feed_server: FeedServer
) -> None:
    feed_server.route("/hop1", redirect(301, "/hop2"))
    feed_server.route("/hop2", redirect(302, feed_server.url("/hop3")))
    feed_server.route("/hop3", redirect(307, "/final.xml"))
    feed_server.route("/final.xml", Reply(body=RSS20))
    start = feed_server.url("/hop1")
    blog_id = harness.add_blog(start)

    harness.fetch()

    assert len(harness.entries(blog_id)) == 2
    blog = harness.blog(blog_id)
    assert blog.last_status == 200
    assert blog.feed_url == start, "a temporary redirect on the way keeps the old address"


def test_more_than_five_redirects_fail(harness: Harness, feed_server: FeedServer) -> None:
    for hop in range(6):
        feed_server.route(f"/r{hop}", redirect(302, f"/r{hop + 1}"))
    feed_server.route("/r6", Reply(body=RSS20))
    blog_id = harness.add_blog(feed_server.url("/r0"))

    harness.fetch()

    assert_failed(harness, blog_id, status=302, error="more than 5 redirects")
    assert feed_server.hits["/r6"] == 0


def test_a_redirect_loop_fails(harness: Harness, feed_server: FeedServer) -> None:
    feed_server.route("/ping", redirect(302, "/pong"))
    feed_server.route("/pong", redirect(302, "/ping"))
    blog_id = harness.add_blog(feed_server.url("/ping"))

    harness.fetch()

    assert_failed(harness, blog_id, status=302, error="redirect loop")
    assert (feed_server.hits["/ping"], feed_server.hits["/pong"]) == (1, 1)


def test_a_301_moves_the_feed_url(harness: Harness, feed_server: FeedServer) -> None:
    feed_server.route("/old.xml", redirect(301, "/new.xml"))
    new_url = feed_server.route("/new.xml", Reply(body=RSS20))
    blog_id = harness.add_blog(feed_server.url("/old.xml"))

    harness.fetch()
    harness.fetch(blog_id)

    assert harness.blog(blog_id).feed_url == new_url
    assert (feed_server.hits["/old.xml"], feed_server.hits["/new.xml"]) == (1, 2)
    assert len(harness.entries(blog_id)) == 2


def test_a_308_chain_moves_the_feed_url_to_its_end(harness: Harness, feed_server: FeedServer) -> None:
    feed_server.route("/a.xml", redirect(308, "/b.xml"))
    feed_server.route("/b.xml", redirect(301, "/c.xml"))
    new_url = feed_server.route("/c.xml", Reply(body=RSS20))
    blog_id = harness.add_blog(feed_server.url("/a.xml"))

    harness.fetch()

    assert harness.blog(blog_id).feed_url == new_url


def test_a_301_to_a_feed_another_blog_has_keeps_the_url(harness: Harness, feed_server: FeedServer) -> None:
    taken = feed_server.route("/taken.xml", Reply(body=RSS20))
    harness.add_blog(taken, name="First")
    old_url = feed_server.route("/moved.xml", redirect(301, "/taken.xml"))
    blog_id = harness.add_blog(old_url, name="Second")

    harness.fetch()

    assert harness.blog(blog_id).feed_url == old_url
    assert harness.blog(blog_id).last_status == 200


def test_a_301_to_a_failing_url_keeps_the_url(harness: Harness, feed_server: FeedServer) -> None:
    old_url = feed_server.route("/gone-wrong.xml", redirect(301, "/missing.xml"))
    blog_id = harness.add_blog(old_url)

    harness.fetch()

    assert harness.blog(blog_id).feed_url == old_url
    assert_failed(harness, blog_id, status=404, error="HTTP 404 Not Found")


def test_404_is_recorded_and_retried_later(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/missing", Reply(status=404, body=b"nope")))

    harness.fetch()

    assert_failed(harness, blog_id, status=404, error="HTTP 404 Not Found")
    assert harness.blog(blog_id).enabled is True


def test_410_disables_the_blog_until_it_is_refreshed(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/gone", Reply(status=410)))

    harness.fetch()
    harness.fetch()

    blog = harness.blog(blog_id)
    assert blog.enabled is False
    assert blog.last_status == 410
    assert blog.last_error == GONE_MESSAGE
    assert feed_server.hits["/gone"] == 1, "a disabled blog is not fetched"

    feed_server.route("/gone", Reply(body=RSS20))
    harness.fetch(blog_id)

    blog = harness.blog(blog_id)
    assert (blog.enabled, blog.last_status, blog.consecutive_errors) == (True, 200, 0)


def test_500s_back_off_exponentially_with_jitter(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/broken", Reply(status=500)))
    interval = dt.timedelta(seconds=harness.settings.fetch_interval)

    waits = []
    for _ in range(3):
        before = utcnow()
        harness.fetch(blog_id)
        after = utcnow()
        next_fetch_at = harness.blog(blog_id).next_fetch_at
        waits.append((next_fetch_at - before, next_fetch_at - after))

    assert_failed(harness, blog_id, status=500, error="HTTP 500 Internal Server Error", errors=3)
    for failures, (longest, shortest) in enumerate(waits, start=1):
        # Doubled per failure, then between 75% and 100% of that (MariaDB keeps whole seconds).
        doubled = interval * 2 ** (failures - 1)
        assert doubled * 0.75 - dt.timedelta(seconds=1) <= longest
        assert shortest <= doubled


def test_the_backoff_stops_at_the_ceiling(harness: Harness, feed_server: FeedServer) -> None:
    harness.configure(fetch_interval=3600, fetch_max_backoff=4000)
    blog_id = harness.add_blog(feed_server.route("/down", Reply(status=503)))

    for _ in range(3):
        harness.fetch(blog_id)

    blog = harness.blog(blog_id)
    assert blog.consecutive_errors == 3
    assert blog.next_fetch_at - utcnow() <= dt.timedelta(seconds=4000)


def test_retry_after_is_honoured(harness: Harness, feed_server: FeedServer) -> None:
    reply = Reply(status=429, headers={"Retry-After": "36000"})
    blog_id = harness.add_blog(feed_server.route("/busy", reply))
    before = utcnow()

    harness.fetch()

    assert_failed(harness, blog_id, status=429, error="HTTP 429 Too Many Requests")
    assert harness.blog(blog_id).next_fetch_at >= before + dt.timedelta(seconds=36000 - 1)


def test_a_success_clears_the_errors(harness: Harness, feed_server: FeedServer) -> None:
    state = {"reply": Reply(status=500)}
    blog_id = harness.add_blog(feed_server.route("/flaky", lambda _headers: state["reply"]))
    harness.fetch()
    state["reply"] = Reply(body=rss(("x", "Back")))

    harness.fetch(blog_id)

    blog = harness.blog(blog_id)
    assert (blog.last_status, blog.consecutive_errors, blog.last_error) == (200, 0, None)
    assert [entry.title for entry in harness.entries(blog_id)] == ["Back"]


def test_a_refused_connection_is_recorded(harness: Harness, feed_server: FeedServer) -> None:
    # The fixture server's port once it is closed: nothing listens there any more.
    url = feed_server.url("/feed.xml")
    feed_server.close()
    blog_id = harness.add_blog(url)

    harness.fetch()

    assert_failed(harness, blog_id, status=None, error="network error")
