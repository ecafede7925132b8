"""The public page where anyone may suggest a blog for the blogroll: /submit. No account needed."""

from flask import Blueprint

bp = Blueprint("submit", __name__, url_prefix="/submit")

from blogroll.submit import views  # noqa: E402,F401  (routes register on bp)
