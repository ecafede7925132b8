"""What every template can use, registered on the app itself: error pages render without any blueprint."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES

from blogroll.config import current_settings
from blogroll.formats import rfc3339, web_url
from blogroll.version import __version__


def site_values() -> dict[str, Any]:
    """Values every template (error pages included) can use."""
    return {"site_title": current_settings().site_title, "version": __version__}


def status_phrase(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, "Error")


def init_app(app: Flask) -> None:
    # Templates mark their words for translation as {{ _("...") }}. Until a catalogue is installed,
    # the null translations show them as written; others may add this same block (it is idempotent).
    if "jinja2.ext.i18n" not in app.jinja_env.extensions:
        app.jinja_env.add_extension("jinja2.ext.i18n")
        app.jinja_env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    app.context_processor(site_values)
    app.add_template_filter(web_url, "web_url")
    app.add_template_filter(rfc3339, "rfc3339")
    app.add_template_filter(status_phrase, "status_phrase")
