"""Dead feeds pause themselves: too many failures in a row, or too many days without a success, and
the blog's fetching stops with a reason in words; resuming starts the count anew."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from blogroll.storage.blogs import GONE_REASON, set_paused
from blogroll.storage.models import Blog, utcnow
from blogroll.worker.claim import Claim, claim_due
from blogroll.worker.fetch import FetchError
from blogroll.worker.store import store_failure
from tests.helpers.feed_server import FeedServer, Reply

from .feeds import RSS20
from .harness import Harness

LEASE = dt.timedelta(minutes=5)
FAR = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def due_now(harness: Harness, blog_id: int) -> None:
    """Due again at once, as if its backoff had passed, without resuming it (unlike `make_due`)."""
    with harness.database.transaction() as session:
        session.execute(update(Blog).where(Blog.id == blog_id).values(next_fetch_at=utcnow()))


def claim(harness: Harness) -> Claim:
    [claimed] = claim_due(harness.database, limit=1, lease=LEASE, owner="test", due_by=FAR)
    return claimed


def fail_at(harness: Harness, when: dt.datetime, error: str = "HTTP 503 Service Unavailable") -> None:
    """One failed fetch of the only blog, stored as if it happened at `when`."""
    with harness.database.transaction() as session:
        store_failure(
            session, claim(harness), FetchError(error, status=503), settings=harness.settings, now=when
        )


def test_a_blog_is_paused_after_so_many_failures_in_a_row(harness: Harness, feed_server: FeedServer) -> None:
    harness.configure(pause_after_failures=3)
    blog_id = harness.add_blog(feed_server.route("/broken.xml", Reply(status=500)))

    for _ in range(3):
        assert harness.blog(blog_id).enabled
        due_now(harness, blog_id)
        harness.fetch()
    due_now(harness, blog_id)
    harness.fetch()

    blog = harness.blog(blog_id)
    assert (blog.enabled, blog.consecutive_errors) == (False, 3)
    assert (
        blog.paused_reason
        == "paused after 3 consecutive failures; last error: HTTP 500 Internal Server Error"
    )
    assert feed_server.hits["/broken.xml"] == 3, "a paused blog is not fetched"


def test_a_blog_failing_for_so_many_days_is_paused(harness: Harness, feed_server: FeedServer) -> None:
    harness.configure(pause_after_days=30, pause_after_failures=0)
    blog_id = harness.add_blog(feed_server.url("/down.xml"))

    fail_at(harness, T0)
    assert harness.blog(blog_id).failing_since == T0
    fail_at(harness, T0 + dt.timedelta(days=29, hours=23))
    assert harness.blog(blog_id).enabled, "29 days and 23 hours is not 30 days"
    fail_at(harness, T0 + dt.timedelta(days=30))

    blog = harness.blog(blog_id)
    assert (blog.enabled, blog.failing_since, blog.consecutive_errors) == (False, T0, 3)
    assert blog.paused_reason == (
        "paused: no successful fetch in 30 days; last error: HTTP 503 Service Unavailable"
    )


def test_a_success_ends_the_run_of_failures(harness: Harness, feed_server: FeedServer) -> None:
    harness.configure(pause_after_days=30, pause_after_failures=0)
    blog_id = harness.add_blog(feed_server.route("/flaky.xml", Reply(body=RSS20)))
    fail_at(harness, T0)

    harness.fetch(blog_id)
    assert harness.blog(blog_id).failing_since is None
    fail_at(harness, T0 + dt.timedelta(days=40))

    blog = harness.blog(blog_id)
    assert (blog.enabled, blog.paused_reason) == (True, None)
    assert blog.failing_since == T0 + dt.timedelta(days=40)


def test_zero_never_pauses(harness: Harness, feed_server: FeedServer) -> None:
    harness.configure(pause_after_days=0, pause_after_failures=0)
    blog_id = harness.add_blog(feed_server.url("/down.xml"))

    for day in range(0, 400, 10):
        fail_at(harness, T0 + dt.timedelta(days=day))

    blog = harness.blog(blog_id)
    assert (blog.enabled, blog.paused_reason, blog.consecutive_errors) == (True, None, 40)


def test_410_gives_its_reason(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/gone.xml", Reply(status=410)))

    harness.fetch()

    blog = harness.blog(blog_id)
    assert (blog.enabled, blog.paused_reason) == (False, GONE_REASON)


def test_resuming_counts_failures_anew(harness: Harness, feed_server: FeedServer) -> None:
    harness.configure(pause_after_failures=2, pause_after_days=30)
    blog_id = harness.add_blog(feed_server.url("/down.xml"))
    fail_at(harness, T0)
    fail_at(harness, T0 + dt.timedelta(days=31))
    assert not harness.blog(blog_id).enabled

    with harness.database.transaction() as session:
        blog = session.get(Blog, blog_id)
        assert blog is not None
        set_paused(session, blog, False)
    resumed = harness.blog(blog_id)
    assert (resumed.enabled, resumed.paused_reason, resumed.consecutive_errors) == (True, None, 0)
    assert resumed.failing_since is None
    # One more failure, long after the first ones, does not pause it again at once.
    fail_at(harness, T0 + dt.timedelta(days=32))

    blog = harness.blog(blog_id)
    assert (blog.enabled, blog.consecutive_errors, blog.failing_since) == (
        True,
        1,
        T0 + dt.timedelta(days=32),
    )
