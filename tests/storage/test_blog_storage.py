"""The plain blog functions the API, the pages and the CLI share."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session

from blogroll.storage import blogs
from blogroll.storage.blogs import NewBlog
from blogroll.storage.models import Blog, BlogTag, Entry


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_create_blog(session: Session) -> None:
    before = dt.datetime.now(dt.UTC)
    blog = blogs.create_blog(
        session,
        NewBlog(
            name="Example",
            feed_url="https://example.org/feed",
            site_url="https://example.org/",
            description="Notes.",
            tags=["web", "python", "web"],
        ),
    )
    session.commit()
    session.expire_all()

    stored = session.get(Blog, blog.id)
    assert stored is not None
    assert (stored.name, stored.feed_url, stored.site_url, stored.description) == (
        "Example",
        "https://example.org/feed",
        "https://example.org/",
        "Notes.",
    )
    assert stored.tags == ["python", "web"]
    assert stored.enabled is True
    assert stored.consecutive_errors == 0
    assert stored.last_fetched_at is None
    assert before.replace(microsecond=0) <= stored.next_fetch_at <= dt.datetime.now(dt.UTC)
    assert stored.created_at.tzinfo is dt.UTC


def test_create_blog_refuses_a_known_feed(session: Session, add_blog: Any) -> None:
    taken = add_blog(feed_url="https://example.org/feed")
    with pytest.raises(blogs.DuplicateFeed) as raised:
        blogs.create_blog(session, NewBlog(name="Again", feed_url="https://example.org/feed"))
    assert (raised.value.feed_url, raised.value.existing_id) == ("https://example.org/feed", taken.id)
    session.commit()
    assert _count(session, Blog) == 1


def test_get_and_find(session: Session, add_blog: Any) -> None:
    blog = add_blog(feed_url="https://example.org/feed")
    assert blogs.get_blog(session, blog.id) is blog
    assert blogs.get_blog(session, blog.id + 1000) is None
    assert blogs.find_blog_by_feed_url(session, "https://example.org/feed") is blog
    assert blogs.find_blog_by_feed_url(session, "https://example.org/FEED") is None


@pytest.mark.parametrize("blog_id", [0, -1, 2**31, 2**63, 10**30])
def test_ids_out_of_range_name_no_blog(session: Session, blog_id: int) -> None:
    assert blogs.get_blog(session, blog_id) is None


def test_list_blogs_pages_by_id(session: Session, add_blog: Any) -> None:
    ids = [add_blog(f"Blog {n}").id for n in range(5)]
    assert [blog.id for blog in blogs.list_blogs(session)] == ids
    assert [blog.id for blog in blogs.list_blogs(session, limit=2)] == ids[:2]
    assert [blog.id for blog in blogs.list_blogs(session, after_id=ids[1], limit=2)] == ids[2:4]
    assert blogs.list_blogs(session, after_id=ids[-1]) == []


def test_list_blogs_by_tag(session: Session, add_blog: Any) -> None:
    tagged = [add_blog("A", tags=["python"]).id, add_blog("B", tags=["python", "rust"]).id]
    add_blog("C", tags=["rust"])
    assert [blog.id for blog in blogs.list_blogs(session, tag="python")] == tagged
    assert [blog.id for blog in blogs.list_blogs(session, tag="python", after_id=tagged[0])] == tagged[1:]
    assert blogs.list_blogs(session, tag="go") == []


def test_list_blogs_reads_tags_in_one_query_whatever_the_length(
    session: Session, connection: Connection, add_blog: Any
) -> None:
    """The API's list: each blog with its tags in order, in two queries for 1 blog or 30."""
    add_blog("Solo", tags=["zeta", "alpha"])
    statements: list[str] = []

    def record(*args: Any) -> None:
        if args[2].startswith("SELECT"):
            statements.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    [solo] = blogs.list_blogs(session)
    assert (solo.name, solo.tags) == ("Solo", ["alpha", "zeta"])
    one_blog = len(statements)
    for n in range(29):
        add_blog(f"Blog {n}", tags=[f"tag{n}", "shared"] if n % 2 else [])
    statements.clear()
    listed = blogs.list_blogs(session)
    assert len(statements) == one_blog == 2
    assert [blog.tags for blog in listed[1:4]] == [[], ["shared", "tag1"], []]


def test_list_blogs_by_name_ignores_case(session: Session, add_blog: Any) -> None:
    for name in ("beta", "Alpha", "gamma", "Beta"):
        add_blog(name)
    assert [blog.name for blog in blogs.list_blogs_by_name(session)] == ["Alpha", "beta", "Beta", "gamma"]


def test_list_blog_links_gives_columns_alphabetically(session: Session, add_blog: Any) -> None:
    beta = add_blog("beta", feed_url="https://beta.example/feed", site_url="https://beta.example/")
    alpha = add_blog("Alpha", feed_url="https://alpha.example/feed", site_url=None)
    gamma = add_blog("gamma", feed_url="https://gamma.example/feed", site_url=None)
    session.commit()
    assert blogs.list_blog_links(session) == [
        (alpha.id, "Alpha", None, "https://alpha.example/feed", None),
        (beta.id, "beta", "https://beta.example/", "https://beta.example/feed", None),
        (gamma.id, "gamma", None, "https://gamma.example/feed", None),
    ]
    chosen = blogs.list_blog_links(session, ids=[gamma.id, beta.id])
    assert [link.name for link in chosen] == ["beta", "gamma"]
    assert blogs.list_blog_links(session, ids=[]) == []


def test_tags_are_loaded_where_they_are_shown(session: Session, add_blog: Any) -> None:
    blog_id = add_blog("Tagged", tags=["b", "a"]).id
    session.commit()
    # Loaded with the blog, so they are readable after the session lets go of it.
    loaded: list[Blog | blogs.BlogRecord | None] = []
    for load in (blogs.list_blogs_by_name, blogs.list_blogs, lambda s: [blogs.get_blog(s, blog_id)]):
        session.expunge_all()
        loaded.extend(load(session))
    session.expunge_all()
    assert [blog.tags for blog in loaded] == [["a", "b"]] * 3


def test_update_blog(session: Session, add_blog: Any) -> None:
    blog = add_blog("Old", site_url="https://old.example/", description="Old.", tags=["a", "b"])
    blog.updated_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    session.commit()

    blogs.update_blog(session, blog, {"name": "New", "site_url": None, "tags": ["b", "c"], "enabled": False})
    session.commit()
    session.expire_all()

    stored = session.get(Blog, blog.id)
    assert stored is not None
    assert (stored.name, stored.site_url, stored.description, stored.enabled) == ("New", None, "Old.", False)
    assert stored.tags == ["b", "c"]
    assert stored.updated_at > dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert session.scalars(
        select(BlogTag.tag).where(BlogTag.blog_id == blog.id).order_by(BlogTag.tag)
    ).all() == [
        "b",
        "c",
    ]


def test_a_new_feed_url_resets_the_fetch_state(session: Session, add_blog: Any) -> None:
    blog = add_blog(feed_url="https://example.org/old")
    blog.etag, blog.last_modified = '"x"', "Thu, 01 Jan 2026 00:00:00 GMT"
    blog.next_fetch_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    session.commit()

    blogs.update_blog(session, blog, {"feed_url": "https://example.org/new"})

    assert (blog.feed_url, blog.etag, blog.last_modified) == ("https://example.org/new", None, None)
    assert blog.next_fetch_at <= dt.datetime.now(dt.UTC)


def test_update_refuses_another_blogs_feed(session: Session, add_blog: Any) -> None:
    taken = add_blog(feed_url="https://example.org/taken")
    blog = add_blog(feed_url="https://example.org/mine")
    with pytest.raises(blogs.DuplicateFeed) as raised:
        blogs.update_blog(session, blog, {"feed_url": "https://example.org/taken", "name": "Renamed"})
    assert raised.value.existing_id == taken.id
    session.rollback()
    session.expire_all()
    assert session.scalars(select(Blog.feed_url).order_by(Blog.id)).all() == [
        "https://example.org/taken",
        "https://example.org/mine",
    ]


def test_delete_blog_takes_its_entries_and_tags(session: Session, add_blog: Any, add_entry: Any) -> None:
    doomed = add_blog(tags=["a"])
    kept = add_blog(tags=["a"])
    add_entry(doomed)
    add_entry(doomed)
    add_entry(kept)
    session.expire_all()

    blogs.delete_blog(session, doomed)
    session.commit()

    assert session.scalars(select(Blog.id)).all() == [kept.id]
    assert session.scalars(select(Entry.blog_id)).all() == [kept.id]
    assert session.scalars(select(BlogTag.blog_id)).all() == [kept.id]


def test_make_due(session: Session, add_blog: Any) -> None:
    blog = add_blog()
    blog.enabled = False
    blog.next_fetch_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    session.commit()

    blogs.make_due(session, blog)
    session.commit()
    session.expire_all()

    assert blog.enabled is True
    assert blog.next_fetch_at <= dt.datetime.now(dt.UTC)


def test_import_blogs_skips_known_and_repeated_feeds(session: Session, add_blog: Any) -> None:
    known = add_blog("Known", feed_url="https://known.example/feed")
    outcome = blogs.import_blogs(
        session,
        [
            NewBlog(name="One", feed_url="https://one.example/feed", tags=["x"]),
            NewBlog(name="Known again", feed_url="https://known.example/feed"),
            NewBlog(name="Two", feed_url="https://two.example/feed"),
            NewBlog(name="One again", feed_url="https://one.example/feed"),
        ],
    )
    session.commit()

    assert [blog.name for blog in outcome.added] == ["One", "Two"]
    # Each skipped blog says why: the blog already there, or None for a repeat within the file.
    assert [(skip.blog.name, skip.existing) for skip in outcome.skipped] == [
        ("Known again", known),
        ("One again", None),
    ]
    assert _count(session, Blog) == 3
    assert blogs.import_blogs(session, [NewBlog(name="One", feed_url="https://one.example/feed")]).added == []


def test_tags_that_differ_only_in_accents_are_two_tags(session: Session) -> None:
    blog = blogs.create_blog(
        session, NewBlog(name="Café", feed_url="https://cafe.example/", tags=["cafe", "café"])
    )
    session.commit()
    session.expire_all()
    assert blog.tags == ["cafe", "café"]
    assert [b.id for b in blogs.list_blogs(session, tag="café")] == [blog.id]
