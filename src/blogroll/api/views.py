"""API views: each reads the request, calls one storage function, and answers with a schema."""

from __future__ import annotations

import re

from flask import Response, request, url_for
from pydantic import BaseModel

from blogroll.api import bp
from blogroll.api.requests import (
    json_body,
    json_response,
    list_response,
    model_changes,
    query_args,
    request_body,
    require_token,
)
from blogroll.config import current_settings
from blogroll.discovery import NoFeedFound
from blogroll.errors import ApiError
from blogroll.icon_urls import icon_url
from blogroll.new_blogs import prepare_blog
from blogroll.opml import OpmlError
from blogroll.opml_import import import_opml
from blogroll.schemas import (
    BlogCreate,
    BlogOut,
    BlogQuery,
    BlogUpdate,
    EntryOut,
    EntryQuery,
    Hello,
    ImportNote,
    ImportResult,
    RefusedOutline,
    blog_item,
    entry_item,
)
from blogroll.storage import blogs, entries
from blogroll.storage.db import get_session
from blogroll.storage.models import MAX_ID, Blog, Entry
from blogroll.validation import field_problem
from blogroll.version import __version__

OPML_TYPES = {"text/x-opml", "application/xml", "text/xml", "application/octet-stream"}


def blog_out(blog: Blog | blogs.BlogRecord) -> BlogOut:
    """A blog as the API shows it, its icon's address absolute."""
    return BlogOut.of(blog, icon_url=icon_url(blog.id, blog.icon_digest, external=True))


@bp.get("/")
def hello() -> Response:
    return json_response(Hello(message=current_settings().greeting, version=__version__))


@bp.get("/blogs")
def list_blogs() -> Response:
    query = query_args(BlogQuery)
    after_id = _blog_cursor(query.cursor)
    page = blogs.list_blogs(get_session(), tag=query.tag, after_id=after_id, limit=query.limit + 1)
    next_url = None
    if len(page) > query.limit:
        page = page[: query.limit]
        next_url = _next_page(".list_blogs", BlogQuery, cursor=str(page[-1].id))
    items = [blog_item(blog, icon_url=icon_url(blog.id, blog.icon_digest, external=True)) for blog in page]
    return list_response(items, next_url)


@bp.post("/blogs")
@require_token
def create_blog() -> Response:
    """Adds a blog; without feed_url (or name) the feed is found first, while the client waits."""
    try:
        prepared = prepare_blog(json_body(BlogCreate), current_settings())
    except NoFeedFound as missing:
        raise _no_feed(missing) from None
    session = get_session()
    try:
        blog = blogs.create_blog(session, prepared.blog)
    except blogs.DuplicateFeed as duplicate:
        raise _conflict(duplicate) from None
    session.commit()
    location = url_for(".get_blog", blog_id=blog.id, _external=True)
    return json_response(blog_out(blog), 201, headers={"Location": location})


@bp.get("/blogs/<int:blog_id>")
def get_blog(blog_id: int) -> Response:
    return json_response(blog_out(_blog_or_404(blog_id)))


@bp.patch("/blogs/<int:blog_id>")
@require_token
def update_blog(blog_id: int) -> Response:
    changes = model_changes(json_body(BlogUpdate))
    session = get_session()
    blog = _blog_or_404(blog_id)
    try:
        blogs.update_blog(session, blog, changes)
    except blogs.DuplicateFeed as duplicate:
        raise _conflict(duplicate) from None
    session.commit()
    return json_response(blog_out(blog))


@bp.delete("/blogs/<int:blog_id>")
@require_token
def delete_blog(blog_id: int) -> Response:
    session = get_session()
    blogs.delete_blog(session, _blog_or_404(blog_id))
    session.commit()
    return Response(status=204)


@bp.post("/blogs/<int:blog_id>/refresh")
@require_token
def refresh_blog(blog_id: int) -> Response:
    session = get_session()
    blog = blogs.make_due(session, _blog_or_404(blog_id))
    session.commit()
    return json_response(blog_out(blog), 202)


@bp.post("/blogs/import")
@require_token
def import_blogs() -> Response:
    data = _opml_upload()
    session = get_session()
    try:
        done = import_opml(session, data)
    except OpmlError as error:
        raise ApiError(422, error.message, error="invalid_opml", details=error.details) from None
    except blogs.DuplicateFeed as duplicate:
        raise _conflict(duplicate) from None
    session.commit()
    result = ImportResult(
        added=len(done.outcome.added),
        skipped=len(done.outcome.skipped),
        items=[blog_out(blog) for blog in done.outcome.added],
        refused=[RefusedOutline(**vars(refused)) for refused in done.parsed.refused],
        notes=[ImportNote(**vars(note)) for note in done.parsed.notes],
    )
    return json_response(result)


@bp.get("/entries")
def list_entries() -> Response:
    query = query_args(EntryQuery)
    try:
        cursor = entries.EntryCursor.decode(query.cursor) if query.cursor else None
    except entries.BadCursor as error:
        raise _bad_cursor(error) from None
    page = entries.list_entries(
        get_session(),
        limit=query.limit + 1,
        blog_id=query.blog,
        tag=query.tag,
        since=query.since,
        cursor=cursor,
    )
    next_url = None
    if len(page) > query.limit:
        page = page[: query.limit]
        cursor_text = entries.EntryCursor.after(page[-1]).encode()
        next_url = _next_page(".list_entries", EntryQuery, cursor=cursor_text)
    return list_response([entry_item(entry) for entry in page], next_url)


@bp.get("/entries/<int:entry_id>")
def get_entry(entry_id: int) -> Response:
    entry: Entry | None = entries.get_entry(get_session(), entry_id)
    if entry is None:
        raise ApiError(404, f"there is no entry with id {entry_id}")
    return json_response(EntryOut.model_validate(entry))


def _blog_or_404(blog_id: int) -> Blog:
    blog = blogs.get_blog(get_session(), blog_id)
    if blog is None:
        raise ApiError(404, f"there is no blog with id {blog_id}")
    return blog


def _no_feed(missing: NoFeedFound) -> ApiError:
    candidates = [
        {"url": candidate.url, "found": candidate.found, "outcome": candidate.outcome}
        for candidate in missing.candidates
    ]
    details = {"url": missing.url, "reason": missing.reason, "candidates": candidates}
    return ApiError(422, str(missing), error=missing.error, details=details)


def _conflict(duplicate: blogs.DuplicateFeed) -> ApiError:
    return ApiError(
        409,
        str(duplicate),
        error="duplicate_feed",
        details={"feed_url": duplicate.feed_url, "existing_id": duplicate.existing_id},
    )


def _blog_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not re.fullmatch(r"[0-9]{1,10}", cursor) or not 0 < int(cursor) <= MAX_ID:
        raise _bad_cursor(entries.BadCursor())
    return int(cursor)


def _bad_cursor(error: entries.BadCursor) -> ApiError:
    return ApiError(422, str(error), details=[field_problem("cursor", str(error), "cursor")])


def _next_page(endpoint: str, query: type[BaseModel], *, cursor: str) -> str:
    """The same request with the cursor moved on, as an absolute URL.

    Only the query's own parameters are carried over: url_for would read others such as `_anchor`
    or `endpoint` as its own arguments.
    """
    args = {name: value for name, value in request.args.items() if name in query.model_fields}
    args["cursor"] = cursor
    return url_for(endpoint, _external=True, **args)


def _opml_upload() -> bytes:
    """An OPML file sent as the raw body (an XML content type) or as multipart field `file`."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            message = "send the OPML file in the multipart field `file`"
            raise ApiError(422, message, details=[field_problem("file", "Field required", "missing")])
        data: bytes = upload.read()
        return data
    if request.mimetype in OPML_TYPES:
        return request_body()
    raise ApiError(415, "send OPML as text/x-opml (or application/xml), or as multipart `file`")
