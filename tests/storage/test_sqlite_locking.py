"""On SQLite, the web app and the embedded worker share one file: writers queue, readers never wait."""

import threading

from sqlalchemy import select, update

from blogroll.config import Settings
from blogroll.storage.blogs import NewBlog, create_blog
from blogroll.storage.db import Database, make_engine
from blogroll.storage.models import Blog


def _bump_name(database: Database, blog_id: int, name: str, done: list[str]) -> None:
    with database.transaction() as session:
        session.execute(update(Blog).where(Blog.id == blog_id).values(name=name))
    done.append(name)


def test_a_read_then_write_waits_for_another_writer_instead_of_failing(sqlite_settings: Settings) -> None:
    database = Database(make_engine(sqlite_settings))
    with database.transaction() as session:
        blog_id = create_blog(session, NewBlog(name="Before", feed_url="https://a.example/feed")).id

    done: list[str] = []
    with database.transaction() as session:
        # This unit of work reads first; meanwhile another connection wants to write the same row.
        assert session.scalars(select(Blog.name).where(Blog.id == blog_id)).one() == "Before"
        other = threading.Thread(target=_bump_name, args=(database, blog_id, "Other", done))
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive(), "the other writer should wait for this transaction"
        session.execute(update(Blog).where(Blog.id == blog_id).values(name="Mine"))
    other.join(timeout=10)

    assert done == ["Other"]
    with database.read_sessions() as session:
        assert session.scalars(select(Blog.name).where(Blog.id == blog_id)).one() == "Other"
    database.engine.dispose()


def test_an_open_read_does_not_hold_up_a_writer(sqlite_settings: Settings) -> None:
    database = Database(make_engine(sqlite_settings))
    with database.transaction() as session:
        blog_id = create_blog(session, NewBlog(name="Before", feed_url="https://a.example/feed")).id

    done: list[str] = []
    with database.read_sessions() as reader:
        assert reader.scalars(select(Blog.name).where(Blog.id == blog_id)).one() == "Before"
        writer = threading.Thread(target=_bump_name, args=(database, blog_id, "After", done))
        writer.start()
        writer.join(timeout=10)
        assert done == ["After"]
        # The reader's snapshot is stable until it ends.
        assert reader.scalars(select(Blog.name).where(Blog.id == blog_id)).one() == "Before"
    database.engine.dispose()
