"""Parsing in processes of their own (blogroll.worker.parse_pool): the same entries as in-thread, and a
feed that crashes or hangs its parser fails alone while the pass goes on."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from blogroll.storage.models import Entry, utcnow
from blogroll.worker.parse_pool import ParsePool, parse_processes
from blogroll.worker.runner import Runner
from tests.helpers.feed_server import FeedServer, Reply
from tests.helpers.settings import make_settings
from tests.helpers.waiting import wait_until

from . import hostile_parser
from .feeds import ATOM, ATOM_TYPE, ATOM_XML_BASE, CYRILLIC, LATIN1, RSS10, RSS20, RSS_TYPE, UNSAFE_HTML, rss
from .harness import Harness, worker_settings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "feeds"

# Real feeds (tests/fixtures/feeds/README.md) and the worker tests' own, each with its Content-Type.
FEEDS: dict[str, tuple[bytes, dict[str, str]]] = {
    "rss20": (RSS20, RSS_TYPE),
    "rss10": (RSS10, RSS_TYPE),
    "atom": (ATOM, ATOM_TYPE),
    "xml-base": (ATOM_XML_BASE, ATOM_TYPE),
    "unsafe": (UNSAFE_HTML, RSS_TYPE),
    "latin1": (LATIN1, {"Content-Type": "application/rss+xml"}),
    "cyrillic": (CYRILLIC, {"Content-Type": "application/rss+xml; charset=windows-1251"}),
    "jsonfeed.org": ((FIXTURES / "jsonfeed.org.json").read_bytes(), {"Content-Type": "application/json"}),
    "manton.org": ((FIXTURES / "manton.org.json").read_bytes(), {"Content-Type": "application/json"}),
    "feedparser-example": ((FIXTURES / "feedparser-example.json").read_bytes(), {}),
}


def stored(entries: list[Entry], since: dt.datetime, folder: str) -> list[tuple[Any, ...]]:
    """What a reader sees of each entry, with the feed's folder taken out of the links made absolute
    from its address; an undated entry is dated when it was stored, so only that is compared."""

    def text(value: str | None) -> str | None:
        return value.replace(f"/{folder}/", "/") if value is not None else None

    return [
        (
            text(e.guid),
            e.title,
            text(e.link),
            e.author,
            text(e.summary),
            e.published_at >= since or e.published_at,
        )
        for e in entries
    ]


def pool_runner(harness: Harness, processes: int = 2, **overrides: Any) -> Runner:
    """A runner whose pool parses with the hostile parser (tests/worker/hostile_parser.py)."""
    settings = worker_settings(harness.database_url, **overrides)
    parser = ParsePool(processes, timeout=settings.parse_timeout, parse=hostile_parser.parse)
    return Runner(settings, harness.database, parser=parser)


def test_the_pool_stores_the_same_entries_as_parsing_in_thread(
    harness: Harness, feed_server: FeedServer
) -> None:
    pooled, in_thread = {}, {}
    for name, (body, headers) in FEEDS.items():
        pooled[name] = harness.add_blog(feed_server.route(f"/pool/{name}", Reply(body=body, headers=headers)))
        in_thread[name] = harness.add_blog(
            feed_server.route(f"/thread/{name}", Reply(body=body, headers=headers))
        )

    # To the second: MariaDB keeps no fractions, so an entry dated as it is stored may read earlier.
    since = utcnow().replace(microsecond=0)
    harness.configure(parse_processes=2, entry_retention_days=0)
    pool_report = harness.fetch(*pooled.values())
    harness.configure(parse_processes=0, entry_retention_days=0)
    thread_report = harness.fetch(*in_thread.values())

    assert pool_report.summary() == thread_report.summary()
    assert pool_report.count("failed") == 0
    for name in FEEDS:
        entries = stored(harness.entries(pooled[name]), since, "pool")
        assert entries, f"{name}: nothing stored"
        assert entries == stored(harness.entries(in_thread[name]), since, "thread"), name


def test_the_pool_parses_in_other_processes() -> None:
    pool = ParsePool(2, timeout=10, parse=hostile_parser.parse)
    try:
        entries = pool.parse(
            RSS20, url="https://blog.example.org/feed", content_type=RSS_TYPE["Content-Type"]
        )
        assert [entry.guid for entry in entries] == ["post-2", "post-1"]
        authors = {int(entry.author) for entry in entries}
        assert authors <= set(pool.pids())
        assert os.getpid() not in authors
    finally:
        pool.close()
    assert pool.pids() == []


def test_start_starts_every_process_at_once() -> None:
    pool = ParsePool(2, timeout=10, parse=hostile_parser.parse)
    try:
        pool.start()
        started = pool.pids()
        assert len(started) == 2
        entries = pool.parse(RSS20, url="https://blog.example.org/feed")
        assert {int(entry.author) for entry in entries} <= set(started)
        assert pool.pids() == started
    finally:
        pool.close()


def test_zero_processes_parse_in_the_calling_thread() -> None:
    pool = ParsePool(0, timeout=10, parse=hostile_parser.parse)
    entries = pool.parse(RSS20, url="https://blog.example.org/feed")
    assert {entry.author for entry in entries} == {str(os.getpid())}
    assert pool.pids() == []


def test_a_feed_that_crashes_its_parser_fails_alone(harness: Harness, feed_server: FeedServer) -> None:
    hostile = harness.add_blog(feed_server.route("/crash.xml", Reply(body=RSS20 + hostile_parser.CRASH)))
    others = [
        harness.add_blog(feed_server.route(f"/{n}.xml", Reply(body=rss((f"post-{n}", f"Post {n}")))))
        for n in range(6)
    ]

    runner = pool_runner(harness)
    try:
        report = runner.run_pass()
    finally:
        runner.close()

    assert report.summary() == "Fetched 7 blog(s): 6 new entries, 0 updated, 0 not modified, 1 failed."
    blog = harness.blog(hostile)
    assert blog.last_error is not None
    assert "crashed the feed parser" in blog.last_error
    assert harness.entries(hostile) == []
    for n, blog_id in enumerate(others):
        assert [entry.guid for entry in harness.entries(blog_id)] == [f"post-{n}"]


def test_a_feed_that_hangs_its_parser_is_stopped_and_fails_alone(
    harness: Harness, feed_server: FeedServer
) -> None:
    hostile = harness.add_blog(feed_server.route("/hang.xml", Reply(body=RSS20 + hostile_parser.HANG)))
    others = [
        harness.add_blog(feed_server.route(f"/{n}.xml", Reply(body=rss((f"post-{n}", f"Post {n}")))))
        for n in range(4)
    ]

    runner = pool_runner(harness, parse_timeout=3.0)
    started = time.monotonic()
    try:
        report = runner.run_pass()
    finally:
        runner.close()

    assert time.monotonic() - started < 20
    assert report.count("failed") == 1 and report.new == 4
    assert "took over 3 s to parse" in (harness.blog(hostile).last_error or "")
    for n, blog_id in enumerate(others):
        assert [entry.guid for entry in harness.entries(blog_id)] == [f"post-{n}"]


def test_stopping_the_worker_stops_a_hung_parser(harness: Harness, feed_server: FeedServer) -> None:
    hostile = harness.add_blog(feed_server.route("/hang.xml", Reply(body=RSS20 + hostile_parser.HANG)))
    runner = pool_runner(harness, processes=1, graceful_timeout=2, parse_timeout=60.0)
    thread = threading.Thread(target=runner.run_forever, daemon=True)
    thread.start()
    assert feed_server.wait_for_request("/hang.xml")
    pids = wait_until(runner.parser.pids, timeout=10, every=0.05, what="the parse process")

    stopped = time.monotonic()
    runner.stop()
    thread.join(timeout=10)
    runner.close()

    assert not thread.is_alive()
    assert time.monotonic() - stopped < 5
    assert wait_until(
        lambda: not any(_alive(pid) for pid in pids), timeout=5, every=0.05, what="the parse process to end"
    )
    blog = harness.blog(hostile)
    assert (blog.claimed_until, blog.last_fetched_at, blog.consecutive_errors) == (None, None, 0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of the fork server may linger as a zombie until it is reaped.
    status = Path(f"/proc/{pid}/status")
    try:
        return "zombie" not in status.read_text()
    except FileNotFoundError:
        return False


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("3", 3)])
def test_how_many_parse_processes(value: str, expected: int) -> None:
    assert parse_processes(make_settings(parse_processes=value)) == expected


def test_the_fetch_threads_parse_by_default() -> None:
    assert parse_processes(make_settings()) == 0


def test_auto_leaves_one_core_to_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(parse_processes="auto")
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert parse_processes(settings) == 3
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert parse_processes(settings) == 1
