"""Pruning: entries past the retention and beyond each blog's newest N are deleted in small batches,
once a day by one worker however many run, and now by `blogroll entries prune`."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from blogroll import logs
from blogroll.cli import main
from blogroll.storage.entries import Pruned, guid_hash, prune_entries
from blogroll.storage.models import Entry, WorkerTask
from blogroll.worker.prune import PRUNE_EVERY, PRUNE_TASK, take_turn
from tests.helpers.feed_server import FeedServer
from tests.helpers.waiting import wait_until

from .harness import Harness

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def add_entries(harness: Harness, blog_id: int, ages_in_days: list[float]) -> None:
    """Entries named by their age: `d10` was published ten days before NOW."""
    rows = [
        {
            "blog_id": blog_id,
            "guid": f"d{age:g}",
            "guid_hash": guid_hash(f"d{age:g}"),
            "title": f"d{age:g}",
            "summary": "",
            "published_at": NOW - dt.timedelta(days=age),
        }
        for age in ages_in_days
    ]
    with harness.database.transaction() as session:
        session.execute(insert(Entry), rows)


def titles(harness: Harness, blog_id: int) -> list[str]:
    return [entry.title for entry in harness.entries(blog_id)]


def test_old_entries_and_those_beyond_the_limit_are_deleted(
    harness: Harness, feed_server: FeedServer
) -> None:
    crowded = harness.add_blog(feed_server.url("/crowded.xml"), "Crowded")
    quiet = harness.add_blog(feed_server.url("/quiet.xml"), "Quiet")
    add_entries(harness, crowded, [0, 1, 2, 3, 4, 5, 6, 400])
    add_entries(harness, quiet, [10, 364.9, 365.1, 1000])

    pruned = prune_entries(harness.database, now=NOW, retention_days=365, per_blog=4, batch=2)

    assert pruned == Pruned(too_old=3, over_limit=3)
    assert titles(harness, crowded) == ["d0", "d1", "d2", "d3"]
    assert titles(harness, quiet) == ["d10", "d364.9"]
    again = prune_entries(harness.database, now=NOW, retention_days=365, per_blog=4, batch=2)
    assert again == Pruned(too_old=0, over_limit=0)


def test_zero_keeps_everything(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.url("/feed.xml"))
    add_entries(harness, blog_id, [1, 500, 5000])

    pruned = prune_entries(harness.database, now=NOW, retention_days=0, per_blog=0)

    assert pruned == Pruned(too_old=0, over_limit=0)
    assert titles(harness, blog_id) == ["d1", "d500", "d5000"]


def test_a_stop_between_batches_keeps_what_is_left(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.url("/feed.xml"))
    add_entries(harness, blog_id, [400, 401, 402, 403, 404])
    batches: list[int] = []

    def stop_after_two() -> bool:
        batches.append(1)
        return len(batches) > 2

    pruned = prune_entries(
        harness.database, now=NOW, retention_days=365, per_blog=0, batch=2, stopping=stop_after_two
    )

    assert pruned.too_old == 4
    assert titles(harness, blog_id) == ["d400"], "the oldest go first"


def test_one_worker_a_day_takes_the_pruning(harness: Harness) -> None:
    database = harness.database
    assert take_turn(database, PRUNE_TASK, every=PRUNE_EVERY, owner="a", now=NOW)
    assert not take_turn(database, PRUNE_TASK, every=PRUNE_EVERY, owner="b", now=NOW)
    later = NOW + PRUNE_EVERY - dt.timedelta(seconds=1)
    assert not take_turn(database, PRUNE_TASK, every=PRUNE_EVERY, owner="b", now=later)
    assert take_turn(database, PRUNE_TASK, every=PRUNE_EVERY, owner="b", now=NOW + PRUNE_EVERY)

    with database.read_sessions() as session:
        task = session.get(WorkerTask, PRUNE_TASK)
        assert task is not None
        assert (task.last_run_at, task.last_run_by) == (NOW + PRUNE_EVERY, "b")


@pytest.mark.parametrize("first_ever", [True, False])
def test_workers_asking_at_once_get_one_turn(harness: Harness, first_ever: bool) -> None:
    if not first_ever:
        assert take_turn(harness.database, PRUNE_TASK, every=PRUNE_EVERY, owner="yesterday", now=NOW)
    when = NOW + PRUNE_EVERY
    start = threading.Barrier(6)
    turns: list[str] = []

    def ask(owner: str) -> None:
        start.wait()
        if take_turn(harness.database, PRUNE_TASK, every=PRUNE_EVERY, owner=owner, now=when):
            turns.append(owner)

    threads = [threading.Thread(target=ask, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(turns) == 1


def test_the_worker_prunes_once_a_day_across_restarts(harness: Harness, feed_server: FeedServer) -> None:
    harness.configure(entry_retention_days=365, entries_per_blog=2, worker_name="pruner")
    blog_id = harness.add_blog(feed_server.url("/feed.xml"))
    add_entries(harness, blog_id, [1, 2, 3, 400])
    # A worker asks about the pruning before it first claims, so once it has fetched this, it has asked.
    ticker = harness.add_blog(feed_server.url("/ticker.xml"), "Ticker")
    clock = [NOW]

    def run_until(check: Any, what: str) -> None:
        harness.make_due(ticker)
        fetched = feed_server.hits["/ticker.xml"]
        runner = harness.runner()
        runner.clock = lambda: clock[0]
        thread = threading.Thread(target=runner.run_forever)
        thread.start()
        try:
            wait_until(
                lambda: feed_server.hits["/ticker.xml"] > fetched, timeout=30, every=0.05, what="a fetch"
            )
            wait_until(check, timeout=30, every=0.05, what=what)
        finally:
            runner.stop()
            thread.join(timeout=30)
            runner.close()

    def ran_at(when: dt.datetime) -> bool:
        with harness.database.read_sessions() as session:
            return session.scalar(select(WorkerTask.last_run_at).where(WorkerTask.name == PRUNE_TASK)) == when

    run_until(lambda: titles(harness, blog_id) == ["d1", "d2"], "the first pruning")
    assert ran_at(NOW)

    # Restarted the same day: the pruning has been done, old entries stay until tomorrow.
    add_entries(harness, blog_id, [500])
    clock[0] = NOW + dt.timedelta(hours=23)
    run_until(lambda: True, "a restarted worker")
    assert ran_at(NOW)
    assert titles(harness, blog_id) == ["d1", "d2", "d500"]

    clock[0] = NOW + dt.timedelta(days=1)
    run_until(lambda: titles(harness, blog_id) == ["d1", "d2"], "the next day's pruning")
    assert ran_at(NOW + dt.timedelta(days=1))


def test_entries_prune_deletes_now_and_says_how_many(
    harness: Harness, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    blog_id = harness.add_blog(feed_server.url("/feed.xml"))
    today = dt.datetime.now(dt.UTC)
    ages = [1, 2, 3, 4, 400, 800]
    add_entries(harness, blog_id, [(NOW - today).total_seconds() / 86400 + age for age in ages])
    monkeypatch.chdir(tmp_path)
    logs.configure("WARNING")
    env = {"DATABASE_URL": harness.database_url, "BLOGROLL_ENTRIES_PER_BLOG": "3"}

    result = CliRunner(env=env).invoke(main, ["entries", "prune"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert result.output == (
        "Deleted 2 entries published more than 365 days ago.\n"
        "Deleted 1 entries beyond the newest 3 of their blog.\n"
    )
    assert len(harness.entries(blog_id)) == 3
