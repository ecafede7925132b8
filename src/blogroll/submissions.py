"""Blogs suggested by readers: accepting one into the queue (bounded, one address at a time, no
duplicates, its feed found first), and a keeper approving or rejecting it.

The API, the public form and the admin pages share these functions, so each refuses the same
submissions for the same reasons. Every refusal is a `Refused` carrying the HTTP status that says it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from blogroll.discovery import NoFeedFound
from blogroll.i18n import gettext as _
from blogroll.new_blogs import prepare_blog
from blogroll.schemas import BlogCreate, SubmissionCreate
from blogroll.storage import blogs
from blogroll.storage import submissions as stored
from blogroll.storage.models import Blog, Submission, utcnow

if TYPE_CHECKING:
    from blogroll.config import Settings
    from blogroll.worker.fetch import GuardedBackend

RATE_WINDOW = dt.timedelta(hours=1)
# How long a full queue asks submitters to wait: keepers work through it by the day, not the second.
QUEUE_FULL_RETRY = 3600


class Refused(Exception):
    """A submission (or a decision on one) refused: its status, stable code and message in words."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        retry_after: int | None = None,
        details: Any = None,
        existing: Blog | Submission | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.retry_after = retry_after
        self.details = details
        self.existing = existing


def submit(
    session: Session,
    given: SubmissionCreate,
    settings: Settings,
    *,
    address: str,
    backend: GuardedBackend | None = None,
) -> Submission:
    """Queues `given` once its feed is found; raises Refused (429, 503, 409, 422) otherwise.

    The cheap checks come first, so a client over its limit or a full queue costs no fetch. Their
    transaction ends before discovery, which waits on the network for up to 20 s: no lock is held
    meanwhile (on SQLite a write transaction holds the database's only write lock). The checks are
    made again with the queue locked, just before storing, so two identical submissions at the same
    moment queue one and refuse the other. The caller commits.
    """
    site_url = str(given.site_url)
    _check_room(session, settings, address)
    _check_pending(session, site_url, None)
    session.rollback()  # nothing written yet: only ends the transaction of the checks
    fields: dict[str, Any] = {"site_url": site_url}
    fields |= {name: getattr(given, name) for name in ("name", "feed_url") if name in given.model_fields_set}
    try:
        prepared = prepare_blog(
            BlogCreate.model_validate(fields), settings, backend=backend, always_discover=True
        )
    except NoFeedFound as missing:
        raise _no_feed(missing) from None
    blog, found = prepared.blog, prepared.discovery
    assert found is not None  # always_discover
    stored.lock_queue(session)
    _check_room(session, settings, address)
    existing = blogs.find_blog_by_feed_url(session, blog.feed_url)
    if existing is not None:
        message = _("this blog is already in the blogroll, as %(name)s", name=existing.name)
        raise Refused(
            409, "already_in_blogroll", message, details={"blog_id": existing.id}, existing=existing
        )
    _check_pending(session, blog.site_url or site_url, blog.feed_url)
    discovery = {
        "feed_url": blog.feed_url,
        "feed_format": found.feed_format,
        "feed_title": found.feed_title,
        "latest_titles": list(found.latest_titles),
        "reason": found.reason,
    }
    submission = Submission(
        site_url=blog.site_url or site_url,
        name=blog.name,
        feed_url=blog.feed_url,
        note=given.note,
        contact=given.contact,
        status="pending",
        discovery=json.dumps(discovery),
        client_address=address,
    )
    session.add(submission)
    session.flush()
    return submission


def discovery_of(submission: Submission) -> dict[str, Any]:
    """What discovery found for `submission`, as stored."""
    found: dict[str, Any] = json.loads(submission.discovery or "{}")
    return found


def approve(session: Session, submission: Submission, *, by: str, tags: Sequence[str] = ()) -> Blog:
    """Adds the submitted blog to the roll (due for its first fetch) and marks the submission approved."""
    _check_undecided(submission)
    new = blogs.NewBlog(
        name=submission.name or submission.site_url,
        feed_url=submission.feed_url or "",
        site_url=submission.site_url,
        tags=tuple(tags),
    )
    try:
        blog = blogs.create_blog(session, new)
    except blogs.DuplicateFeed as duplicate:
        existing = blogs.get_blog(session, duplicate.existing_id) if duplicate.existing_id else None
        message = _("this blog is already in the blogroll")
        raise Refused(409, "already_in_blogroll", message, existing=existing) from None
    session.flush()
    _decide(submission, "approved", by)
    submission.blog_id = blog.id
    return blog


def reject(session: Session, submission: Submission, *, by: str, reason: str) -> Submission:
    _check_undecided(submission)
    _decide(submission, "rejected", by)
    submission.reject_reason = reason
    return submission


def _decide(submission: Submission, status: str, by: str) -> None:
    submission.status = status
    submission.decided_at = utcnow()
    submission.decided_by = by[:100]


def _check_undecided(submission: Submission) -> None:
    if submission.status != "pending":
        if submission.status == "approved":
            message = _("this submission was already approved")
        else:
            message = _("this submission was already rejected")
        raise Refused(409, "already_decided", message)


def _check_room(session: Session, settings: Settings, address: str) -> None:
    """The client is within its rate, and the queue has room."""
    _check_rate(session, address, settings)
    if stored.count_pending(session) >= settings.submission_queue_limit:
        message = _("the queue of submissions is full; try again later")
        raise Refused(503, "queue_full", message, retry_after=QUEUE_FULL_RETRY)


def _check_rate(session: Session, address: str, settings: Settings) -> None:
    now = utcnow()
    count, oldest = stored.recent_from(session, address, window=RATE_WINDOW, now=now)
    if count < settings.submissions_per_hour:
        return
    wait = RATE_WINDOW.total_seconds() if oldest is None else (oldest + RATE_WINDOW - now).total_seconds()
    message = _(
        "at most %(count)s submissions an hour are accepted from one address; try again later",
        count=settings.submissions_per_hour,
    )
    raise Refused(429, "too_many_submissions", message, retry_after=max(1, math.ceil(wait)))


def _check_pending(session: Session, site_url: str, feed_url: str | None) -> None:
    waiting = stored.find_pending(session, site_url=site_url, feed_url=feed_url)
    if waiting is not None:
        message = _("this blog was already submitted and waits for a keeper")
        raise Refused(409, "already_submitted", message, existing=waiting)


def _no_feed(missing: NoFeedFound) -> Refused:
    # Here, not at the top, as in discovery: httpx stays out of web processes that add no blog.
    from blogroll.worker.fetch import AddressRefused

    if isinstance(missing.__cause__, AddressRefused):
        # The worker's own words name the setting that lifts the guard: not for strangers' eyes.
        message = _("refused: %(url)s is not on the public internet", url=missing.url)
        return Refused(422, "address_refused", message, details={"url": missing.url})
    details = {"url": missing.url, "reason": missing.reason}
    return Refused(422, missing.error, str(missing), details=details)
