"""Writing one fetch's result: the blog's fetch state and its entries, in the caller's one transaction.

Every function first moves the fetch state forward with an UPDATE that also checks the claim is
still ours, so a worker whose lease ran out (and whose blog another worker took) writes nothing.
That UPDATE comes first on purpose: it takes the row lock (SQLite: the write lock) before any read.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from blogroll.config import Settings
from blogroll.storage.entries import guid_hash
from blogroll.storage.models import URL_LENGTH, Blog, Entry
from blogroll.worker.claim import KEEP_UPDATED_AT, RELEASED, Claim
from blogroll.worker.fetch import FeedResponse, FetchError
from blogroll.worker.parse import ParsedEntry

ERROR_LENGTH = 1000
GONE_MESSAGE = "410 Gone: the feed was removed; the blog is disabled until refreshed or edited"


class ClaimLost(Exception):
    """The lease ran out and the blog may belong to another worker now; nothing was written."""


@dataclass(frozen=True)
class Stored:
    new: int
    updated: int


def store_feed(
    session: Session,
    claim: Claim,
    response: FeedResponse,
    entries: Sequence[ParsedEntry],
    *,
    settings: Settings,
    now: dt.datetime,
) -> Stored:
    """A fetched feed: new entries are added, changed ones updated, none duplicated."""
    _finish(
        session,
        claim,
        last_status=response.status,
        etag=_fits(response.etag, 512),
        last_modified=_fits(response.last_modified, 128),
        consecutive_errors=0,
        last_error=None,
        next_fetch_at=now + next_interval(settings),
        last_fetched_at=now,
    )
    _follow_permanent_redirect(session, claim, response.moved_to)
    return _upsert_entries(session, claim.blog_id, entries, now)


def store_not_modified(
    session: Session, claim: Claim, response: FeedResponse, *, settings: Settings, now: dt.datetime
) -> None:
    """A 304: only the schedule moves; the validators are kept unless the server sent new ones."""
    state = _not_modified_state(claim, response, settings=settings, now=now)
    _finish(session, claim, last_status=304, consecutive_errors=0, last_error=None, **state)
    _follow_permanent_redirect(session, claim, response.moved_to)


def _not_modified_state(
    claim: Claim, response: FeedResponse, *, settings: Settings, now: dt.datetime
) -> dict[str, Any]:
    """What a 304 changes beyond its status, the same for one blog as for many (`_NOT_MODIFIED`)."""
    return {
        "etag": _fits(response.etag, 512) or claim.etag,
        "last_modified": _fits(response.last_modified, 128) or claim.last_modified,
        "next_fetch_at": now + next_interval(settings),
        "last_fetched_at": now,
    }


def store_not_modified_many(
    session: Session, finished: Sequence[tuple[Claim, FeedResponse]], *, settings: Settings, now: dt.datetime
) -> bool:
    """Many 304s in one go: one prepared UPDATE, sent for every blog at once (PostgreSQL pipelines
    them into one round trip). If a claim was lost or a feed moved, nothing is written and it
    returns False: the caller then stores them one by one with `store_not_modified`."""
    if any(response.moved_to not in (None, claim.feed_url) for claim, response in finished):
        return False
    rows = [
        {
            "blog": claim.blog_id,
            "held_until": claim.until,
            **_not_modified_state(claim, response, settings=settings, now=now),
        }
        for claim, response in finished
    ]
    savepoint = session.begin_nested()
    written = session.connection().execute(_NOT_MODIFIED, rows).rowcount
    if written == len(rows):
        savepoint.commit()
        return True
    savepoint.rollback()
    return False


# The 304s' UPDATE, built once. As in `_finish`, the WHERE clause checks that the claim is ours.
_NOT_MODIFIED = (
    update(Blog)
    .where(Blog.id == bindparam("blog"), Blog.claimed_until == bindparam("held_until"))
    .values(
        **RELEASED,
        last_status=304,
        consecutive_errors=0,
        last_error=None,
        etag=bindparam("etag"),
        last_modified=bindparam("last_modified"),
        next_fetch_at=bindparam("next_fetch_at"),
        last_fetched_at=bindparam("last_fetched_at"),
        **KEEP_UPDATED_AT,
    )
)


def store_failure(
    session: Session, claim: Claim, error: FetchError, *, settings: Settings, now: dt.datetime
) -> None:
    """A failed fetch: the error is recorded and the next try backs off; 410 Gone disables the blog."""
    errors = claim.consecutive_errors + 1
    state: dict[str, Any] = {
        "last_status": error.status,
        "consecutive_errors": errors,
        "last_error": str(error)[:ERROR_LENGTH],
        "next_fetch_at": now + backoff(settings, errors, error.retry_after),
        "last_fetched_at": now,
    }
    if error.status == 410:
        state.update(enabled=False, last_error=GONE_MESSAGE)
    _finish(session, claim, **state)


def next_interval(settings: Settings) -> dt.timedelta:
    """The regular wait, give or take 10% so blogs added together do not stay fetched together."""
    return dt.timedelta(seconds=settings.fetch_interval * random.uniform(0.9, 1.1))  # noqa: S311 - jitter


def backoff(settings: Settings, errors: int, retry_after: float | None = None) -> dt.timedelta:
    """The wait after `errors` failures in a row: the interval, doubled per failure, with jitter,
    never shorter than the server's Retry-After nor longer than `fetch_max_backoff`."""
    ceiling = settings.fetch_max_backoff
    doubled = settings.fetch_interval * 2 ** min(errors - 1, 32)
    seconds = min(ceiling, doubled) * random.uniform(0.75, 1.0)  # noqa: S311 - jitter
    if retry_after is not None:
        seconds = max(seconds, min(retry_after, ceiling))
    return dt.timedelta(seconds=seconds)


def _finish(session: Session, claim: Claim, **state: Any) -> None:
    """Writes the fetch state and releases the claim, if the claim is still ours."""
    result = session.execute(
        update(Blog)
        .where(Blog.id == claim.blog_id, Blog.claimed_until == claim.until)
        .values(**RELEASED, **state, **KEEP_UPDATED_AT),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ClaimLost(f"blog {claim.blog_id}: the claim expired or the blog was deleted")


def _follow_permanent_redirect(session: Session, claim: Claim, moved_to: str | None) -> None:
    """After a 301/308 the blog's feed URL becomes the new one, unless another blog has that one."""
    if moved_to is None or moved_to == claim.feed_url or len(moved_to) > URL_LENGTH:
        return
    taken = session.scalar(select(Blog.id).where(Blog.feed_url == moved_to, Blog.id != claim.blog_id))
    if taken is not None:
        return
    session.execute(
        update(Blog).where(Blog.id == claim.blog_id).values(feed_url=moved_to),
        execution_options={"synchronize_session": False},
    )


def _upsert_entries(
    session: Session, blog_id: int, entries: Sequence[ParsedEntry], now: dt.datetime
) -> Stored:
    unique: dict[str, ParsedEntry] = {}
    for entry in entries:
        unique.setdefault(guid_hash(entry.guid), entry)
    existing: dict[str, Entry] = {}
    keys = list(unique)
    for start in range(0, len(keys), 500):
        hashes = keys[start : start + 500]
        query = select(Entry).where(Entry.blog_id == blog_id, Entry.guid_hash.in_(hashes))
        existing.update((row.guid_hash, row) for row in session.scalars(query))
    new_rows: list[dict[str, Any]] = []
    updated = 0
    # Oldest first, so that entries sharing a time (undated ones) list in the feed's order.
    for key, entry in reversed(unique.items()):
        row = existing.get(key)
        if row is None:
            new_rows.append(_new_entry(blog_id, key, entry, now))
        elif _update_entry(row, entry):
            updated += 1
    session.flush()
    if new_rows:
        # One multi-row INSERT rather than an ORM object per entry: most of a first fetch's cost.
        session.execute(insert(Entry), new_rows)
    return Stored(new=len(new_rows), updated=updated)


def _new_entry(blog_id: int, key: str, entry: ParsedEntry, now: dt.datetime) -> dict[str, Any]:
    """An entry's row. The summary is already sanitized (parse_feed does it, as the model would)."""
    return {
        "blog_id": blog_id,
        "guid": entry.guid,
        "guid_hash": key,
        "title": entry.title,
        "link": entry.link,
        "author": entry.author,
        "summary": entry.summary,
        "published_at": entry.published_at or now,
        "fetched_at": now,
    }


def _update_entry(row: Entry, entry: ParsedEntry) -> bool:
    """Copies what changed onto the stored entry; an undated entry keeps the date it was first seen."""
    changes: dict[str, Any] = {
        "title": entry.title,
        "link": entry.link,
        "author": entry.author,
        "summary": entry.summary,
    }
    if entry.published_at is not None:
        changes["published_at"] = entry.published_at
    changed = False
    for field, value in changes.items():
        if getattr(row, field) != value:
            setattr(row, field, value)
            changed = True
    return changed


def _fits(value: str | None, length: int) -> str | None:
    """A validator longer than its column is useless when cut, so it is dropped instead."""
    return value if value is not None and len(value) <= length else None
