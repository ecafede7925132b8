"""The JSON API under /api/v1: blogs, entries, OPML import, submissions, and its OpenAPI description."""

from flask import Blueprint

from blogroll.caching import expire_with_this_second

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The proxy's micro-cache keeps a successful read until the current second ends (at most 1 s old).
bp.after_request(expire_with_this_second)

from blogroll.api import docs, submissions, views  # noqa: E402,F401  (routes register on bp)
