"""Plain functions over entries: the latest posts, newest first, paged by a keyset cursor; pruning."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, delete, or_, select
from sqlalchemy.orm import Session

from blogroll.storage.db import Database, read_rows
from blogroll.storage.models import MAX_ID, Blog, Entry, EntryTag

# Entries deleted per transaction: each batch holds its locks (SQLite: the write lock) only briefly,
# so the web app and the worker's fetches go on between batches.
PRUNE_BATCH = 500


class BadCursor(ValueError):
    """The paging cursor (of entries or of blogs) was not one Blogroll made."""

    def __init__(self) -> None:
        super().__init__("cursor is not valid; use the `next` URL of a previous page")


@dataclass(frozen=True)
class EntryCursor:
    """Where a page of entries ends: the last entry's (published_at, id)."""

    published_at: dt.datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.published_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> EntryCursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            stamp, _, entry_id = raw.partition("|")
            published_at = dt.datetime.fromisoformat(stamp)
            if published_at.tzinfo is None:
                raise ValueError("naive")
            cursor = cls(published_at=published_at.astimezone(dt.UTC), id=int(entry_id))
        except (ValueError, OverflowError, binascii.Error) as error:
            raise BadCursor() from error
        if not 0 < cursor.id <= MAX_ID:
            raise BadCursor()
        return cursor

    @classmethod
    def after(cls, entry: Entry | EntryRecord) -> EntryCursor:
        return cls(published_at=entry.published_at, id=entry.id)


class EntryRecord(NamedTuple):
    """An entry as the lists show it (pages, feeds, the API): its columns, read without an ORM
    object. A page of 30-50 entries loaded as objects cost more CPU than the rest of the request."""

    id: int
    blog_id: int
    guid: str
    title: str
    link: str | None
    author: str
    summary: str
    published_at: dt.datetime
    fetched_at: dt.datetime


def list_entries(
    session: Session,
    *,
    limit: int,
    blog_id: int | None = None,
    tag: str | None = None,
    since: dt.datetime | None = None,
    cursor: EntryCursor | None = None,
) -> list[EntryRecord]:
    """Entries newest first; `cursor` continues after the last entry of the previous page."""
    params: dict[str, Any] = {"limit": limit, "blog_id": blog_id, "tag": tag, "since": since}
    if cursor is not None:
        params.update(cursor_published_at=cursor.published_at, cursor_id=cursor.id)
    query = _entries_query(blog_id is not None, tag is not None, since is not None, cursor is not None)
    return [EntryRecord._make(row) for row in read_rows(session, query, params)]


_ENTRIES = Entry.__table__.c
_ENTRY_TAGS = EntryTag.__table__.c


@functools.cache
def _entries_query(by_blog: bool, by_tag: bool, since: bool, after_cursor: bool) -> Select[Any]:
    """The select for one combination of filters, built once: its values are bound parameters, so
    each request only binds them (building a select costs about as much as running this one)."""
    query = select(*(_ENTRIES[name] for name in EntryRecord._fields))
    # A tag's entries are a page of the tag's summary rows (models.EntryTag), in their key's order,
    # however many entries the tag's blogs have; the others, a page of the entries' own indexes.
    keys = _ENTRY_TAGS if by_tag else _ENTRIES
    entry_id = _ENTRY_TAGS.entry_id if by_tag else _ENTRIES.id
    if by_tag:
        query = query.join(EntryTag.__table__, _ENTRY_TAGS.entry_id == _ENTRIES.id)
        query = query.where(_ENTRY_TAGS.tag == bindparam("tag"))
    query = query.order_by(keys.published_at.desc(), entry_id.desc()).limit(bindparam("limit"))
    if by_blog:
        query = query.where(keys.blog_id == bindparam("blog_id"))
    if since:
        query = query.where(keys.published_at >= bindparam("since"))
    if after_cursor:
        published_at = bindparam("cursor_published_at", type_=_ENTRIES.published_at.type)
        query = query.where(
            or_(
                keys.published_at < published_at,
                and_(keys.published_at == published_at, entry_id < bindparam("cursor_id")),
            )
        )
    return query


def get_entry(session: Session, entry_id: int) -> Entry | None:
    if not 0 < entry_id <= MAX_ID:
        return None
    return session.get(Entry, entry_id)


def guid_hash(guid: str) -> str:
    """The indexed key of a guid (guids are arbitrary text, too long to index on every engine)."""
    return hashlib.sha256(guid.encode()).hexdigest()


@dataclass(frozen=True)
class Pruned:
    """How many entries a pruning deleted, and why."""

    too_old: int
    over_limit: int


def prune_entries(
    database: Database,
    *,
    now: dt.datetime,
    retention_days: int,
    per_blog: int,
    batch: int = PRUNE_BATCH,
    stopping: Callable[[], bool] = lambda: False,
) -> Pruned:
    """Deletes the entries published more than `retention_days` before `now`, and those beyond each
    blog's `per_blog` newest (0 turns either off): by primary key, `batch` at a time, each batch in a
    transaction of its own. `stopping()` is asked between batches; true stops it where it is."""
    too_old = 0
    if retention_days:
        cutoff = now - dt.timedelta(days=retention_days)
        # In the order of the (published_at, id) index, so that each batch reads only its own rows.
        query = (
            select(Entry.id)
            .where(Entry.published_at < cutoff)
            .order_by(Entry.published_at, Entry.id)
            .limit(batch)
        )
        too_old = _delete_in_batches(database, query, stopping)
    over_limit = 0
    if per_blog:
        with database.read_sessions() as session:
            # Each blog's count is kept by the database (models.Blog.entry_count): nothing is counted.
            crowded = list(session.scalars(select(Blog.id).where(Blog.entry_count > per_blog)))
        for blog_id in crowded:
            query = (
                select(Entry.id)
                .where(Entry.blog_id == blog_id)
                .order_by(Entry.published_at.desc(), Entry.id.desc())
                .offset(per_blog)
                .limit(batch)
            )
            over_limit += _delete_in_batches(database, query, stopping)
    return Pruned(too_old=too_old, over_limit=over_limit)


def _delete_in_batches(database: Database, query: Select[int], stopping: Callable[[], bool]) -> int:
    """Deletes the rows `query` picks, again and again until it picks none. The ids are read first and
    deleted by key: MariaDB cannot DELETE with a LIMIT in a subquery, and a key range locks no more."""
    deleted = 0
    while not stopping():
        ids = database.in_transaction(lambda session: _delete_batch(session, query))
        deleted += len(ids)
        if not ids:
            break
    return deleted


def _delete_batch(session: Session, query: Select[int]) -> list[int]:
    ids = list(session.scalars(query))
    if ids:
        session.execute(
            delete(Entry).where(Entry.id.in_(ids)), execution_options={"synchronize_session": False}
        )
    return ids
