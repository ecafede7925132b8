"""API tokens from the browser: create (shown once), list, revoke."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from blogroll.admin import bp
from blogroll.admin.forms import ActionForm, TokenForm
from blogroll.storage import tokens
from blogroll.storage.db import get_session


@bp.route("/tokens", methods=["GET", "POST"])
def token_list() -> BaseResponse | tuple[str, int]:
    session = get_session()
    form = TokenForm()
    created = None
    status = 200
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        try:
            _row, created = tokens.create_token(session, name)
        except tokens.TokenNameTaken:
            form.name.errors = [*form.name.errors, _("A token with this name exists; pick another name.")]
            status = 422
        else:
            session.commit()
            form = TokenForm(formdata=None)
    elif request.method == "POST":
        status = 422
    return render_template(
        "admin/tokens.html", form=form, created=created, rows=tokens.list_tokens(session), action=ActionForm()
    ), status


@bp.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int) -> BaseResponse:
    session = get_session()
    row = tokens.revoke_token(session, str(token_id))
    if row is not None:
        session.commit()
        flash(_("Revoked token %(name)s.", name=row.name))
    return redirect(url_for("admin.token_list"))
