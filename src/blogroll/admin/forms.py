"""The admin pages' forms (Flask-WTF: each carries its CSRF token and checks it on submit)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blogroll.storage.models import URL_LENGTH
from blogroll.translate import lazy_gettext as _l


class SignInForm(FlaskForm):
    name = StringField("User name", validators=[DataRequired(), Length(max=100)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class ActionForm(FlaskForm):
    """A button that changes something (sign out, pause, fetch now, remove): only its CSRF token."""


class BlogForm(FlaskForm):
    """The fields only; what a valid blog is, the API's schema says (admin/blogs.py applies it)."""

    name = StringField("Name")
    feed_url = StringField("Feed address")
    site_url = StringField("Site address", validators=[Optional()])
    description = TextAreaField("Description", validators=[Optional()])
    tags = StringField("Tags", description="Separated by commas.", validators=[Optional()])
    paused = BooleanField("Paused (not fetched)")


class TokenForm(FlaskForm):
    name = StringField(
        "Name", description="Who or what the token is for.", validators=[DataRequired(), Length(max=100)]
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
