"""The summaries the database keeps (migration 0009): each blog's entry count, a tag's entries
(`entry_tags`) and each tag row's blog name (`blog_tags.name_key`) agree with the rows they sum up
after every kind of write, on every engine, and the pages built on them show what a reader expects."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from blogroll.storage.blogs import delete_blog, update_blog
from blogroll.storage.entries import guid_hash
from blogroll.storage.models import Blog, BlogTag, Entry, EntryTag

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def summaries(session: Session) -> dict[str, Any]:
    """What the database keeps, beside what it would compute from the rows themselves."""
    session.flush()
    counted = dict(session.execute(select(Entry.blog_id, func.count()).group_by(Entry.blog_id)).all())
    entry_tags = select(EntryTag.tag, EntryTag.published_at, EntryTag.entry_id, EntryTag.blog_id)
    joined = select(BlogTag.tag, Entry.published_at, Entry.id, Entry.blog_id).join(
        BlogTag, BlogTag.blog_id == Entry.blog_id
    )
    return {
        "kept counts": dict(session.execute(select(Blog.id, Blog.entry_count)).all()),
        "counts": {blog_id: counted.get(blog_id, 0) for blog_id in session.scalars(select(Blog.id))},
        "kept entry tags": sorted(map(tuple, session.execute(entry_tags))),
        "entry tags": sorted(map(tuple, session.execute(joined))),
        "kept name keys": sorted(map(tuple, session.execute(select(BlogTag.blog_id, BlogTag.name_key)))),
        "name keys": sorted(
            map(tuple, session.execute(select(BlogTag.blog_id, func.lower(Blog.name)).join(Blog)))
        ),
    }


def assert_kept(session: Session) -> dict[str, Any]:
    found = summaries(session)
    assert found["kept counts"] == found["counts"]
    assert found["kept entry tags"] == found["entry tags"]
    assert found["kept name keys"] == found["name keys"]
    return found


def test_every_write_keeps_the_summaries(session: Session, add_blog: Any, add_entry: Any) -> None:
    python_web = add_blog("Python and Web", tags=["python", "web"])
    python = add_blog("Only Python", tags=["python"])
    untagged = add_blog("No Tags")
    for blog in (python_web, python, untagged):
        for hour in range(3):
            add_entry(blog, published_at=START + dt.timedelta(hours=hour, minutes=blog.id))
    # A bulk insert of Core rows (the worker's store writes entries so).
    session.execute(
        insert(Entry),
        [
            {"blog_id": python.id, "guid": f"bulk-{n}", "guid_hash": guid_hash(f"bulk-{n}"), "title": "",
             "summary": "", "published_at": START + dt.timedelta(days=1, hours=n)}
            for n in range(4)
        ],
    )  # fmt: skip
    found = assert_kept(session)
    assert found["kept counts"] == {python_web.id: 3, python.id: 7, untagged.id: 3}
    assert len(found["kept entry tags"]) == 3 * 2 + 7

    update_blog(session, python_web, {"name": "Renamed BLOG", "tags": ["web", "rust"]})
    update_blog(session, untagged, {"tags": ["rust"]})
    found = assert_kept(session)
    assert (python_web.id, "renamed blog") in found["kept name keys"]
    assert {tag for tag, *_ in found["kept entry tags"]} == {"python", "web", "rust"}

    entry = session.scalars(select(Entry).where(Entry.blog_id == python.id).limit(1)).one()
    entry.published_at = START + dt.timedelta(days=30)
    assert_kept(session)

    session.execute(delete(Entry).where(Entry.blog_id == python.id, Entry.guid.like("bulk-%")))
    found = assert_kept(session)
    assert found["kept counts"][python.id] == 3

    delete_blog(session, python_web)
    found = assert_kept(session)
    assert python_web.id not in found["kept counts"]
    assert all(blog_id != python_web.id for *_, blog_id in found["kept entry tags"])


def test_a_tag_given_later_brings_the_blogs_older_posts_to_its_page_and_taking_it_back_removes_them(
    client: FlaskClient, session: Session, add_blog: Any, add_entry: Any
) -> None:
    blog = add_blog("Late Tagger")
    add_entry(blog, "Written before the tag")
    assert "Written before the tag" not in client.get("/tags/go").text

    update_blog(session, blog, {"tags": ["go"]})
    session.commit()
    page = client.get("/tags/go")
    assert page.status_code == 200
    assert "Written before the tag" in page.text
    listed = client.get("/api/v1/entries?tag=go").json
    assert [item["title"] for item in listed["items"]] == ["Written before the tag"]

    update_blog(session, blog, {"tags": []})
    session.commit()
    assert client.get("/api/v1/entries?tag=go").json["items"] == []


def test_a_tags_blogs_follow_a_rename_in_alphabetical_order(
    client: FlaskClient, session: Session, add_blog: Any
) -> None:
    for name in ("banana", "Cherry", "apple"):
        add_blog(name, tags=["fruit"])
    add_blog("Aardvark", tags=["animal"])

    def names() -> list[str]:
        page = client.get("/blogs/?tag=fruit").text
        return [name for name in ("apple", "banana", "Cherry", "Zucchini") if f">{name}<" in page]

    assert names() == ["apple", "banana", "Cherry"]
    positions = {name: client.get("/blogs/?tag=fruit").text.index(f">{name}<") for name in names()}
    assert positions["apple"] < positions["banana"] < positions["Cherry"]

    apple = session.scalars(select(Blog).where(Blog.name == "apple")).one()
    update_blog(session, apple, {"name": "Zucchini"})
    session.commit()
    page = client.get("/blogs/?tag=fruit").text
    assert page.index(">banana<") < page.index(">Cherry<") < page.index(">Zucchini<")
    assert ">Aardvark<" not in page
