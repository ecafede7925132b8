"""The admin pages: sign-in, the blog table and its actions, OPML import, the submissions queue, API
tokens. Server-rendered forms only."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from blogroll.admin import auth, blogs, opml, submissions, tokens, wording  # noqa: E402,F401  (routes register on bp)
