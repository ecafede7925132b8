"""The small formats every layer writes or checks the same way: RFC 3339 times and web (http/https) URLs.

No Flask and no database here, so that the pages, the API, OPML, the sanitizer and the worker can all
share them.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

WEB_SCHEMES = frozenset({"http", "https"})
# What a line of text shown as a name or a title may not hold (see schemas.Name): control characters,
# lone surrogates (no database can store them), and the BMP's non-characters.
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


def rfc3339(value: dt.datetime) -> str:
    """The time in UTC as RFC 3339 with a `Z`, as Atom, HTML's `datetime` and the API's clients read it."""
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def rfc3339_seconds(value: dt.datetime) -> str:
    """As `rfc3339`, in whole seconds: MariaDB keeps no fractions, so a time the API or a webhook shows
    must read the same before and after it is stored."""
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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


def printable_line(text: str) -> str:
    """`text` as one line a name or title can hold: each unprintable character becomes a space, and
    runs of white space one space, so that words once split by a control character stay apart."""
    return " ".join(UNPRINTABLE.sub(" ", text).split())
