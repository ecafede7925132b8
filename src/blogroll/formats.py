"""The small formats every layer writes or checks the same way: RFC 3339 times and web (http/https) URLs.

No Flask and no database here, so that the pages, the API, OPML, the sanitizer and the worker can all
share them.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

WEB_SCHEMES = frozenset({"http", "https"})


def rfc3339(value: dt.datetime) -> str:
    """The time in UTC as RFC 3339 with a `Z`, as Atom, HTML's `datetime` and the API's clients read it."""
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def has_web_scheme(url: str) -> bool:
    """True for an http(s) URL (urlsplit reads the scheme case-insensitively)."""
    return urlsplit(url).scheme in WEB_SCHEMES


def web_url(value: str | None) -> str | None:
    """`value` if it is an absolute http(s) address, else None: feeds can carry `javascript:` links."""
    if not value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    return value if parts.scheme in WEB_SCHEMES and parts.netloc else None
