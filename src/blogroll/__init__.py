"""Blogroll: a community's list of blogs and their latest posts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from blogroll.version import __version__

if TYPE_CHECKING:
    # create_app imports settings itself: pydantic and SQLAlchemy would triple `blogroll --help`.
    from blogroll.config import Settings

__all__ = ["__version__", "create_app"]


def create_app(settings: Settings | None = None) -> Flask:
    """The application factory: settings, logging, database, error handlers, metrics, languages,
    templates, the submission webhook, blueprints."""
    from blogroll import errors, i18n, logs, metrics, templating, web_sessions, webhooks
    from blogroll.admin import bp as admin_bp
    from blogroll.api import bp as api_bp
    from blogroll.config import load_settings
    from blogroll.health import bp as health_bp
    from blogroll.pages import bp as pages_bp
    from blogroll.storage import db
    from blogroll.submit import bp as submit_bp

    settings = settings or load_settings()
    logs.configure(settings.log_level, settings.log_format)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["BLOGROLL_SETTINGS"] = settings
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]

    db.init_app(app, db.Database(db.make_engine(settings)))
    logs.init_app(app, log_requests=settings.access_log and settings.log_format == "json")
    errors.init_app(app)
    if settings.metrics:
        metrics.init_app(app)
    # Before templating: Flask-Babel installs `_`, `gettext` and `ngettext` in every template.
    i18n.init_app(app)
    templating.init_app(app)
    web_sessions.init_app(app)
    webhooks.init_app(app, settings)
    app.register_blueprint(health_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(submit_bp)
    return app
