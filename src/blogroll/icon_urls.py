"""Where a blog's icon is served here: its address carries the icon's digest, so that a changed icon
has a new address and browsers may keep each one for good. Pages and the API link only these."""

from __future__ import annotations

from flask import url_for


def icon_url(blog_id: int, digest: str | None, *, external: bool = False) -> str | None:
    """The address of the blog's stored icon (`digest` is the blog's `icon_digest`), or None when
    it has none."""
    if not digest:
        return None
    return url_for("pages.blog_icon", blog_id=blog_id, digest=digest, _external=external)
