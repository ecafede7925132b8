"""HTML pages and the blogroll's feeds: the home page, a blog's page, OPML and Atom."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

from blogroll.pages import feeds, views  # noqa: E402,F401  (routes register on bp)
