"""The worker loop: politeness per host, picking up new work, and stopping cleanly."""

from __future__ import annotations

import threading
from pathlib import Path

from blogroll.worker.runner import Runner
from tests.helpers.feed_server import FeedServer, Reply
from tests.helpers.waiting import wait_until

from .feeds import RSS20, rss
from .harness import Harness


def run_in_background(runner: Runner) -> threading.Thread:
    thread = threading.Thread(target=runner.run_forever, daemon=True)
    thread.start()
    return thread


def test_at_most_a_few_requests_at_once_go_to_one_host(harness: Harness, feed_server: FeedServer) -> None:
    for n in range(6):
        harness.add_blog(feed_server.route(f"/{n}.xml", Reply(body=rss((f"{n}", "Post")), delay=0.2)))
    runner = harness.runner(fetch_concurrency=6, fetch_per_host=2)

    try:
        report = runner.run_pass()
    finally:
        runner.close()

    assert report.count("stored") == 6
    assert feed_server.most_active <= 2


def test_at_most_fetch_concurrency_requests_at_once(harness: Harness, feed_server: FeedServer) -> None:
    for n in range(8):
        harness.add_blog(feed_server.route(f"/{n}.xml", Reply(body=rss((f"{n}", "Post")), delay=0.2)))
    runner = harness.runner(fetch_concurrency=3, fetch_per_host=8)

    try:
        report = runner.run_pass()
    finally:
        runner.close()

    assert report.count("stored") == 8
    assert feed_server.most_active == 3


def test_a_pass_of_many_304s_records_every_one(harness: Harness, feed_server: FeedServer) -> None:
    """Finished 304s are stored together; each blog's schedule still moves and its claim ends."""

    def conditional(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'})
        return Reply(body=RSS20, headers={"ETag": '"v1"'})

    blogs = [harness.add_blog(feed_server.route(f"/{n}.xml", conditional)) for n in range(20)]
    harness.fetch()
    fetched_first = {blog_id: harness.blog(blog_id).last_fetched_at for blog_id in blogs}

    report = harness.fetch(*blogs)

    assert report.count("not_modified") == 20
    for blog_id in blogs:
        blog = harness.blog(blog_id)
        assert (blog.last_status, blog.claimed_until, blog.etag) == (304, None, '"v1"')
        assert blog.last_fetched_at is not None and blog.last_fetched_at >= fetched_first[blog_id]  # type: ignore[operator]
        assert len(harness.entries(blog_id)) == 2


def test_the_worker_picks_up_blogs_as_they_are_added(harness: Harness, feed_server: FeedServer) -> None:
    runner = harness.runner()
    thread = run_in_background(runner)
    try:
        blog_id = harness.add_blog(feed_server.route("/late.xml", Reply(body=RSS20)))
        assert wait_until(
            lambda: len(harness.entries(blog_id)) == 2, timeout=15, every=0.05, what="the entries"
        )
    finally:
        runner.stop()
        thread.join(timeout=15)
        runner.close()
    assert not thread.is_alive()


def test_stopping_abandons_a_fetch_that_outlives_the_grace_period(
    harness: Harness, feed_server: FeedServer
) -> None:
    slow = harness.add_blog(feed_server.route("/slow.xml", Reply(body=RSS20, delay=30)))
    runner = harness.runner(graceful_timeout=1, fetch_read_timeout=60, fetch_total_timeout=120)
    thread = run_in_background(runner)
    assert feed_server.wait_for_request("/slow.xml")

    runner.stop()
    thread.join(timeout=15)
    runner.close()

    assert not thread.is_alive()
    blog = harness.blog(slow)
    assert (blog.claimed_until, blog.last_fetched_at, blog.consecutive_errors) == (None, None, 0)
    assert harness.entries(slow) == []
    # The abandoned fetch ends when its server hangs up, without writing anything either.
    feed_server.close()
    assert wait_until(
        lambda: all(thread.name != f"fetch-{slow}" for thread in threading.enumerate()),
        timeout=15,
        every=0.05,
        what="the abandoned fetch to end",
    )
    assert harness.blog(slow).last_fetched_at is None


def test_stopping_lets_quick_fetches_finish_and_gives_back_waiting_blogs(
    harness: Harness, feed_server: FeedServer
) -> None:
    release = threading.Event()

    def held(_headers: dict[str, str]) -> Reply:
        release.wait(10)
        return Reply(body=rss(("held", "Held")))

    first = harness.add_blog(feed_server.route("/held.xml", held))
    queued = [harness.add_blog(feed_server.route(f"/queued{n}.xml", Reply(body=RSS20))) for n in range(2)]
    runner = harness.runner(fetch_per_host=1, graceful_timeout=10)
    thread = run_in_background(runner)
    assert feed_server.wait_for_request("/held.xml")

    runner.stop()
    release.set()
    thread.join(timeout=15)
    runner.close()

    assert not thread.is_alive()
    assert [entry.title for entry in harness.entries(first)] == ["Held"]
    assert harness.blog(first).last_status == 200
    for blog_id in queued:
        blog = harness.blog(blog_id)
        assert (blog.claimed_until, blog.last_fetched_at) == (None, None)
    assert feed_server.hits["/queued0.xml"] == feed_server.hits["/queued1.xml"] == 0


def test_a_running_worker_keeps_its_heartbeat_file_fresh(harness: Harness, tmp_path: Path) -> None:
    heartbeat = tmp_path / "worker.heartbeat"
    runner = harness.runner(worker_heartbeat_file=heartbeat, fetch_poll_interval=0.2)
    thread = run_in_background(runner)
    try:
        assert wait_until(heartbeat.exists, timeout=15, every=0.05, what="the heartbeat file")
        first = heartbeat.stat().st_mtime_ns
        # With nothing to fetch, the loop still comes round every poll interval.
        assert wait_until(
            lambda: heartbeat.stat().st_mtime_ns > first, timeout=5, every=0.05, what="a fresh heartbeat"
        )
    finally:
        runner.stop()
        thread.join(timeout=15)
        runner.close()
    assert not thread.is_alive()
