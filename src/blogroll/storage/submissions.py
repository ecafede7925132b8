"""Plain functions over submitted blogs: the queue keepers work through, and the counts that bound it."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from blogroll.storage.models import MAX_ID, Submission, utcnow

Status = Literal["pending", "approved", "rejected"]
STATUSES: tuple[Status, ...] = ("pending", "approved", "rejected")
# The key of the queue's lock on PostgreSQL, whose advisory locks are numbers: the bytes of "submit".
QUEUE_LOCK_KEY = int.from_bytes(b"submit", "big")


def get_submission(session: Session, submission_id: int) -> Submission | None:
    if not 0 < submission_id <= MAX_ID:
        return None
    return session.get(Submission, submission_id)


def list_submissions(
    session: Session, *, status: Status = "pending", after_id: int | None = None, limit: int | None = None
) -> list[Submission]:
    """Submissions with `status`, oldest first (the order a queue is worked in); `after_id` pages on."""
    query = select(Submission).where(Submission.status == status).order_by(Submission.id)
    if after_id is not None:
        query = query.where(Submission.id > after_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def count_pending(session: Session) -> int:
    return session.scalar(select(func.count()).where(Submission.status == "pending")) or 0


def find_pending(session: Session, *, site_url: str, feed_url: str | None = None) -> Submission | None:
    """A pending submission of the same site or the same feed, if one waits already."""
    same = Submission.site_url == site_url
    if feed_url is not None:
        same = or_(same, Submission.feed_url == feed_url)
    query = select(Submission).where(Submission.status == "pending", same).order_by(Submission.id)
    return session.scalars(query.limit(1)).first()


def recent_from(
    session: Session, address: str, *, window: dt.timedelta, now: dt.datetime | None = None
) -> tuple[int, dt.datetime | None]:
    """How many submissions `address` made within `window`, and when the oldest of them was made."""
    since = (now or utcnow()) - window
    count, oldest = session.execute(
        select(func.count(), func.min(Submission.created_at)).where(
            Submission.client_address == address, Submission.created_at >= since
        )
    ).one()
    return int(count), oldest


def lock_queue(session: Session) -> None:
    """Until the session's transaction ends, no other transaction can take this lock, so checking
    for a duplicate and then storing a submission happen one submitter at a time.

    PostgreSQL takes a transaction-scoped advisory lock. MariaDB has no lock of that kind (GET_LOCK
    outlives the transaction, held by the pooled connection), so it locks the row every migrated
    database has, Alembic's version; only a migration writes that row, and reads never wait for it.
    On SQLite a writing transaction already holds the database's one write lock (BEGIN IMMEDIATE).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": QUEUE_LOCK_KEY})
    elif dialect in ("mysql", "mariadb"):
        session.execute(text("SELECT version_num FROM alembic_version FOR UPDATE")).all()
    else:
        # The first statement of the transaction takes SQLite's write lock (see storage.db).
        session.execute(text("SELECT 1"))
