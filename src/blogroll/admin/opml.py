"""OPML import from the browser: a file uploaded or fetched from its address, then a report of what
became of each outline. The import itself is the API's and the CLI's (`opml_import.import_opml`)."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse
from wtforms import Field

from blogroll.admin import bp
from blogroll.admin.auth import signed_in_user
from blogroll.admin.forms import OpmlFileForm, OpmlUrlForm
from blogroll.config import current_settings
from blogroll.errors import error_response
from blogroll.i18n import gettext as _
from blogroll.opml import OpmlError
from blogroll.opml_import import OpmlFetchFailed, fetch_opml, import_opml, too_large
from blogroll.storage.blogs import DuplicateFeed
from blogroll.storage.db import get_session


@bp.get("/import")
def opml_import() -> str:
    return _page(OpmlFileForm(formdata=None), OpmlUrlForm(formdata=None))


@bp.post("/import/file")
def opml_import_file() -> tuple[str, int]:
    form = OpmlFileForm()
    if form.validate_on_submit():
        upload: FileStorage = form.file.data
        return _import(
            upload.read(), form.file, upload.filename or _("the file"), form, OpmlUrlForm(formdata=None)
        )
    return _page(form, OpmlUrlForm(formdata=None)), 422


@bp.post("/import/url")
def opml_import_url() -> tuple[str, int]:
    form = OpmlUrlForm()
    if form.validate_on_submit():
        url = (form.url.data or "").strip()
        try:
            data = fetch_opml(url, current_settings())
        except OpmlFetchFailed as failed:
            form.url.errors = [*form.url.errors, str(failed)]
        else:
            return _import(data, form.url, url, OpmlFileForm(formdata=None), form)
    return _page(OpmlFileForm(formdata=None), form), 422


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> BaseResponse | tuple[str, int]:
    """An upload over `max_body_bytes` is answered on the import form, in words; it was never read,
    so nothing was imported (and its CSRF token never checked: the page changes nothing)."""
    # The guard stopped at the CSRF check, which could not read the body: who is it?
    if request.endpoint != "admin.opml_import_file" or signed_in_user() is None:
        return error_response(413, "the request body is larger than this server accepts")
    form = OpmlFileForm(formdata=None)
    form.file.errors = [too_large(current_settings().max_body_bytes)]
    return _page(form, OpmlUrlForm(formdata=None)), 413


def _import(
    data: bytes, field: Field, source: str, file_form: OpmlFileForm, url_form: OpmlUrlForm
) -> tuple[str, int]:
    """Imports `data` and shows the report, or shows the form again with the reason beside `field`."""
    session = get_session()
    try:
        done = import_opml(session, data)
    except OpmlError as error:
        where = ""
        if isinstance(error.details, dict) and "line" in error.details:
            where = _(
                " (line %(line)s, column %(column)s)",
                line=error.details["line"],
                column=error.details["column"],
            )
        field.errors = [
            *field.errors,
            _("The file cannot be imported: %(reason)s", reason=error.message) + where,
        ]
        return _page(file_form, url_form), 422
    except DuplicateFeed:
        session.rollback()
        field.errors = [
            *field.errors,
            _("Another change added one of these feeds at the same moment; import again."),
        ]
        return _page(file_form, url_form), 409
    session.commit()
    return render_template(
        "admin/opml_report.html", source=source, parsed=done.parsed, outcome=done.outcome
    ), 200


def _page(file_form: OpmlFileForm, url_form: OpmlUrlForm) -> str:
    return render_template("admin/opml_import.html", file_form=file_form, url_form=url_form)
