"""The submissions API: anyone may suggest a blog (POST, no token); token holders work the queue."""

from __future__ import annotations

from flask import Response, g, request, url_for

from blogroll.api import bp
from blogroll.api.requests import json_body, json_response, query_args, require_token
from blogroll.api.views import _blog_cursor, _next_page, blog_out
from blogroll.config import current_settings
from blogroll.errors import ApiError, error_response
from blogroll.schemas import (
    SubmissionApproval,
    SubmissionCreate,
    SubmissionList,
    SubmissionOut,
    SubmissionQuery,
    SubmissionReceipt,
    SubmissionRejection,
)
from blogroll.storage import submissions as stored
from blogroll.storage.db import get_session
from blogroll.storage.models import Submission
from blogroll.submissions import Refused, approve, discovery_of, reject, submit
from blogroll.webhooks import announce_submission


@bp.post("/submissions")
def create_submission() -> Response:
    """Queues a suggested blog once its feed is found; it appears nowhere public until approved."""
    given = json_body(SubmissionCreate)
    session = get_session()
    try:
        submission = submit(session, given, current_settings(), address=request.remote_addr or "unknown")
    except Refused as refused:
        return refused_response(refused)
    session.commit()
    announce_submission(submission)
    return json_response(SubmissionReceipt.model_validate(_fields(submission)), 202)


@bp.get("/submissions")
@require_token
def list_submissions() -> Response:
    query = query_args(SubmissionQuery)
    page = stored.list_submissions(
        get_session(), status=query.status, after_id=_blog_cursor(query.cursor), limit=query.limit + 1
    )
    next_url = None
    if len(page) > query.limit:
        page = page[: query.limit]
        next_url = _next_page(".list_submissions", SubmissionQuery, cursor=str(page[-1].id))
    items = [SubmissionOut.model_validate(_fields(submission)) for submission in page]
    return json_response(SubmissionList(items=items, next=next_url))


@bp.post("/submissions/<int:submission_id>/approve")
@require_token
def approve_submission(submission_id: int) -> Response:
    given = json_body(SubmissionApproval) if request.content_length or request.is_json else None
    session = get_session()
    submission = _submission_or_404(submission_id)
    try:
        blog = approve(session, submission, by=f"token {g.token_name}", tags=given.tags if given else ())
    except Refused as refused:
        return refused_response(refused)
    session.commit()
    location = url_for(".get_blog", blog_id=blog.id, _external=True)
    return json_response(blog_out(blog), 201, headers={"Location": location})


@bp.post("/submissions/<int:submission_id>/reject")
@require_token
def reject_submission(submission_id: int) -> Response:
    given = json_body(SubmissionRejection)
    session = get_session()
    submission = _submission_or_404(submission_id)
    try:
        reject(session, submission, by=f"token {g.token_name}", reason=given.reason)
    except Refused as refused:
        return refused_response(refused)
    session.commit()
    return json_response(SubmissionOut.model_validate(_fields(submission)))


def refused_response(refused: Refused) -> Response:
    response = error_response(refused.status, refused.message, error=refused.error, details=refused.details)
    if refused.retry_after is not None:
        response.headers["Retry-After"] = str(refused.retry_after)
    return response


def _submission_or_404(submission_id: int) -> Submission:
    submission = stored.get_submission(get_session(), submission_id)
    if submission is None:
        raise ApiError(404, f"there is no submission with id {submission_id}")
    return submission


def _fields(submission: Submission) -> dict[str, object]:
    return {
        "id": submission.id,
        "status": submission.status,
        "site_url": submission.site_url,
        "name": submission.name or "",
        "feed_url": submission.feed_url or "",
        "discovery": discovery_of(submission),
        "created_at": submission.created_at,
        "note": submission.note,
        "contact": submission.contact,
        "client_address": submission.client_address,
        "decided_at": submission.decided_at,
        "decided_by": submission.decided_by,
        "reject_reason": submission.reject_reason,
        "blog_id": submission.blog_id,
    }
