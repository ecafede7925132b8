"""The admin pages' forms (Flask-WTF: each carries its CSRF token and checks it on submit)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blogroll.storage.models import URL_LENGTH


class SignInForm(FlaskForm):
    name = StringField(_l("User name"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ActionForm(FlaskForm):
    """A button that changes something (sign out, pause, fetch now, remove): only its CSRF token."""


class BlogForm(FlaskForm):
    """The fields only; what a valid blog is, the API's schema says (admin/blogs.py applies it)."""

    name = StringField(_l("Name"))
    feed_url = StringField(_l("Feed address"))
    site_url = StringField(_l("Site address"), validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional()])
    tags = StringField(_l("Tags"), description=_l("Separated by commas."), validators=[Optional()])
    paused = BooleanField(_l("Paused (not fetched)"))


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        description=_l("Who or what the token is for."),
        validators=[DataRequired(), Length(max=100)],
    )


class OpmlFileForm(FlaskForm):
    """An OPML file to import, uploaded from the keeper's computer."""

    file = FileField(
        _l("OPML file"),
        description=_l("An export from a feed reader or another blogroll."),
        validators=[FileRequired(message=_l("Choose an OPML file to import."))],
    )


class OpmlUrlForm(FlaskForm):
    """The address of an OPML file to import, fetched as the worker fetches feeds."""

    url = StringField(
        _l("Address of an OPML file"),
        description=_l("Fetched once, now, from a public address."),
        validators=[
            DataRequired(message=_l("Give the address of the OPML file.")),
            Length(max=URL_LENGTH, message=_l("That address is too long.")),
        ],
    )


class ApproveForm(FlaskForm):
    """Approving a submitted blog, with the tags it gets."""

    tags = StringField(_l("Tags"), description=_l("Separated by commas."), validators=[Optional()])


class RejectForm(FlaskForm):
    """Rejecting a submitted blog: the reason is kept with it."""

    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Say why it is rejected.")), Length(max=500)],
    )
