"""Entry HTML is sanitized before it is stored: feeds are written by strangers."""

from __future__ import annotations

from functools import partial
from urllib.parse import urljoin, urlsplit

import nh3

from blogroll.formats import WEB_SCHEMES, has_web_scheme

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
    "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {*WEB_SCHEMES, "mailto"}
LINK_ATTRIBUTES = {"href", "src"}


def sanitize_html(html: str, *, base_url: str | None = None) -> str:
    """Keeps formatting and links; drops scripts, styles, event handlers and `javascript:` URLs.
    With `base_url`, relative links and image sources are made absolute against it, so they still
    point at the blog when shown on another site."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=partial(_absolute_links, base_url) if base_url else None,
    )


def _absolute_links(base_url: str, _tag: str, attribute: str, value: str) -> str | None:
    """nh3 has already refused unsafe schemes, but it does not check what this returns: a joined
    link is kept only if it is still http(s), so a strange base cannot smuggle a scheme in."""
    if attribute not in LINK_ATTRIBUTES or urlsplit(value).scheme:
        return value
    absolute = urljoin(base_url, value.strip())
    return absolute if has_web_scheme(absolute) else None
