"""No page or API answer reads more as the blogroll grows: each reads the same rows, in the same
number of queries, with N blogs and with 10 N (tests/helpers/reads.py counts them)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, insert, text
from sqlalchemy.orm import Session, sessionmaker

from blogroll.storage import blogs, entries
from blogroll.storage.models import BlogTag
from tests.helpers.reads import Reads, counting_reads, grow_blogroll

# Full pages everywhere at N: two pages of /blogs/ and of the admin table (50), a page of each of
# the three tags' blogs in the API (50), ten times the sidebar (20).
N = 200

PAGES = [
    "/",
    "/blogs/",
    "/blogs/?page=2",
    "/blogs/?tag=python",
    "/blogs/1",
    "/tags/python",
    "/tags/python.atom",
    "/tags/python.json",
    "/tags/",
    "/feed.atom",
    "/feed.json",
    "/api/v1/blogs",
    "/api/v1/blogs?tag=web",
    "/api/v1/blogs/1",
    "/api/v1/entries",
    "/api/v1/entries?tag=rust",
]
ADMIN_PAGES = [
    "/admin/",
    "/admin/?sort=name",
    "/admin/?sort=next",
    "/admin/?sort=newest",
    "/admin/?sort=entries",
    "/admin/?page=2",
]


def read_by(client: FlaskClient, connection: Connection, sessions: sessionmaker[Session], path: str) -> Reads:
    with counting_reads(connection, sessions) as reads:
        response = client.get(path)
    assert response.status_code == 200, (path, response.text[:300])
    return reads


def test_no_page_reads_more_with_ten_times_the_blogs(
    client: FlaskClient, session: Session, connection: Connection, sessions: sessionmaker[Session]
) -> None:
    grow_blogroll(session, first=1, count=N)
    small = {path: read_by(client, connection, sessions, path) for path in PAGES}
    grow_blogroll(session, first=N + 1, count=9 * N)
    large = {path: read_by(client, connection, sessions, path) for path in PAGES}

    grown = {
        path: (str(small[path]), str(large[path]))
        for path in PAGES
        if (small[path].queries, small[path].rows) != (large[path].queries, large[path].rows)
    }
    assert grown == {}


def test_no_admin_table_page_reads_more_with_ten_times_the_blogs(
    browser: FlaskClient, session: Session, connection: Connection, sessions: sessionmaker[Session]
) -> None:
    grow_blogroll(session, first=1, count=N)
    # The first request after signing in also notes when the session was last seen (a write).
    browser.get("/admin/")
    small = {path: read_by(browser, connection, sessions, path) for path in ADMIN_PAGES}
    grow_blogroll(session, first=N + 1, count=9 * N)
    large = {path: read_by(browser, connection, sessions, path) for path in ADMIN_PAGES}

    grown = {
        path: (str(small[path]), str(large[path]))
        for path in ADMIN_PAGES
        if (small[path].queries, small[path].rows) != (large[path].queries, large[path].rows)
    }
    assert grown == {}


@pytest.mark.parametrize("path", ["/blogroll.opml", "/tags/python.opml"])
def test_an_unchanged_opml_export_is_a_304_from_one_query_of_columns(
    client: FlaskClient, session: Session, connection: Connection, sessions: sessionmaker[Session], path: str
) -> None:
    grow_blogroll(session, first=1, count=N)
    etag = client.get(path).headers["ETag"]

    with counting_reads(connection, sessions) as reads:
        response = client.get(path, headers={"If-None-Match": etag})

    assert response.status_code == 304
    # The export's own query, plus the tag's check for a tag's export.
    assert reads.queries == (1 if path == "/blogroll.opml" else 2), str(reads)


# A cursor among the posts of the first blogs (tests/helpers/reads.py: blog n posts n hours before
# March), so that a page after it is full at N blogs already.
AFTER_BLOG_60 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC) - dt.timedelta(hours=60)
_TAG_READS: dict[str, Callable[..., object]] = {
    "entries": functools.partial(entries.list_entries, limit=31),
    "entries after a cursor": functools.partial(
        entries.list_entries, limit=31, cursor=entries.EntryCursor(AFTER_BLOG_60, 1)
    ),
    "blogs by id": functools.partial(blogs.list_blogs, after_id=1, limit=51),
    "blogs by name": functools.partial(blogs.list_blog_links, limit=50),
    "newest blogs": functools.partial(blogs.list_newest_blog_links, limit=20),
}
# What a page reads of a long list, as the pages ask for it: each must be a page of an index.
PAGED_READS: dict[str, Callable[[Session], object]] = {
    **{
        f"the admin table by {order}": functools.partial(
            blogs.list_blog_health, order=order, offset=50, limit=51
        )
        for order in blogs.ADMIN_ORDERS
    },
    **{
        f"a tag's {what} ({tag})": functools.partial(read, tag=tag)
        for tag in ("python", "rare")
        for what, read in _TAG_READS.items()
    },
}


@pytest.mark.parametrize("read", PAGED_READS)
def test_long_lists_cost_the_database_the_same_with_ten_times_the_blogs(
    session: Session, connection: Connection, read: str
) -> None:
    # Rows handed back stay flat above either way; what can grow inside the database is a sort of
    # every blog (or of every entry of a tag's blogs), or a walk through rows it then leaves out.
    # SQLite counts its own steps (virtual machine instructions): an exact measure of its work.
    # For the tags: one on a third of the blogs, and one on a single blog, whose rows are rare in
    # any index but the tag's own. SQLite only (MariaDB indexes no lower(name): it sorts there).
    if connection.dialect.name != "sqlite":
        pytest.skip("the step count is SQLite's")
    grow_blogroll(session, first=1, count=N)
    session.execute(insert(BlogTag), [{"blog_id": 2, "tag": "rare"}])
    small = database_steps(session, connection, PAGED_READS[read])
    grow_blogroll(session, first=N + 1, count=9 * N)
    large = database_steps(session, connection, PAGED_READS[read])
    assert large <= 1.5 * small, (small, large)


def database_steps(session: Session, connection: Connection, read: Callable[[Session], object]) -> int:
    session.execute(text("ANALYZE"))
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    raw = connection.connection.dbapi_connection
    raw.set_progress_handler(step, 10)  # SQLite's
    try:
        read(session)
    finally:
        raw.set_progress_handler(None, 0)
    return steps
