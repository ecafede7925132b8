"""Entries newest first, filtered, and paged by a keyset cursor that survives ties."""

import base64
import datetime as dt
import hashlib
from typing import Any

import pytest
from sqlalchemy.orm import Session

from blogroll.storage import entries
from blogroll.storage.entries import BadCursor, EntryCursor

JAN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def posts(add_blog: Any, add_entry: Any) -> dict[str, Any]:
    python = add_blog("Python", tags=["python"])
    rust = add_blog("Rust", tags=["rust"])
    tie = JAN + dt.timedelta(days=2)
    made = {
        "old": add_entry(python, "old", published_at=JAN),
        "tie1": add_entry(rust, "tie1", published_at=tie),
        "tie2": add_entry(python, "tie2", published_at=tie),
        "tie3": add_entry(rust, "tie3", published_at=tie),
        "new": add_entry(rust, "new", published_at=JAN + dt.timedelta(days=3)),
    }
    return {"python": python, "rust": rust, **made}


def _titles(found: list[Any]) -> list[str]:
    return [entry.title for entry in found]


def test_newest_first_and_ties_by_id(session: Session, posts: dict[str, Any]) -> None:
    assert _titles(entries.list_entries(session, limit=10)) == ["new", "tie3", "tie2", "tie1", "old"]
    assert _titles(entries.list_entries(session, limit=2)) == ["new", "tie3"]


@pytest.mark.parametrize(
    ("filters", "titles"),
    [
        ({"blog_id": "python"}, ["tie2", "old"]),
        ({"tag": "rust"}, ["new", "tie3", "tie1"]),
        ({"tag": "go"}, []),
        ({"since": JAN + dt.timedelta(days=2)}, ["new", "tie3", "tie2", "tie1"]),
        (
            {"since": dt.datetime(2026, 1, 3, 2, tzinfo=dt.timezone(dt.timedelta(hours=2)))},
            ["new", "tie3", "tie2", "tie1"],
        ),
        ({"since": JAN + dt.timedelta(days=2, seconds=1)}, ["new"]),
        ({"blog_id": "python", "tag": "rust"}, []),
    ],
)
def test_filters(session: Session, posts: dict[str, Any], filters: dict[str, Any], titles: list[str]) -> None:
    if "blog_id" in filters:
        filters = {**filters, "blog_id": posts[filters["blog_id"]].id}
    assert _titles(entries.list_entries(session, limit=10, **filters)) == titles


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6])
def test_cursor_pages_through_ties(session: Session, posts: dict[str, Any], size: int) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = entries.list_entries(session, limit=size, cursor=cursor)
        seen.extend(_titles(page))
        if len(page) < size:
            break
        cursor = EntryCursor.decode(EntryCursor.after(page[-1]).encode())
    assert seen == ["new", "tie3", "tie2", "tie1", "old"]


def test_cursor_round_trips(posts: dict[str, Any]) -> None:
    cursor = EntryCursor.after(posts["tie2"])
    assert EntryCursor.decode(cursor.encode()) == cursor
    assert "=" not in cursor.encode()


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "%%%",
        _b64("not a cursor"),
        _b64("2026-01-01T00:00:00|5"),  # a time without a zone
        _b64("2026-01-01T00:00:00+00:00|x"),  # an id that is not a number
        _b64("2026-01-01T00:00:00+00:00|²"),  # a digit int() does not take
        _b64("0001-01-01T00:00:00+01:00|5"),  # a time out of range in UTC
        _b64("2026-01-01T00:00:00+00:00|" + "9" * 30),  # an id beyond any row
        _b64("2026-01-01T00:00:00+00:00|-5"),
        "_w",  # not UTF-8
    ],
)
def test_bad_cursors(text: str) -> None:
    with pytest.raises(BadCursor):
        EntryCursor.decode(text)


def test_get_entry(session: Session, posts: dict[str, Any]) -> None:
    assert entries.get_entry(session, posts["old"].id) is posts["old"]
    assert entries.get_entry(session, posts["new"].id + 1000) is None
    assert entries.get_entry(session, 10**30) is None


def test_guid_hash() -> None:
    assert (
        entries.guid_hash("tag:example.org,2026:1") == hashlib.sha256(b"tag:example.org,2026:1").hexdigest()
    )
    assert len(entries.guid_hash("x" * 10_000)) == 64


def test_a_summary_is_sanitized_whoever_stores_it(session: Session, add_blog: Any, add_entry: Any) -> None:
    hostile = '<p onclick="steal()">Hi<script>alert(1)</script> <a href="javascript:x">a</a></p>'
    entry = add_entry(add_blog(), summary=hostile)
    session.expire_all()
    stored = entries.get_entry(session, entry.id).summary
    assert stored == '<p>Hi <a rel="noopener noreferrer nofollow">a</a></p>'
