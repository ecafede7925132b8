"""Entry HTML is sanitized before it is stored: feeds are written by strangers."""

from __future__ import annotations

import re
from functools import partial
from urllib.parse import urljoin, urlsplit

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
    # Here, not at the top: the models import this module, and only the feed worker writes entries;
    # nh3 is about 2 MB of each web process (BENCHMARKS.md, session 11).
    import nh3

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


# In sanitized HTML (nh3 escapes `<` and `>` in text and attribute values alike) a `<` always opens
# a tag and the next `>` closes it, so these two patterns read it exactly.
_TOKEN = re.compile(r"<[^>]*>|[^<]+")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
VOID_TAGS = {"br", "hr", "img", "wbr"}
# An entity cut in two at the end of a piece of text: `&am`.
_PARTIAL_ENTITY = re.compile(r"&[#A-Za-z0-9]*$")


def cut_html(html: str, max_bytes: int, *, ending: str = "") -> str:
    """Sanitized `html` cut to at most `max_bytes` of UTF-8, `ending` included (marks it as cut): the
    longest prefix that ends between tags, or within text but never within a character reference,
    with the elements still open closed, then sanitized again. HTML that fits is returned as it is."""
    if len(html.encode()) <= max_bytes:
        return html
    ending = sanitize_html(ending)
    budget = max_bytes - len(ending.encode())
    while budget > 0:
        cut = sanitize_html(_prefix(html, budget) + ending)
        excess = len(cut.encode()) - max_bytes
        if excess <= 0:
            return cut
        budget -= excess  # sanitizing again added something (it never has); cut that much more
    return ""


def _prefix(html: str, budget: int) -> str:
    """The longest cut whose bytes, with the closing tags of the elements still open, fit `budget`.
    Each token adds at least as much as it takes off, so the first token that does not fit ends it."""
    open_tags: list[str] = []
    used = closers = 0  # bytes of the prefix, and of the closing tags it would need
    pieces: list[str] = []
    for match in _TOKEN.finditer(html):
        token = match.group()
        size = len(token.encode())
        tag = _TAG.match(token)
        if tag is None:  # text
            if used + size + closers > budget:
                pieces.append(_cut_text(token, budget - used - closers))
                break
        elif tag.group(1):  # a closing tag: takes off the bytes it adds
            name = tag.group(2).lower()
            if name in open_tags:
                while open_tags and open_tags.pop() != name:
                    pass
                closers = sum(len(f"</{tag_name}>") for tag_name in open_tags)
        else:
            name = tag.group(2).lower()
            closer = 0 if name in VOID_TAGS else len(f"</{name}>")
            if used + size + closers + closer > budget:
                break
            if closer:
                open_tags.append(name)
                closers += closer
        pieces.append(token)
        used += size
    return "".join(pieces) + "".join(f"</{name}>" for name in reversed(open_tags))


def _cut_text(text: str, budget: int) -> str:
    """At most `budget` bytes of escaped text, ending at a space where one is near, and never in the
    middle of a character or of an entity such as `&amp;`."""
    if budget <= 0:
        return ""
    cut = text.encode()[:budget].decode(errors="ignore")
    cut = _PARTIAL_ENTITY.sub("", cut)
    space = cut.rfind(" ", max(0, len(cut) - 80))
    return cut[: space + 1] if space > 0 else cut
