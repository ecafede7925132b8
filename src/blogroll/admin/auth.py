"""Signing in and out, and the guard every other admin page stands behind."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from blogroll import web_sessions
from blogroll.admin import bp
from blogroll.admin.forms import ActionForm, SignInForm
from blogroll.storage import users
from blogroll.storage.db import get_session
from blogroll.storage.models import User

log = logging.getLogger(__name__)
# The pages anyone may open: the sign-in form itself.
PUBLIC_ENDPOINTS = {"admin.sign_in"}


@bp.before_request
def _require_user() -> BaseResponse | None:
    """Loads the session, checks CSRF on every unsafe method, and sends strangers to sign in."""
    web_sessions.load()
    web_sessions.protect()
    user = signed_in_user()
    if user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("admin.sign_in", next=request.full_path.rstrip("?")))
        abort(403)
    return None


def signed_in_user() -> User | None:
    """Who this browser is signed in as (kept in `g.user` for the pages), or None."""
    session = web_sessions.load()
    user = get_session().get(User, session.user_id) if session.user_id else None
    g.user = user
    return user


@bp.after_request
def _never_cached(response: Response) -> Response:
    # Admin pages show private state: no cache (browser, proxy, micro-cache) may keep them.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Cookie"
    return response


@bp.context_processor
def _admin_context() -> dict[str, object]:
    user = g.get("user")
    # formdata=None: the sign-out button only renders, and must not read a body too large to read.
    return {"current_user": user, "signout_form": ActionForm(formdata=None) if user else None}


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site (no open redirect)."""
    default = url_for("admin.blog_list")
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(character) < 32 for character in target):
        return default
    return target


@bp.route("/login", methods=["GET", "POST"])
def sign_in() -> BaseResponse | tuple[str, int]:
    """The sign-in form; failures are counted and throttled (storage.users.authenticate)."""
    form = SignInForm()
    if g.user is not None and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("admin/sign_in.html", form=form), status
    address = request.remote_addr or "unknown"
    try:
        user = users.authenticate(
            get_session(), form.name.data or "", form.password.data or "", address=address
        )
    except users.Throttled as throttled:
        log.warning("sign-in throttled for user %r from %s", form.name.data, address)
        form.form_errors.append(_("Too many failed sign-ins. Wait a few minutes, then try again."))
        page = render_template("admin/sign_in.html", form=form)
        return Response(page, status=429, headers={"Retry-After": str(throttled.retry_after)})
    if user is None:
        get_session().commit()  # the failure counts even though the answer is an error
        log.warning("sign-in failed for user %r from %s", form.name.data, address)
        form.form_errors.append(_("That user name and password do not match."))
        return render_template("admin/sign_in.html", form=form), 401
    get_session().commit()
    web_sessions.sign_in(user.id)
    log.info("user %r signed in from %s", user.name, address)
    return redirect(safe_next(request.args.get("next")))


@bp.post("/logout")
def sign_out() -> BaseResponse:
    ActionForm()  # the CSRF token was checked before the view ran
    web_sessions.sign_out()
    return redirect(url_for("admin.sign_in"))
