"""Claiming due blogs, so that several workers never fetch the same blog at once.

A claim is a lease: `claimed_until` says until when the blog belongs to the worker that claimed it,
by the database's clock (nodes' clocks may disagree). A worker that crashes leaves its claims
behind, and they simply expire. PostgreSQL and MariaDB pick
the rows with `SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent workers take different blogs
without waiting for each other; SQLite, which has one writer at a time, claims with a single
conditional `UPDATE ... RETURNING`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from sqlalchemy import ColumnElement, Row, or_, select, true, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from blogroll.storage.db import Database, database_now
from blogroll.storage.models import Blog, utcnow

log = logging.getLogger(__name__)

CLAIMED_COLUMNS = (
    Blog.id,
    Blog.feed_url,
    Blog.etag,
    Blog.last_modified,
    Blog.consecutive_errors,
    Blog.failing_since,
    Blog.site_url,
    Blog.icon_check_at,
)
if TYPE_CHECKING:
    ClaimedRow = Row[
        int, str, str | None, str | None, int, dt.datetime | None, str | None, dt.datetime | None
    ]
# The worker's bookkeeping is not an edit of the blog: UPDATEs keep `updated_at` as it was.
KEEP_UPDATED_AT = {"updated_at": Blog.updated_at}
# What freeing a claim writes, whoever frees it: released, finished, or taken back after a crash.
RELEASED = {"claimed_until": None, "claimed_by": None}


@dataclass(frozen=True)
class Claim:
    """A blog this worker may fetch until `until`, with what the fetch needs to know."""

    blog_id: int
    feed_url: str
    etag: str | None
    last_modified: str | None
    consecutive_errors: int
    until: dt.datetime
    # When its current run of failures began; None while it succeeds.
    failing_since: dt.datetime | None = None
    # The blog's site, where its icon is looked for (else the feed's origin); when the icon is next
    # due, as claimed (its store checks nobody moved it meanwhile); whether it is due now.
    site_url: str | None = None
    icon_check_at: dt.datetime | None = None
    icon_due: bool = False

    @property
    def host(self) -> str:
        return urlsplit(self.feed_url).hostname or ""

    @property
    def site(self) -> str:
        """The page whose icon links are read: the blog's site, else its feed's site root."""
        return self.site_url or urljoin(self.feed_url, "/")


def lease_time(now: dt.datetime, lease: dt.timedelta) -> dt.datetime:
    """When a lease taken now ends, in whole seconds: MariaDB keeps no fractions, and a claim is
    recognised by its exact `claimed_until`."""
    return (now + lease).replace(microsecond=0)


def claim_due(
    database: Database,
    *,
    limit: int,
    lease: dt.timedelta,
    owner: str,
    due_by: dt.datetime | None = None,
    blog_ids: Collection[int] | None = None,
) -> list[Claim]:
    """Claims, for the worker named `owner`, up to `limit` enabled blogs due by `due_by` (default
    now) that nobody holds."""
    with database.transaction() as session:
        # The database's clock, not this node's: every worker judges every lease by the same one.
        now = database_now(session)
        until = lease_time(now, lease)
        held = {"claimed_until": until, "claimed_by": owner}
        conditions = _claimable(now, due_by or now, blog_ids)
        if session.get_bind().dialect.name == "sqlite":
            rows = _claim_with_update(session, conditions, limit, held)
        else:
            rows = _claim_skipping_locked(session, conditions, limit, held)
    return [
        Claim(
            blog_id=blog_id,
            feed_url=feed_url,
            etag=etag,
            last_modified=last_modified,
            consecutive_errors=consecutive_errors,
            until=until,
            failing_since=failing_since,
            site_url=site_url,
            icon_check_at=icon_check_at,
            icon_due=icon_check_at is None or icon_check_at <= now,
        )
        for (
            blog_id,
            feed_url,
            etag,
            last_modified,
            consecutive_errors,
            failing_since,
            site_url,
            icon_check_at,
        ) in sorted(rows)
    ]


def release(database: Database, claims: Sequence[Claim]) -> None:
    """Gives blogs back unfetched (the worker is stopping), so another worker can take them now."""
    if not claims:
        return
    with database.transaction() as session:
        for claim in claims:
            session.execute(
                update(Blog)
                .where(Blog.id == claim.blog_id, Blog.claimed_until == claim.until)
                .values(**RELEASED, **KEEP_UPDATED_AT),
                execution_options={"synchronize_session": False},
            )


def give_back(database: Database, claims: Sequence[Claim]) -> None:
    """`release`, for a worker that must not fail for it (stopping, or dropping an abandoned fetch):
    if the database cannot be reached, the claims are left to expire by themselves."""
    try:
        release(database, claims)
    except SQLAlchemyError as error:
        log.warning("cannot release %d claim(s); they expire by themselves: %s", len(claims), error)


def take_back(database: Database, owner: str) -> int:
    """Frees the claims a worker of this name left behind, as a starting worker: they belong to an
    earlier run of it that was killed, so they need not wait for their lease to run out. (Another
    process running under the same name only loses results: its writes check their claim.)"""
    with database.transaction() as session:
        result = session.execute(
            update(Blog)
            .where(Blog.claimed_by == owner, Blog.claimed_until.is_not(None))
            .values(**RELEASED, **KEEP_UPDATED_AT),
            execution_options={"synchronize_session": False},
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


def make_all_due(session: Session) -> None:
    """Every enabled blog becomes due now, failing ones included (`blogroll fetch` without --once)."""
    session.execute(
        update(Blog).where(Blog.enabled == true()).values(next_fetch_at=utcnow(), **KEEP_UPDATED_AT),
        execution_options={"synchronize_session": False},
    )


def _claimable(
    now: dt.datetime, due_by: dt.datetime, blog_ids: Collection[int] | None
) -> list[ColumnElement[bool]]:
    conditions = [
        Blog.enabled == true(),
        Blog.next_fetch_at <= due_by,
        or_(Blog.claimed_until.is_(None), Blog.claimed_until <= now),
    ]
    if blog_ids is not None:
        conditions.append(Blog.id.in_(list(blog_ids)))
    return conditions


def _claim_skipping_locked(
    session: Session, conditions: list[ColumnElement[bool]], limit: int, held: dict[str, Any]
) -> Sequence[ClaimedRow]:
    """PostgreSQL and MariaDB: lock the chosen rows, skipping rows another worker is claiming."""
    rows = session.execute(
        select(*CLAIMED_COLUMNS)
        .where(*conditions)
        .order_by(Blog.next_fetch_at, Blog.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if rows:
        session.execute(
            update(Blog).where(Blog.id.in_([row[0] for row in rows])).values(**held, **KEEP_UPDATED_AT),
            execution_options={"synchronize_session": False},
        )
    return rows


def _claim_with_update(
    session: Session, conditions: list[ColumnElement[bool]], limit: int, held: dict[str, Any]
) -> Sequence[ClaimedRow]:
    """SQLite: one statement that takes the write lock first, so two workers cannot both claim a row."""
    chosen = select(Blog.id).where(*conditions).order_by(Blog.next_fetch_at, Blog.id).limit(limit)
    return session.execute(
        update(Blog)
        .where(Blog.id.in_(chosen.scalar_subquery()), *conditions)
        .values(**held, **KEEP_UPDATED_AT)
        .returning(*CLAIMED_COLUMNS),
        execution_options={"synchronize_session": False},
    ).all()
