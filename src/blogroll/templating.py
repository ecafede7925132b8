"""What every template can use, registered on the app itself: error pages render without any blueprint."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import babel.dates
from babel.dates import get_datetime_format
from flask import Flask
from flask_babel import format_number, get_locale, gettext
from markupsafe import Markup
from werkzeug.http import HTTP_STATUS_CODES

from blogroll.config import current_settings
from blogroll.formats import rfc3339, web_url
from blogroll.i18n import DEFAULT_LANGUAGE, N_
from blogroll.icon_urls import icon_url
from blogroll.version import __version__

# The statuses Blogroll's pages can answer with, in words the catalog translates (any other keeps
# Werkzeug's English phrase).
STATUS_PHRASES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    409: N_("Conflict"),
    413: N_("Request Entity Too Large"),
    415: N_("Unsupported Media Type"),
    422: N_("Unprocessable Entity"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
}


def site_values() -> dict[str, Any]:
    """Values every template (error pages included) can use."""
    return {"site_title": current_settings().site_title, "version": __version__}


def status_phrase(status: int) -> str:
    if status in STATUS_PHRASES:
        return str(gettext(STATUS_PHRASES[status]))
    return HTTP_STATUS_CODES.get(status, "Error")


def local_datetime(value: dt.datetime) -> str:
    """A time as the reader's language writes it, to the minute ("Mar 1, 2026, 9:00 AM",
    "1 mar 2026, 9:00"), in UTC; the machine-readable `datetime=` attribute keeps `rfc3339`."""
    return _written_datetime(value, str(get_locale() or DEFAULT_LANGUAGE))


@functools.lru_cache(maxsize=8192)
def _written_datetime(value: dt.datetime, locale: str) -> str:
    """Remembered: a page shows 30 times, most of them shown again on the next request, and Babel
    takes about 0.1 ms to write each (a third of a page's CPU before)."""
    when = value.astimezone(dt.UTC)
    pattern = str(get_datetime_format("medium", locale=locale))
    day = babel.dates.format_date(when, "medium", locale=locale)
    minute = babel.dates.format_time(when, "short", tzinfo=dt.UTC, locale=locale)
    return pattern.replace("{1}", day).replace("{0}", minute)


def blog_icon(blog_id: int, digest: str | None, size: int = 16) -> Markup:
    """A blog's icon beside its name, from Blogroll's own origin (never the blog's site); nothing
    when it has none. A function rather than a Jinja macro: a sidebar calls it for every blog, and a
    macro call costs several times more."""
    src = icon_url(blog_id, digest)
    if not src:
        return Markup("")
    return Markup('<img class="icon" src="{}" width="{}" height="{}" alt="" loading="lazy">').format(
        src, size, size
    )


def local_number(value: int | float) -> str:
    """A number with the reader's language's digit grouping (1,234 / 1.234)."""
    return str(format_number(value))


def init_app(app: Flask) -> None:
    # `{{ _("...") }}` in templates. The i18n branch installs real translations (Flask-Babel); until
    # then, and for any app without them, strings pass through unchanged. The check is on the key
    # Jinja files the extension under, so translations installed earlier are never replaced.
    if "jinja2.ext.InternationalizationExtension" not in app.jinja_env.extensions:
        app.jinja_env.add_extension("jinja2.ext.i18n")
        app.jinja_env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    app.context_processor(site_values)
    app.add_template_filter(web_url, "web_url")
    app.add_template_filter(rfc3339, "rfc3339")
    app.add_template_filter(status_phrase, "status_phrase")
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(local_number, "local_number")
    app.add_template_global(blog_icon, "blog_icon")
