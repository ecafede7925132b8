"""The queue of submitted blogs: each with what discovery found and any blog it duplicates; approve
or reject in one click."""

from __future__ import annotations

import re

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from pydantic import ValidationError
from werkzeug.wrappers import Response as BaseResponse

from blogroll.admin import bp
from blogroll.admin.forms import ApproveForm, RejectForm
from blogroll.schemas import SubmissionApproval
from blogroll.storage import blogs
from blogroll.storage import submissions as stored
from blogroll.storage.db import get_session
from blogroll.storage.models import Submission
from blogroll.submissions import Refused, approve, discovery_of, reject
from blogroll.validation import validation_details


@bp.context_processor
def _pending_count() -> dict[str, object]:
    """The header's "Submissions (3)": counted only for a signed-in keeper."""
    if g.get("user") is None:
        return {}
    return {"pending_submissions": stored.count_pending(get_session())}


@bp.get("/submissions")
def submission_list() -> str:
    session = get_session()
    rows = []
    for submission in stored.list_submissions(session, status="pending"):
        same_feed = blogs.find_blog_by_feed_url(session, submission.feed_url) if submission.feed_url else None
        same_site = [
            b for b in blogs.find_blogs_by_site_url(session, submission.site_url) if b is not same_feed
        ]
        rows.append(
            {
                "submission": submission,
                "found": discovery_of(submission),
                "same_feed": same_feed,
                "same_site": same_site,
            }
        )
    return render_template(
        "admin/submissions.html",
        rows=rows,
        approve_form=ApproveForm(formdata=None),
        reject_form=RejectForm(formdata=None),
    )


@bp.post("/submissions/<int:submission_id>/approve")
def submission_approve(submission_id: int) -> BaseResponse:
    form = ApproveForm()
    submission = _submission_or_404(submission_id)
    tags = [tag for tag in re.split(r"[,\n]+", form.tags.data or "") if tag.strip()]
    try:
        valid = SubmissionApproval.model_validate({"tags": tags})
    except ValidationError as error:
        flash(_("Not approved: %(problem)s", problem=validation_details(error)[0]["message"]))
        return redirect(url_for("admin.submission_list"))
    session = get_session()
    try:
        blog = approve(session, submission, by=g.user.name, tags=valid.tags)
    except Refused as refused:
        flash(_("Not approved: %(problem)s", problem=refused.message))
        return redirect(url_for("admin.submission_list"))
    session.commit()
    flash(_("Approved %(name)s: it is in the blogroll now.", name=blog.name))
    return redirect(url_for("admin.submission_list"))


@bp.post("/submissions/<int:submission_id>/reject")
def submission_reject(submission_id: int) -> BaseResponse:
    form = RejectForm()
    submission = _submission_or_404(submission_id)
    if not form.validate():
        flash(_("Not rejected: %(problem)s", problem=" ".join(str(error) for error in form.reason.errors)))
        return redirect(url_for("admin.submission_list"))
    session = get_session()
    try:
        reject(session, submission, by=g.user.name, reason=(form.reason.data or "").strip())
    except Refused as refused:
        flash(_("Not rejected: %(problem)s", problem=refused.message))
        return redirect(url_for("admin.submission_list"))
    session.commit()
    flash(_("Rejected %(name)s.", name=submission.name or submission.site_url))
    return redirect(url_for("admin.submission_list"))


def _submission_or_404(submission_id: int) -> Submission:
    submission = stored.get_submission(get_session(), submission_id)
    if submission is None:
        abort(404, description=_("There is no submission with id %(id)s.", id=submission_id))
    return submission
