"""The JSON API under /api/v1: blogs, entries, OPML import, and its OpenAPI description."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from blogroll.api import docs, views  # noqa: E402,F401  (routes register on bp)
