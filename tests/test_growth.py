"""No page or API answer reads more as the blogroll grows: each reads the same rows, in the same
number of queries, with N blogs and with 10 N (tests/helpers/reads.py counts them)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Connection, event, text
from sqlalchemy.orm import Session, sessionmaker

from blogroll.storage import blogs
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
# Every order of the admin table but "entries", which has to count every blog's entries to sort.
ADMIN_PAGES = ["/admin/", "/admin/?sort=name", "/admin/?sort=next", "/admin/?sort=newest", "/admin/?page=2"]


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


@pytest.mark.parametrize("order", ["failing", "name", "next", "newest"])
def test_the_admin_tables_orders_read_a_page_of_an_index_not_a_sort_of_every_blog(
    session: Session, connection: Connection, order: str
) -> None:
    # Rows read stay flat above either way; what grows with the roll inside the database is a sort
    # of every blog, which the plan shows. SQLite only (MariaDB indexes no lower(name): it sorts).
    if connection.dialect.name != "sqlite":
        pytest.skip("the plan is SQLite's")
    grow_blogroll(session, first=1, count=N)
    session.execute(text("ANALYZE"))
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Connection, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM blogs" in statement:
            sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", keep)
    try:
        blogs.list_blog_health(session, order=order, offset=50, limit=51)
    finally:
        event.remove(connection, "before_cursor_execute", keep)

    statement, parameters = sent[0]
    plan = " ".join(
        str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
    )
    assert "TEMP B-TREE" not in plan, plan
