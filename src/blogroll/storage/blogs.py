"""Plain functions over blogs: the logic the API, the pages and the CLI share."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from blogroll.storage.db import read_rows, savepoint
from blogroll.storage.models import MAX_ID, Blog, BlogTag, utcnow

# What a paused blog says when a person (the admin pages, the API, the CLI) paused it.
KEEPER_PAUSE = "paused by a keeper"
# What it says when the worker paused it because its feed answered 410 Gone (worker/store.py).
GONE_REASON = "paused: the feed answered 410 Gone (it was removed)"
# Tags are loaded only where they are shown (the API, OPML, a blog's page): one extra query per list.
WITH_TAGS = selectinload(Blog.tag_rows)


class DuplicateFeed(Exception):
    """Another blog already has this feed URL."""

    def __init__(self, feed_url: str, existing_id: int | None) -> None:
        super().__init__(f"a blog with feed_url {feed_url} already exists")
        self.feed_url = feed_url
        self.existing_id = existing_id


@dataclass(frozen=True)
class NewBlog:
    name: str
    feed_url: str
    site_url: str | None = None
    description: str = ""
    tags: Sequence[str] = ()


class BlogRecord(NamedTuple):
    """A blog as the API lists it: its columns and tags, read without ORM objects (loading 50 blogs
    and their tags as objects cost three times the rest of the request)."""

    id: int
    name: str
    site_url: str | None
    feed_url: str
    description: str
    created_at: dt.datetime
    updated_at: dt.datetime
    enabled: bool
    paused_reason: str | None
    last_fetched_at: dt.datetime | None
    last_status: int | None
    last_error: str | None
    consecutive_errors: int
    failing_since: dt.datetime | None
    next_fetch_at: dt.datetime
    etag: str | None
    last_modified: str | None
    icon_digest: str | None
    tags: list[str]


def list_blogs(
    session: Session,
    *,
    tag: str | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[BlogRecord]:
    """Blogs in the order they were added (stable for paging); `after_id` is the paging cursor.
    Two queries: the blogs' columns, then the tags of those blogs."""
    params = {"tag": tag, "after_id": after_id, "limit": limit}
    query = _blogs_query(tag is not None, after_id is not None, limit is not None)
    return _with_tags(session, read_rows(session, query, params))


def find_blog_record(session: Session, blog_id: int) -> BlogRecord | None:
    """One blog as `list_blogs` reads them (its page here): columns, no ORM object, and its tags in
    the same query (a row per tag): one round trip."""
    if not 0 < blog_id <= MAX_ID:
        return None
    rows = read_rows(session, _ONE_BLOG, {"blog_id": blog_id})
    if not rows:
        return None
    tags = [row.tag for row in rows if row.tag is not None]
    return BlogRecord._make((*rows[0][:-1], tags))


def _with_tags(session: Session, rows: Sequence[Row[Any]]) -> list[BlogRecord]:
    tags: dict[int, list[str]] = {row.id: [] for row in rows}
    if tags:
        for tag_row in read_rows(session, _TAGS_OF_BLOGS, {"ids": list(tags)}):
            tags[tag_row.blog_id].append(tag_row.tag)
    return [BlogRecord._make((*row, tags[row.id])) for row in rows]


_BLOGS = Blog.__table__.c
_TAGS = BlogTag.__table__.c
_TAGS_OF_BLOGS = (
    select(_TAGS.blog_id, _TAGS.tag)
    .where(_TAGS.blog_id.in_(bindparam("ids", expanding=True)))
    .order_by(_TAGS.blog_id, _TAGS.tag)
)
# The blogs that carry the bound `tag`.
TAGGED = select(_TAGS.blog_id).where(_TAGS.tag == bindparam("tag"))
# A BlogRecord's columns, without its tags.
_RECORD_COLUMNS = tuple(_BLOGS[name] for name in BlogRecord._fields if name != "tags")


_ONE_BLOG = (
    select(*_RECORD_COLUMNS, _TAGS.tag)
    .outerjoin(BlogTag.__table__, _TAGS.blog_id == _BLOGS.id)
    .where(_BLOGS.id == bindparam("blog_id"))
    .order_by(_TAGS.tag)
)


@functools.cache
def _blogs_query(by_tag: bool, after_id: bool, limited: bool) -> Select[Any]:
    """The select for one combination of filters, built once, its values bound at each request."""
    query = select(*_RECORD_COLUMNS)
    # A tag's blogs in the order of its index (tag, blog_id): a page of it, however many carry it.
    blog_id = _TAGS.blog_id if by_tag else _BLOGS.id
    if by_tag:
        query = _of_tag(query)
    query = query.order_by(blog_id)
    if after_id:
        query = query.where(blog_id > bindparam("after_id"))
    if limited:
        query = query.limit(bindparam("limit"))
    return query


def list_blogs_by_name(session: Session, *, tag: str | None = None) -> list[Blog]:
    """The whole blogroll (or the blogs with `tag`), alphabetically, as a reader scans it, with tags
    (OPML, the CLI)."""
    query = select(Blog).options(WITH_TAGS).order_by(func.lower(Blog.name), Blog.id)
    if tag is not None:
        query = query.where(Blog.id.in_(select(BlogTag.blog_id).where(BlogTag.tag == tag)))
    return list(session.scalars(query))


class BlogLink(NamedTuple):
    """What a list of blogs shows: the sidebar of the home page, the sources of the Atom feed."""

    id: int
    name: str
    site_url: str | None
    feed_url: str
    # The stored icon's digest (the version in its address here), or None: no icon to show.
    icon_digest: str | None = None


def list_blog_links(
    session: Session,
    *,
    ids: Iterable[int] | None = None,
    tag: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[BlogLink]:
    """The blogroll alphabetically, columns only (no objects, no tags): a few times cheaper than
    `list_blogs_by_name` for 200 blogs; `ids` limits it to those blogs, `tag` to the blogs with it,
    `offset` and `limit` to one page of it (the index on lower(name), id serves that order)."""
    chosen = None if ids is None else list(set(ids))
    if chosen == []:
        return []
    query = _links_query(chosen is not None, tag is not None, bool(offset), limit is not None)
    params = {"ids": chosen, "tag": tag, "offset": offset, "limit": limit}
    return [BlogLink._make(row) for row in read_rows(session, query, params)]


def list_newest_blog_links(session: Session, *, limit: int, tag: str | None = None) -> list[BlogLink]:
    """The `limit` blogs added last (or the last with `tag`), shown alphabetically: a sidebar that
    costs the same however long the blogroll grows (the whole roll is on the paged /blogs/)."""
    query = _newest_links_query(tag is not None)
    links = [BlogLink._make(row) for row in read_rows(session, query, {"limit": limit, "tag": tag})]
    return sorted(links, key=lambda link: (link.name.lower(), link.id))


_LINKS = select(_BLOGS.id, _BLOGS.name, _BLOGS.site_url, _BLOGS.feed_url, _BLOGS.icon_digest)


def _of_tag(query: Select[Any]) -> Select[Any]:
    """Only the blogs that carry the bound `tag`, each joined to its row of the tag: the indexes on
    that row (models.BlogTag) serve each order of a tag's blogs a page at a time."""
    return query.join(BlogTag.__table__, _TAGS.blog_id == _BLOGS.id).where(_TAGS.tag == bindparam("tag"))


@functools.cache
def _links_query(by_ids: bool, by_tag: bool, offset: bool, limited: bool) -> Select[Any]:
    if by_tag:
        # The tag's row keeps its blog's lower(name): the same order, from the tag's own index.
        query = _of_tag(_LINKS).order_by(_TAGS.name_key, _TAGS.blog_id)
    else:
        query = _LINKS.order_by(func.lower(_BLOGS.name), _BLOGS.id)
    if by_ids:
        query = query.where(_BLOGS.id.in_(bindparam("ids", expanding=True)))
    if offset:
        query = query.offset(bindparam("offset"))
    if limited:
        query = query.limit(bindparam("limit"))
    return query


@functools.cache
def _newest_links_query(by_tag: bool) -> Select[Any]:
    if by_tag:
        return _of_tag(_LINKS).order_by(_TAGS.blog_id.desc()).limit(bindparam("limit"))
    return _LINKS.order_by(_BLOGS.id.desc()).limit(bindparam("limit"))


class OpmlBlog(NamedTuple):
    """A blog as the OPML export writes it."""

    id: int
    name: str
    feed_url: str
    site_url: str | None
    description: str
    tags: list[str]


def opml_state(session: Session, *, tag: str | None = None) -> list[tuple[object, ...]]:
    """What an OPML export shows, as plain rows (each blog's exported columns, once per tag, in the
    export's order), for its ETag and then its document (`opml_blogs`): one query of columns, no
    objects, so a 304 stays cheap and the export costs in proportion to the roll (as ORM objects it
    grew faster: the collector walked them all again and again). Read rather than summarized (a
    count and a latest updated_at) because MariaDB keeps times to the second: two edits in one
    second would have kept the old ETag."""
    return [tuple(row) for row in read_rows(session, _opml_query(tag is not None), {"tag": tag})]


def opml_blogs(rows: Iterable[tuple[object, ...]]) -> list[OpmlBlog]:
    """`opml_state`'s rows (a blog's columns once per tag, its rows together) as one record per blog."""
    found: list[OpmlBlog] = []
    for blog_id, name, feed_url, site_url, description, tag in rows:
        if not found or found[-1].id != blog_id:
            found.append(OpmlBlog(blog_id, name, feed_url, site_url, description, []))  # type: ignore[arg-type]
        if tag is not None:
            found[-1].tags.append(tag)  # type: ignore[arg-type]
    return found


@functools.cache
def _opml_query(by_tag: bool) -> Select[Any]:
    columns = (_BLOGS.id, _BLOGS.name, _BLOGS.feed_url, _BLOGS.site_url, _BLOGS.description, _TAGS.tag)
    query = (
        select(*columns)
        .outerjoin(BlogTag.__table__, _TAGS.blog_id == _BLOGS.id)
        .order_by(func.lower(_BLOGS.name), _BLOGS.id, _TAGS.tag)
    )
    return query.where(_BLOGS.id.in_(TAGGED)) if by_tag else query


def get_blog(session: Session, blog_id: int) -> Blog | None:
    if not 0 < blog_id <= MAX_ID:
        return None
    # One blog: its tags in the same query (a join), not a second one as for a list.
    return session.get(Blog, blog_id, options=[joinedload(Blog.tag_rows)])


def find_blog_by_feed_url(session: Session, feed_url: str) -> Blog | None:
    return session.scalars(select(Blog).where(Blog.feed_url == feed_url)).first()


def create_blog(session: Session, new: NewBlog) -> Blog:
    """Adds a blog, due for its first fetch now. Raises DuplicateFeed if the feed is known."""
    existing = find_blog_by_feed_url(session, new.feed_url)
    if existing is not None:
        raise DuplicateFeed(new.feed_url, existing.id)
    blog = Blog(
        name=new.name,
        feed_url=new.feed_url,
        site_url=new.site_url,
        description=new.description,
    )
    blog.tags = list(new.tags)
    # A concurrent writer may add the same feed between the check above and this insert.
    with savepoint(session, lambda: DuplicateFeed(new.feed_url, None)):
        session.add(blog)
    return blog


def update_blog(session: Session, blog: Blog, changes: dict[str, object]) -> Blog:
    """Applies the given field changes; a new feed URL resets the fetch state and makes it due, and
    a new site (or a new feed for a blog without one) has its icon looked for at the next fetch."""
    feed_url = str(changes.get("feed_url") or blog.feed_url)
    moved = feed_url != blog.feed_url
    site = changes.get("site_url", blog.site_url)
    if site != blog.site_url or (moved and site is None):
        blog.icon_check_at = None
    if moved:
        existing = find_blog_by_feed_url(session, feed_url)
        if existing is not None:
            raise DuplicateFeed(feed_url, existing.id)
    with savepoint(session, lambda: DuplicateFeed(feed_url, None)):
        if moved:
            blog.feed_url = feed_url
            blog.etag = None
            blog.last_modified = None
            blog.next_fetch_at = utcnow()
        for field in ("name", "site_url", "description"):
            if field in changes:
                setattr(blog, field, changes[field])
        if changes.get("enabled") is True and not blog.enabled:
            _resume(blog)
        elif changes.get("enabled") is False and blog.enabled:
            _pause(blog)
        if "tags" in changes:
            blog.tags = list(changes["tags"])  # type: ignore[call-overload]
        blog.updated_at = utcnow()
    return blog


def delete_blog(session: Session, blog: Blog) -> None:
    session.delete(blog)
    session.flush()


def make_due(session: Session, blog: Blog) -> Blog:
    """Asks the worker to fetch this blog at its next pass, resuming it if it was paused."""
    if blog.enabled:
        blog.next_fetch_at = utcnow()
    else:
        _resume(blog)
    session.flush()
    return blog


@dataclass(frozen=True)
class Skipped:
    """A blog of an import that was not added, because its feed is known."""

    blog: NewBlog
    # The blog already in the blogroll with this feed; None when the file itself gave the feed before.
    existing: Blog | None


@dataclass(frozen=True)
class ImportOutcome:
    added: list[Blog]
    skipped: list[Skipped]


def import_blogs(session: Session, blogs: Iterable[NewBlog]) -> ImportOutcome:
    """Adds the blogs whose feed is new; known feeds (and repeats within the file) are skipped."""
    added: list[Blog] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for new in blogs:
        if new.feed_url in seen:
            skipped.append(Skipped(new, None))
            continue
        existing = find_blog_by_feed_url(session, new.feed_url)
        if existing is not None:
            skipped.append(Skipped(new, existing))
            continue
        seen.add(new.feed_url)
        added.append(create_blog(session, new))
    return ImportOutcome(added=added, skipped=skipped)


def find_blogs_by_site_url(session: Session, site_url: str) -> list[Blog]:
    """The blogs whose site is `site_url`, the same address with or without its trailing slash."""
    bare = site_url.rstrip("/")
    addresses = {bare, bare + "/"} if bare else {site_url}
    return list(session.scalars(select(Blog).where(Blog.site_url.in_(addresses)).order_by(Blog.id)))


class BlogHealth(NamedTuple):
    """A row of the admin pages' blog table: the blog, its tags, and how many entries it has."""

    blog: Blog
    tags: list[str]
    entry_count: int


# The admin table's orders; "failing" (the default) puts the blogs that need attention first. Each
# reads a page of an index (models.Blog), however many blogs there are.
ADMIN_ORDERS = {
    "failing": (Blog.consecutive_errors.desc(), Blog.enabled, func.lower(Blog.name), Blog.id),
    "name": (func.lower(Blog.name), Blog.id),
    "next": (Blog.next_fetch_at, Blog.id),
    "entries": (Blog.entry_count.desc(), Blog.id.desc()),
    "newest": (Blog.id.desc(),),
}


def list_blog_health(
    session: Session,
    *,
    name: str | None = None,
    tag: str | None = None,
    order: str = "failing",
    offset: int = 0,
    limit: int | None = None,
) -> list[BlogHealth]:
    """One page (`offset`, `limit`) of the blogs (or those whose name contains `name`, or that carry
    `tag`) with their entry counts, as the database keeps them (`Blog.entry_count`)."""
    query = _health_filters(select(Blog), name, tag).options(WITH_TAGS)
    query = query.order_by(*ADMIN_ORDERS.get(order, ADMIN_ORDERS["failing"]))
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [BlogHealth(blog, blog.tags, blog.entry_count) for blog in session.scalars(query)]


def count_blogs(session: Session, *, name: str | None = None, tag: str | None = None) -> int:
    """How many blogs the admin table lists with these filters (one row read, whatever the count)."""
    return session.scalar(_health_filters(select(func.count(Blog.id)), name, tag)) or 0


def _health_filters(query: Select[Any], name: str | None, tag: str | None) -> Select[Any]:
    if name:
        pattern = "%" + name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(Blog.name).like(pattern, escape="\\"))
    if tag:
        query = query.where(Blog.id.in_(select(BlogTag.blog_id).where(BlogTag.tag == tag)))
    return query


def list_tags(session: Session) -> list[str]:
    return list(session.scalars(select(BlogTag.tag).distinct().order_by(BlogTag.tag)))


class TagCount(NamedTuple):
    tag: str
    blogs: int


def count_blogs_by_tag(session: Session) -> list[TagCount]:
    """Every tag in use and how many blogs carry it, alphabetically (the tags page)."""
    query = select(BlogTag.tag, func.count()).group_by(BlogTag.tag).order_by(BlogTag.tag)
    return [TagCount(tag, count) for tag, count in session.execute(query)]


def tag_exists(session: Session, tag: str) -> bool:
    return session.scalars(select(BlogTag.tag).where(BlogTag.tag == tag).limit(1)).first() is not None


def set_paused(session: Session, blog: Blog, paused: bool) -> Blog:
    """Pauses fetching (the blog and its entries stay), or resumes it at the next pass."""
    if paused and blog.enabled:
        _pause(blog)
    elif not paused and not blog.enabled:
        _resume(blog)
    blog.updated_at = utcnow()
    session.flush()
    return blog


def _pause(blog: Blog) -> None:
    """A person pauses a blog: it says so, so that a paused blog always tells why."""
    blog.enabled = False
    blog.paused_reason = KEEPER_PAUSE


def _resume(blog: Blog) -> None:
    """Fetching starts again at the next pass with a clean slate: the failures that paused the blog
    (BLOGROLL_PAUSE_AFTER_FAILURES, _DAYS) are counted anew, so it is not paused again at once."""
    blog.enabled = True
    blog.paused_reason = None
    blog.consecutive_errors = 0
    blog.failing_since = None
    blog.next_fetch_at = utcnow()
