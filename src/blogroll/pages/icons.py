"""Blog icons, from Blogroll's own origin: the worker stored them (worker/icons.py), the pages link
them (icon_urls.py), and no reader's browser ever asks a blog's site for its icon."""

from __future__ import annotations

from flask import Response, abort, url_for
from flask_babel import gettext as _

from blogroll.caching import CACHE_CONTROL, conditional
from blogroll.pages import bp
from blogroll.storage.db import get_session
from blogroll.storage.icons import get_icon

# An address with the digest never changes what it serves: browsers and proxies keep it a year.
IMMUTABLE = "public, max-age=31536000, immutable"
# The address without it (for whoever links a blog's icon from elsewhere) follows the icon within a day.
DAILY = "public, max-age=86400"


@bp.get("/blogs/<int:blog_id>/icon", defaults={"digest": None})
@bp.get("/blogs/<int:blog_id>/icon/<digest>")
def blog_icon(blog_id: int, digest: str | None) -> Response:
    icon = get_icon(get_session(), blog_id)
    if icon is None:
        abort(404, _("This blog has no icon."))
    if digest is not None and digest != icon.digest:
        # An icon the blog had before: the one it has now.
        current = url_for(".blog_icon", blog_id=blog_id, digest=icon.digest)
        return Response(status=302, headers={"Location": current, "Cache-Control": CACHE_CONTROL})
    response = conditional(
        icon.digest,
        lambda: Response(icon.data, mimetype=icon.content_type),
        cache_control=DAILY if digest is None else IMMUTABLE,
    )
    # Served as the type its bytes tell (never SVG), and never read as anything else.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
