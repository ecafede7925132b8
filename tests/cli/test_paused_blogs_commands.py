"""Paused blogs from the command line: `blogs list` says why, `blogs resume` starts them again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select, update

from blogroll.storage.models import Blog

from .invoke import Blogroll, sqlite_url

REASON = "paused after 20 consecutive failures; last error: HTTP 500 Internal Server Error"


def pause_by_the_worker(data_dir: Path) -> None:
    engine = create_engine(sqlite_url(data_dir))
    with engine.begin() as connection:
        connection.execute(update(Blog).values(enabled=False, paused_reason=REASON, consecutive_errors=20))
    engine.dispose()


def test_list_shows_why_and_resume_clears_it(blogroll: Blogroll, migrated: None, data_dir: Path) -> None:
    assert blogroll("blogs", "add", "Dead", "https://dead.example.org/feed.xml").exit_code == 0
    pause_by_the_worker(data_dir)

    listed = blogroll("blogs", "list")
    resumed = blogroll("blogs", "resume", "1")
    again = blogroll("blogs", "resume", "1")

    assert listed.output == f"    1  Dead  https://dead.example.org/feed.xml  [{REASON}]\n"
    assert resumed.exit_code == 0
    assert resumed.output == f"Resumed blog 1 (Dead); it was {REASON}.\n"
    assert again.output == "Blog 1 (Dead) is not paused.\n"
    assert blogroll("blogs", "list").output == "    1  Dead  https://dead.example.org/feed.xml\n"
    engine = create_engine(sqlite_url(data_dir))
    with engine.connect() as connection:
        row = connection.execute(select(Blog.enabled, Blog.paused_reason, Blog.consecutive_errors)).one()
    engine.dispose()
    assert tuple(row) == (True, None, 0)


def test_resume_of_an_unknown_blog_says_so(blogroll: Blogroll, migrated: None) -> None:
    result = blogroll("blogs", "resume", "7")

    assert result.exit_code == 1
    assert result.output == "Error: there is no blog with id 7\n"
