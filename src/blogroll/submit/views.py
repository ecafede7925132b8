"""The suggestion form: CSRF-protected, a honeypot for robots, the same checks as the API."""

from __future__ import annotations

import logging

from flask import Response, redirect, render_template, request, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response as BaseResponse

from blogroll import web_sessions
from blogroll.config import current_settings
from blogroll.schemas import SubmissionCreate
from blogroll.storage.db import get_session
from blogroll.storage.models import Blog
from blogroll.submissions import Refused, submit
from blogroll.submit import bp
from blogroll.submit.forms import SubmitForm
from blogroll.validation import describe_field, validation_details
from blogroll.webhooks import announce_submission

log = logging.getLogger(__name__)


@bp.before_request
def _protect() -> None:
    """Loads the browser's session (which holds the form's CSRF token) and checks the token on POST."""
    web_sessions.load()
    if request.method == "POST":
        web_sessions.protect()


@bp.after_request
def _never_cached(response: Response) -> Response:
    # The form carries this browser's CSRF token: no cache (the proxy's micro-cache too) may keep it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Cookie"
    return response


@bp.route("", methods=["GET", "POST"])
def submit_page() -> BaseResponse | tuple[str, int] | Response:
    form = SubmitForm()
    existing = None
    if form.validate_on_submit():
        if form.homepage.data:
            log.info("submission honeypot filled from %s; nothing stored", request.remote_addr)
            return redirect(url_for("submit.thanks"), 303)
        values = {
            name: value.strip()
            for name in ("site_url", "name", "feed_url", "note", "contact")
            if (value := getattr(form, name).data or "").strip()
        }
        session = get_session()
        try:
            submission = submit(
                session,
                SubmissionCreate.model_validate(values),
                current_settings(),
                address=request.remote_addr or "unknown",
            )
        except ValidationError as error:
            _attach(form, error)
        except Refused as refused:
            form.form_errors.append(_capitalized(refused.message))
            existing = refused.existing if isinstance(refused.existing, Blog) else None
            page = render_template("submit.html", form=form, existing=existing)
            headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
            return Response(page, status=refused.status, headers=headers)
        else:
            session.commit()
            announce_submission(submission)
            return redirect(url_for("submit.thanks"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("submit.html", form=form, existing=existing), status


@bp.get("/thanks")
def thanks() -> str:
    return render_template("submit_thanks.html")


def _capitalized(message: str) -> str:
    return message[:1].upper() + message[1:]


def _attach(form: SubmitForm, error: ValidationError) -> None:
    """Each schema error beside its field, in words that use the form's own labels."""
    labels = {field.name: str(field.label.text) for field in form}
    for problem in validation_details(error):
        field = getattr(form, problem["field"].split(".")[0], None)
        message = describe_field(problem, labels)
        if field is None or not hasattr(field, "errors"):
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
