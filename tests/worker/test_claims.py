"""Claims: each due blog goes to exactly one worker, and a crashed worker's claims expire."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import update

from blogroll.storage.db import Database, make_engine
from blogroll.storage.models import Blog, utcnow
from blogroll.worker.claim import claim_due, release
from blogroll.worker.fetch import FeedResponse, FetchError
from blogroll.worker.runner import Report, Runner
from blogroll.worker.store import ClaimLost, store_failure, store_not_modified_many
from tests.helpers.feed_server import FeedServer, Reply
from tests.helpers.waiting import wait_until

from .feeds import RSS20, rss
from .harness import Harness, worker_settings

LEASE = dt.timedelta(minutes=5)
OWNER = "worker-test"


def test_a_claimed_blog_is_not_claimed_again(harness: Harness, feed_server: FeedServer) -> None:
    ids = [harness.add_blog(feed_server.url(f"/{n}.xml")) for n in range(3)]

    first = claim_due(harness.database, limit=10, lease=LEASE, owner=OWNER)
    second = claim_due(harness.database, limit=10, lease=LEASE, owner=OWNER)

    assert [claim.blog_id for claim in first] == ids
    assert second == []
    assert harness.blog(ids[0]).claimed_until == first[0].until


def test_claims_take_at_most_the_limit(harness: Harness, feed_server: FeedServer) -> None:
    ids = [harness.add_blog(feed_server.url(f"/{n}.xml")) for n in range(5)]

    claimed = [claim_due(harness.database, limit=2, lease=LEASE, owner=OWNER) for _ in range(3)]

    assert [[claim.blog_id for claim in batch] for batch in claimed] == [ids[:2], ids[2:4], ids[4:]]


def test_only_enabled_blogs_that_are_due_are_claimed(harness: Harness, feed_server: FeedServer) -> None:
    due = harness.add_blog(feed_server.url("/due.xml"))
    later = harness.add_blog(feed_server.url("/later.xml"))
    disabled = harness.add_blog(feed_server.url("/disabled.xml"))
    with harness.database.transaction() as session:
        session.execute(update(Blog).where(Blog.id == later).values(next_fetch_at=utcnow() + LEASE))
        session.execute(update(Blog).where(Blog.id == disabled).values(enabled=False))

    claimed = claim_due(harness.database, limit=10, lease=LEASE, owner=OWNER)

    assert [claim.blog_id for claim in claimed] == [due]


def test_claiming_is_not_an_edit_of_the_blog(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.url("/feed.xml"))
    updated_at = harness.blog(blog_id).updated_at

    claims = claim_due(harness.database, limit=1, lease=LEASE, owner=OWNER)
    release(harness.database, claims)

    blog = harness.blog(blog_id)
    assert (blog.updated_at, blog.claimed_until) == (updated_at, None)


def test_a_crashed_workers_claims_expire(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.url("/feed.xml"))
    # A lease that has already run out, as a crashed worker's does in the end.
    [stale] = claim_due(harness.database, limit=1, lease=dt.timedelta(seconds=-1), owner=OWNER)

    [fresh] = claim_due(harness.database, limit=1, lease=LEASE, owner=OWNER)

    assert fresh.blog_id == stale.blog_id == blog_id
    # Should the first worker come back, it writes nothing: the blog is the second one's now.
    with pytest.raises(ClaimLost), harness.database.transaction() as session:
        store_failure(session, stale, FetchError("late"), settings=harness.settings, now=utcnow())
    blog = harness.blog(blog_id)
    assert (blog.consecutive_errors, blog.last_error, blog.claimed_until) == (0, None, fresh.until)


def test_a_restarted_worker_takes_back_its_own_claims_at_once(
    harness: Harness, feed_server: FeedServer
) -> None:
    """Killed mid-pass and started again (a container restart keeps its host name), a worker need
    not wait for its old leases to run out; another worker's claims stay where they are."""
    own = harness.add_blog(feed_server.route("/own.xml", Reply(body=RSS20)))
    other = harness.add_blog(feed_server.route("/other.xml", Reply(body=RSS20)))
    [left_behind] = claim_due(harness.database, limit=1, lease=LEASE, owner="worker-1")
    [held] = claim_due(harness.database, limit=1, lease=LEASE, owner="worker-2")
    assert (left_behind.blog_id, held.blog_id) == (own, other)

    runner = harness.runner(worker_name="worker-1")
    thread = threading.Thread(target=runner.run_forever, daemon=True)
    thread.start()
    try:
        assert wait_until(
            lambda: len(harness.entries(own)) == 2, timeout=10, every=0.05, what="the own blog's entries"
        )
    finally:
        runner.stop()
        thread.join(timeout=15)
        runner.close()

    assert (harness.blog(own).claimed_until, harness.blog(own).claimed_by) == (None, None)
    assert (harness.blog(other).claimed_until, harness.blog(other).claimed_by) == (held.until, "worker-2")
    assert feed_server.hits["/other.xml"] == 0


def test_a_one_off_pass_leaves_the_running_workers_claims_alone(
    harness: Harness, feed_server: FeedServer
) -> None:
    """`blogroll fetch` in the worker's container shares its name, but not its claims."""
    blog_id = harness.add_blog(feed_server.route("/feed.xml", Reply(body=RSS20)))
    [held] = claim_due(harness.database, limit=1, lease=LEASE, owner=harness.settings.worker_name)

    report = harness.fetch()

    assert report.outcomes == []
    assert harness.blog(blog_id).claimed_until == held.until


def test_304s_stored_together_write_nothing_if_one_claim_was_lost(
    harness: Harness, feed_server: FeedServer
) -> None:
    """The worker then stores them one by one, which tells which blog was lost."""
    ids = [harness.add_blog(feed_server.url(f"/{n}.xml")) for n in range(3)]
    claims = claim_due(harness.database, limit=3, lease=LEASE, owner=OWNER)
    # The last blog's lease ran out and another worker holds it now.
    with harness.database.transaction() as session:
        session.execute(update(Blog).where(Blog.id == ids[2]).values(claimed_until=utcnow() + 2 * LEASE))
    answer = FeedResponse(304, "", None, b"", None, '"v2"', None)
    answered = [(claim, answer) for claim in claims]

    with harness.database.transaction() as session:
        stored = store_not_modified_many(session, answered, settings=harness.settings, now=utcnow())

    assert not stored
    assert [harness.blog(blog_id).last_status for blog_id in ids] == [None, None, None]
    with harness.database.transaction() as session:
        stored = store_not_modified_many(session, answered[:2], settings=harness.settings, now=utcnow())
    assert stored
    assert [(harness.blog(blog_id).last_status, harness.blog(blog_id).etag) for blog_id in ids] == [
        (304, '"v2"'),
        (304, '"v2"'),
        (None, None),
    ]


def test_a_deleted_blogs_result_is_dropped(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.url("/feed.xml"))
    [claim] = claim_due(harness.database, limit=1, lease=LEASE, owner=OWNER)
    with harness.database.transaction() as session:
        session.delete(session.get(Blog, blog_id))

    with pytest.raises(ClaimLost), harness.database.transaction() as session:
        store_failure(session, claim, FetchError("late"), settings=harness.settings, now=utcnow())


def test_two_workers_fetch_each_due_blog_exactly_once(harness: Harness, feed_server: FeedServer) -> None:
    count = 40
    for n in range(count):
        url = feed_server.route(f"/many/{n}.xml", Reply(body=rss((f"post-{n}", f"Post {n}")), delay=0.01))
        harness.add_blog(url, name=f"Blog {n}")
    databases = [Database(make_engine(harness.settings)) for _ in range(2)]
    runners = [Runner(worker_settings(harness.database_url), database) for database in databases]
    start = threading.Barrier(len(runners))
    reports: list[Report] = []

    def work(runner: Runner) -> None:
        start.wait(timeout=10)
        reports.append(runner.run_pass())

    threads = [threading.Thread(target=work, args=(runner,)) for runner in runners]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
    finally:
        for runner, database in zip(runners, databases, strict=True):
            runner.close()
            database.engine.dispose()

    assert {path: hits for path, hits in feed_server.hits.items()} == {
        f"/many/{n}.xml": 1 for n in range(count)
    }
    assert sum(report.count("stored") for report in reports) == count
    assert sum(report.new for report in reports) == count
    assert claim_due(harness.database, limit=count, lease=LEASE, owner=OWNER) == [], (
        "every blog is scheduled ahead"
    )


def test_a_second_pass_fetches_nothing_that_is_not_due(harness: Harness, feed_server: FeedServer) -> None:
    harness.add_blog(feed_server.route("/feed.xml", Reply(body=RSS20)))

    harness.fetch()
    report = harness.fetch()

    assert report.outcomes == []
    assert feed_server.hits["/feed.xml"] == 1


def test_leases_follow_the_database_clock_not_the_node_s(
    harness: Harness, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose own clock runs an hour fast still takes leases that end `LEASE` after the
    database's now, and does not see another worker's live claim as expired."""
    from blogroll.worker import claim as claims

    ids = [harness.add_blog(feed_server.url(f"/{n}.xml")) for n in range(2)]
    first = claim_due(harness.database, limit=1, lease=LEASE, owner="worker-a")
    fast = utcnow() + dt.timedelta(hours=1)
    monkeypatch.setattr(claims, "utcnow", lambda: fast)

    second = claim_due(harness.database, limit=10, lease=LEASE, owner="worker-b")

    assert [claim.blog_id for claim in first] == [ids[0]]
    assert [claim.blog_id for claim in second] == [ids[1]]
    assert abs(second[0].until - (utcnow() + LEASE)) < dt.timedelta(seconds=5)
