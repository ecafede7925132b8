"""Writing finished fetches: each blog's fetch state and entries, and what became of it.

`store_results` takes what the fetch threads brought back and writes it, one transaction per blog
(so a fetch cut short leaves nothing half-written) and the 304s that finished together in one.
The functions below it write one result in the caller's transaction. Every one of them first moves
the fetch state forward with an UPDATE that also checks the claim is still ours, so a worker whose
lease ran out (and whose blog another worker took) writes nothing. That UPDATE comes first on
purpose: it takes the row lock (SQLite: the write lock) before any read.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from blogroll.config import Settings
from blogroll.storage.blogs import GONE_REASON
from blogroll.storage.db import Database
from blogroll.storage.entries import guid_hash
from blogroll.storage.models import URL_LENGTH, Blog, Entry, utcnow
from blogroll.worker.claim import KEEP_UPDATED_AT, RELEASED, Claim, give_back
from blogroll.worker.fetch import FeedResponse, FetchError
from blogroll.worker.limits import too_old, within_limits
from blogroll.worker.parse import FeedParseError, ParsedEntry

log = logging.getLogger(__name__)

ERROR_LENGTH = 1000
GONE_MESSAGE = "410 Gone: the feed was removed; the blog is disabled until refreshed or edited"

# Why a fetch failed: the network or the server (FetchError), or a body that is not a feed.
Failure = FetchError | FeedParseError
Kind = Literal["stored", "not_modified", "failed", "abandoned", "lost"]


class ClaimLost(Exception):
    """The lease ran out and the blog may belong to another worker now; nothing was written."""


@dataclass(frozen=True)
class Fetched:
    """A fetch thread's result, to be stored: a response (with its parsed entries unless it is a
    304), a failure, or nothing because the worker gave up on it while stopping."""

    claim: Claim
    response: FeedResponse | None = None
    entries: list[ParsedEntry] = field(default_factory=list)
    error: Failure | None = None
    abandoned: bool = False

    @property
    def not_modified(self) -> bool:
        return self.response is not None and self.response.not_modified


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed blog."""

    claim: Claim
    kind: Kind
    new: int = 0
    updated: int = 0
    error: str | None = None


@dataclass(frozen=True)
class Stored:
    new: int
    updated: int


def internal_error(error: Exception) -> FetchError:
    """What a blog records after a bug or a database failure, so that it backs off like any failure."""
    return FetchError(f"internal error: {error.__class__.__name__}")


def store_results(database: Database, finished: Sequence[Fetched], *, settings: Settings) -> list[Outcome]:
    """Writes finished fetches: 304s in one transaction (only their schedule moves), every other
    blog in a transaction of its own, so a blog has all of a fetch's entries or none; never raises."""
    outcomes = [_store_one(database, fetched, settings) for fetched in finished if not fetched.not_modified]
    not_modified = [fetched for fetched in finished if fetched.not_modified]
    if len(not_modified) == 1:
        outcomes.append(_store_one(database, not_modified[0], settings))
    elif not_modified:
        try:
            outcomes.extend(_store_not_modified_together(database, not_modified, settings))
        except Exception:
            log.warning("cannot store %d 304s together; storing them one by one", len(not_modified))
            outcomes.extend(_store_one(database, fetched, settings) for fetched in not_modified)
    return outcomes


def _store_one(database: Database, fetched: Fetched, settings: Settings) -> Outcome:
    """Stores one blog's result in one transaction; never raises."""
    claim = fetched.claim
    if fetched.abandoned:
        give_back(database, [claim])
        return Outcome(claim, "abandoned")
    try:
        return _unless_lost(claim, partial(_write_one, database, fetched, settings))
    except Exception as error:
        # A bug or a database failure: record it on the blog if possible, so it backs off.
        log.exception("blog %d %s: unexpected error", claim.blog_id, claim.feed_url)
        failure = internal_error(error)
        try:
            _write_failure(database, claim, failure, settings)
        except Exception:
            log.warning("blog %d: cannot record the error either", claim.blog_id)
        return Outcome(claim, "failed", error=str(failure))


def _write_one(database: Database, fetched: Fetched, settings: Settings) -> Outcome:
    claim, response = fetched.claim, fetched.response
    if fetched.error is not None:
        _write_failure(database, claim, fetched.error, settings)
        log.info("blog %d %s: %s", claim.blog_id, claim.feed_url, fetched.error)
        return Outcome(claim, "failed", error=str(fetched.error))
    assert response is not None
    now = utcnow()
    if response.not_modified:
        return database.in_transaction(
            lambda session: _write_not_modified(session, claim, response, settings, now)
        )
    stored = database.in_transaction(
        lambda session: store_feed(session, claim, response, fetched.entries, settings=settings, now=now)
    )
    log.info("blog %d %s: %d new, %d updated", claim.blog_id, response.url, stored.new, stored.updated)
    return Outcome(claim, "stored", new=stored.new, updated=stored.updated)


def _write_failure(database: Database, claim: Claim, error: Failure, settings: Settings) -> None:
    with database.transaction() as session:
        store_failure(session, claim, error, settings=settings, now=utcnow())


def _store_not_modified_together(
    database: Database, finished: Sequence[Fetched], settings: Settings
) -> list[Outcome]:
    """One transaction for all of them: one UPDATE when every claim holds and no feed moved, else
    one per blog, which tells which claims were lost."""
    now = utcnow()
    answered = [(fetched.claim, fetched.response) for fetched in finished if fetched.response]
    with database.transaction() as session:
        if store_not_modified_many(session, answered, settings=settings, now=now):
            for claim, _response in answered:
                log.info("blog %d %s: not modified", claim.blog_id, claim.feed_url)
            return [Outcome(claim, "not_modified") for claim, _response in answered]
        return [
            _unless_lost(claim, partial(_write_not_modified, session, claim, response, settings, now))
            for claim, response in answered
        ]


def _write_not_modified(
    session: Session, claim: Claim, response: FeedResponse, settings: Settings, now: dt.datetime
) -> Outcome:
    store_not_modified(session, claim, response, settings=settings, now=now)
    log.info("blog %d %s: not modified", claim.blog_id, claim.feed_url)
    return Outcome(claim, "not_modified")


def _unless_lost(claim: Claim, write: Callable[[], Outcome]) -> Outcome:
    """Runs one blog's write; if its claim was lost, nothing was written (its UPDATE matched no
    row) and the result is dropped."""
    try:
        return write()
    except ClaimLost as lost:
        log.warning("%s; its result was dropped", lost)
        return Outcome(claim, "lost")


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
        failing_since=None,
        next_fetch_at=now + next_interval(settings),
        last_fetched_at=now,
    )
    _follow_permanent_redirect(session, claim, response.moved_to)
    kept = [within_limits(entry) for entry in entries if not too_old(entry, settings=settings, now=now)]
    return _upsert_entries(session, claim.blog_id, kept, now)


def store_not_modified(
    session: Session, claim: Claim, response: FeedResponse, *, settings: Settings, now: dt.datetime
) -> None:
    """A 304: only the schedule moves; the validators are kept unless the server sent new ones."""
    state = _not_modified_state(claim, response, settings=settings, now=now)
    _finish(
        session, claim, last_status=304, consecutive_errors=0, last_error=None, failing_since=None, **state
    )
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
        failing_since=None,
        etag=bindparam("etag"),
        last_modified=bindparam("last_modified"),
        next_fetch_at=bindparam("next_fetch_at"),
        last_fetched_at=bindparam("last_fetched_at"),
        **KEEP_UPDATED_AT,
    )
)


def store_failure(
    session: Session, claim: Claim, error: Failure, *, settings: Settings, now: dt.datetime
) -> None:
    """A failed fetch: the error is recorded and the next try backs off; 410 Gone pauses the blog, and
    so do too many failures in a row or too many days of them (`pause_reason`)."""
    # A body that is not a feed came with a success (a 2xx), recorded as 200.
    status, retry_after = (error.status, error.retry_after) if isinstance(error, FetchError) else (200, None)
    errors = claim.consecutive_errors + 1
    failing_since = claim.failing_since or now
    state: dict[str, Any] = {
        "last_status": status,
        "consecutive_errors": errors,
        "last_error": str(error)[:ERROR_LENGTH],
        "failing_since": failing_since,
        "next_fetch_at": now + backoff(settings, errors, retry_after),
        "last_fetched_at": now,
    }
    if status == 410:
        state.update(enabled=False, last_error=GONE_MESSAGE, paused_reason=GONE_REASON)
    else:
        reason = pause_reason(settings, errors, failing_since, state["last_error"], now=now)
        if reason is not None:
            state.update(enabled=False, paused_reason=reason)
            log.warning("blog %d %s: %s", claim.blog_id, claim.feed_url, reason)
    _finish(session, claim, **state)


def pause_reason(
    settings: Settings, errors: int, failing_since: dt.datetime, last_error: str, *, now: dt.datetime
) -> str | None:
    """Why a failing blog is paused now, in words, or None: a feed that has failed
    `pause_after_failures` times in a row, or for `pause_after_days` days, is taken to be dead."""
    if settings.pause_after_failures and errors >= settings.pause_after_failures:
        return f"paused after {errors} consecutive failures; last error: {last_error}"[:ERROR_LENGTH]
    days = settings.pause_after_days
    if days and now - failing_since >= dt.timedelta(days=days):
        return f"paused: no successful fetch in {days} days; last error: {last_error}"[:ERROR_LENGTH]
    return None


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
    for column, value in changes.items():
        if getattr(row, column) != value:
            setattr(row, column, value)
            changed = True
    return changed


def _fits(value: str | None, length: int) -> str | None:
    """A validator longer than its column is useless when cut, so it is dropped instead."""
    return value if value is not None and len(value) <= length else None
