"""The worker tests' harness: adds blogs, runs a pass and reads back what was stored, on a real
(committed) database, with settings that make the failure cases quick."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from blogroll.config import Settings
from blogroll.storage.blogs import NewBlog, create_blog, make_due
from blogroll.storage.db import Database, make_engine
from blogroll.storage.models import Blog, BlogIcon, Entry
from blogroll.worker.fetch import GuardedBackend
from blogroll.worker.runner import Report, Runner
from tests.helpers.settings import make_settings


def worker_settings(database_url: str, **overrides: Any) -> Settings:
    """Test settings: short timeouts and small limits so the failure cases are quick."""
    values: dict[str, Any] = {
        "allow_private_feeds": True,
        "fetch_connect_timeout": 2.0,
        "fetch_read_timeout": 1.0,
        "fetch_total_timeout": 10.0,
        "max_feed_bytes": 64 * 1024,
        "fetch_concurrency": 4,
        "fetch_poll_interval": 0.2,
        "graceful_timeout": 5,
        # The feed tests count the requests a pass makes; the icon tests turn icons on.
        "fetch_icons": False,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


class Harness:
    """Adds blogs, runs the worker and reads back the database, each in its own transaction."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.settings = worker_settings(database_url)
        self.database = Database(make_engine(self.settings))

    def configure(self, **overrides: Any) -> None:
        self.settings = worker_settings(self.database_url, **overrides)

    def add_blog(self, feed_url: str, name: str = "A blog", site_url: str | None = None) -> int:
        with self.database.transaction() as session:
            return create_blog(session, NewBlog(name=name, feed_url=feed_url, site_url=site_url)).id

    def runner(self, backend: GuardedBackend | None = None, **overrides: Any) -> Runner:
        settings = worker_settings(self.database_url, **overrides) if overrides else self.settings
        return Runner(settings, self.database, backend=backend)

    def fetch(self, *blog_ids: int, backend: GuardedBackend | None = None) -> Report:
        """One pass over the due blogs (or only `blog_ids`, made due first)."""
        for blog_id in blog_ids:
            self.make_due(blog_id)
        runner = self.runner(backend)
        try:
            return runner.run_pass(blog_ids=blog_ids or None)
        finally:
            runner.close()

    def make_due(self, blog_id: int) -> None:
        with self.database.transaction() as session:
            blog = session.get(Blog, blog_id)
            assert blog is not None
            make_due(session, blog)

    def blog(self, blog_id: int) -> Blog:
        with self.database.read_sessions() as session:
            blog = session.get(Blog, blog_id)
            assert blog is not None
            return blog

    def icon(self, blog_id: int) -> BlogIcon | None:
        """What the last icon check stored for the blog, if any check ran."""
        with self.database.read_sessions() as session:
            return session.get(BlogIcon, blog_id)

    def entries(self, blog_id: int) -> list[Entry]:
        """The blog's entries as the pages list them: newest first."""
        with self.database.read_sessions() as session:
            query = (
                select(Entry)
                .where(Entry.blog_id == blog_id)
                .order_by(Entry.published_at.desc(), Entry.id.desc())
            )
            return list(session.scalars(query))

    def close(self) -> None:
        self.database.engine.dispose()
