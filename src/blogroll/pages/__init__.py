"""HTML pages and the blogroll's feeds: the home page, a blog's page (and its icon), tags, OPML, Atom
and JSON Feed."""

from flask import Blueprint

from blogroll.caching import expire_with_this_second

bp = Blueprint("pages", __name__)

# The proxy's micro-cache keeps a successful read until the current second ends (at most 1 s old).
bp.after_request(expire_with_this_second)

from blogroll.pages import feeds, icons, tags, views  # noqa: E402,F401  (routes register on bp)
