"""Plain functions over submitted blogs: the queue keepers work through, and the counts that bound it."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from blogroll.storage.models import MAX_ID, Submission, utcnow

Status = Literal["pending", "approved", "rejected"]
STATUSES: tuple[Status, ...] = ("pending", "approved", "rejected")


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
