"""The suggestion form (Flask-WTF: it carries its CSRF token and checks it on submit)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField


class SubmitForm(FlaskForm):
    """The fields only; what a valid submission is, the API's schema says."""

    site_url = StringField(
        _l("Site address"), description=_l("The blog's home page, e.g. https://example.org/")
    )
    name = StringField(_l("Name"), description=_l("Optional: found from the feed when left empty."))
    feed_url = StringField(
        _l("Feed address"), description=_l("Optional: found from the site when left empty.")
    )
    note = TextAreaField(_l("Note for the keepers"), description=_l("Optional: why it belongs here."))
    contact = StringField(
        _l("How to reach you"), description=_l("Optional: shown to the keepers only, never publicly.")
    )
    # A honeypot: hidden from people (CSS and aria-hidden), filled in by robots that fill every field.
    homepage = StringField(_l("Leave this empty"))
