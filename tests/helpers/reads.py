"""What a request reads from the database: the statements it sends and the rows they return.

A page that costs the same however long the blogroll grows reads the same rows at 10x the blogs as
at 1x; counting them is an exact, noise-free stand-in for timing it (bench/run --growth times it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, event, insert
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from blogroll.storage.entries import guid_hash
from blogroll.storage.models import Blog, BlogTag, Entry


@dataclass
class Reads:
    queries: int = 0
    rows: int = 0
    statements: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.queries} queries, {self.rows} rows:\n" + "\n".join(self.statements)


@contextmanager
def counting_reads(connection: Connection, sessions: sessionmaker[Session]) -> Iterator[Reads]:
    """Counts every statement sent on `connection` and every row that the sessions of `sessions`
    are handed back (each result is read in full here, then handed on as it was)."""
    reads = Reads()

    def sent(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            reads.queries += 1
            reads.statements.append(" ".join(statement.split())[:200])

    def counted(state: ORMExecuteState) -> Any:
        result = state.invoke_statement()
        if not state.is_select:
            return result
        frozen = result.freeze()
        reads.rows += len(frozen.data)
        return frozen()

    event.listen(connection, "after_cursor_execute", sent)
    event.listen(sessions, "do_orm_execute", counted)
    try:
        yield reads
    finally:
        event.remove(sessions, "do_orm_execute", counted)
        event.remove(connection, "after_cursor_execute", sent)


def grow_blogroll(session: Session, *, first: int, count: int, entries_per_blog: int = 2) -> None:
    """Adds blogs `first` .. `first + count - 1` in bulk, each with a tag of three and its entries;
    a later blog's entries are older, so growing the roll leaves the newest posts as they were."""
    newest = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    numbers = range(first, first + count)
    session.execute(
        insert(Blog),
        [
            {
                "id": number,
                "name": f"Blog {number:05}",
                "feed_url": f"https://blog{number}.example.org/feed.xml",
                "site_url": f"https://blog{number}.example.org/",
            }
            for number in numbers
        ],
    )
    session.execute(insert(BlogTag), [{"blog_id": number, "tag": TAGS[number % 3]} for number in numbers])
    rows = []
    for number in numbers:
        for post in range(entries_per_blog):
            guid = f"https://blog{number}.example.org/posts/{post}"
            published = newest - dt.timedelta(hours=number, minutes=post)
            rows.append(
                {
                    "blog_id": number,
                    "guid": guid,
                    "guid_hash": guid_hash(guid),
                    "title": "A post",
                    "published_at": published,
                }
            )
    session.execute(insert(Entry), rows)
    session.commit()


TAGS = ("python", "web", "rust")
