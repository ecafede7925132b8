"""How long anonymous reads may be kept, for the pages and the API alike: the proxy's micro-cache header,
and conditional answers (an ETag computed from what a page shows, before it is rendered, so a client or
proxy that already holds the page gets a 304 without any rendering)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable

import orjson
from flask import Response, make_response, request
from flask.typing import ResponseReturnValue
from werkzeug.http import is_resource_modified, quote_etag

from blogroll.config import current_settings
from blogroll.i18n import current_language
from blogroll.version import __version__

# Every client revalidates every time (max-age=0); a shared cache such as the proxy's micro-cache may
# answer for one second (s-maxage=1), the staleness the pages allow. Nothing here depends on who asks.
CACHE_CONTROL = "public, max-age=0, s-maxage=1"

# nginx's own header for its cache (it never forwards it to clients): how long the proxy's micro-cache
# may keep this answer. nginx counts cache lifetimes in whole seconds, so its "1s" keeps an answer
# until the end of the *next* second (1 to 2 s); "@<this second>" keeps it until the end of the
# current second, so an answer is at most 1 s old when it expires.
MICRO_CACHE_HEADER = "X-Accel-Expires"


def expire_with_this_second(response: Response) -> Response:
    """`after_request` hook: successful reads may be cached by the proxy until this second ends. A 304
    carries it too: it is how the proxy renews a page it revalidated with the page's ETag."""
    if request.method in ("GET", "HEAD") and response.status_code in (200, 304):
        response.headers[MICRO_CACHE_HEADER] = f"@{int(time.time())}"
    return response


def page_etag(*parts: Iterable[Iterable[object]]) -> str:
    """A validator of everything a page shows: the given rows (tuples of values: records, rows),
    plus the request's address (links are built from it), its language (a page in Spanish is another
    page than the same address in English), the site settings and the version.

    The values are hashed as one JSON document (orjson, a few µs for a page of rows): JSON writes
    each value unambiguously, so no two different lists of values read the same."""
    settings = current_settings()
    head = (__version__, request.host_url, request.full_path, current_language(), settings.site_title)
    document = [[*head, settings.greeting, settings.page_size], *(list(rows) for rows in parts)]
    return hashlib.blake2b(orjson.dumps(document, default=_plain), digest_size=16).hexdigest()


def _plain(value: object) -> list[object]:
    """What orjson does not write by itself: named tuples (rows, records), as lists."""
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} in a page's ETag")


def conditional(
    etag: str, render: Callable[[], ResponseReturnValue], *, cache_control: str = CACHE_CONTROL
) -> Response:
    """A 304 when the request's If-None-Match holds `etag`, else the rendered answer; both carry
    the ETag and the cache policy (the pages' unless told another)."""
    headers = {"ETag": quote_etag(etag), "Cache-Control": cache_control}
    # Only an ETag: the worker edits entries in place, so no single time says when a page changed.
    if not is_resource_modified(request.environ, etag=etag):
        return Response(status=304, headers=headers)
    response = make_response(render())
    response.headers.update(headers)
    return response
