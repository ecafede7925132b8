"""A deadlock between the worker's store and pruning: since migration 0009 a prune's delete also
updates the blog's entry count, so it can wait for a blog row that a store holds while the store
waits for an entry the prune is deleting. The database breaks the cycle by rolling one back; that
one is run again (`Database.in_transaction`), and both writes land."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from blogroll.storage.db import Database, make_engine
from blogroll.storage.entries import guid_hash
from blogroll.storage.models import Blog, Entry
from tests.helpers.settings import make_settings


def test_a_transaction_rolled_back_to_break_a_deadlock_is_run_again(committed_database: str) -> None:
    database = Database(make_engine(make_settings(committed_database)))
    if database.engine.dialect.name == "sqlite":
        database.engine.dispose()
        pytest.skip("SQLite has one writer at a time: no deadlocks")
    published = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with database.transaction() as session:
        session.execute(insert(Blog).values(id=1, name="Blog", feed_url="https://blog.example/feed"))
        session.execute(
            insert(Entry),
            [{"id": n, "blog_id": 1, "guid": f"g{n}", "guid_hash": guid_hash(f"g{n}"), "title": "old",
              "summary": "", "published_at": published} for n in (1, 2, 3)],
        )  # fmt: skip
    attempts = {"store": 0, "prune": 0}
    blog_locked = threading.Event()
    failures: list[BaseException] = []

    def store(session: Session) -> None:
        # As the worker's store: the blog's row first (its fetch state), then an entry it edits.
        attempts["store"] += 1
        session.execute(update(Blog).where(Blog.id == 1).values(last_status=200))
        if attempts["store"] == 1:
            blog_locked.set()
            time.sleep(1.0)  # the prune deletes entries 1 and 2, then waits for this blog row
        session.execute(update(Entry).where(Entry.id == 1).values(title="edited"))

    def prune(session: Session) -> None:
        attempts["prune"] += 1
        session.execute(delete(Entry).where(Entry.id.in_([1, 2])))

    def run(write: Any) -> None:
        try:
            database.in_transaction(write)
        except BaseException as error:
            failures.append(error)

    storing = threading.Thread(target=run, args=(store,))
    storing.start()
    assert blog_locked.wait(10)
    pruning = threading.Thread(target=run, args=(prune,))
    pruning.start()
    storing.join(30)
    pruning.join(30)

    try:
        assert failures == []
        # The database rolled one of them back: a deadlock did happen, and that one was run again.
        assert min(attempts.values()) == 1 and max(attempts.values()) >= 2, attempts
        with database.transaction() as session:
            assert list(session.scalars(select(Entry.id))) == [3]
            blog = session.get(Blog, 1)
            assert blog is not None
            assert (blog.last_status, blog.entry_count) == (200, 1)
    finally:
        database.engine.dispose()
