"""Conditional answers for the anonymous pages: an ETag computed from what a page shows, before it is
rendered, so a client or proxy that already holds the page gets a 304 without any rendering."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response, make_response, request
from flask.typing import ResponseReturnValue
from sqlalchemy import inspect
from werkzeug.http import is_resource_modified, quote_etag

from blogroll import __version__
from blogroll.config import current_settings

# Every client revalidates every time (max-age=0); a shared cache such as the proxy's micro-cache may
# answer for one second (s-maxage=1), the staleness the pages allow. Nothing here depends on who asks.
CACHE_CONTROL = "public, max-age=0, s-maxage=1"


def page_etag(*parts: Iterable[Iterable[object]]) -> str:
    """A validator of everything a page shows: the given rows (tuples of values, e.g. from `state`),
    plus the request's address (links are built from it), the site settings and the version."""
    settings = current_settings()
    digest = hashlib.blake2b(digest_size=16)
    head = (__version__, request.host_url, request.full_path, settings.site_title, settings.greeting)
    digest.update(repr((*head, settings.page_size)).encode())
    # Each value as text after its length, so that no two different lists of values read the same.
    pieces: list[str] = []
    for rows in parts:
        pieces.append("rows")
        for row in rows:
            pieces.append("row")
            for value in row:
                text = value if type(value) is str else repr(value)
                pieces += (str(len(text)), text)
    digest.update("\x1f".join(pieces).encode())
    return digest.hexdigest()


def state(rows: Iterable[Any]) -> list[tuple[Any, ...]]:
    """The column values of ORM objects: what they are, without their relationships or identity."""
    return [tuple(getattr(row, key) for key in _columns(type(row))) for row in rows]


_COLUMNS: dict[type[Any], tuple[str, ...]] = {}


def _columns(model: type[Any]) -> tuple[str, ...]:
    if model not in _COLUMNS:
        _COLUMNS[model] = tuple(attribute.key for attribute in inspect(model).column_attrs)
    return _COLUMNS[model]


def conditional(etag: str, render: Callable[[], ResponseReturnValue]) -> Response:
    """A 304 when the request's If-None-Match holds `etag`, else the rendered answer; both carry
    the ETag and the cache policy."""
    headers = {"ETag": quote_etag(etag), "Cache-Control": CACHE_CONTROL}
    # Only an ETag: the worker edits entries in place, so no single time says when a page changed.
    if not is_resource_modified(request.environ, etag=etag):
        return Response(status=304, headers=headers)
    response = make_response(render())
    response.headers.update(headers)
    return response
