"""A reader with a real browser: headless Chromium (Debian's package) driven by Playwright.

The app runs in a real HTTP server on a SQLite file of its own. Screenshots of each page at phone and
desktop widths are saved in the test's tmp folder, for people to look at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from blogroll.config import Settings
from blogroll.storage.blogs import NewBlog, create_blog
from blogroll.storage.db import Database, make_engine
from blogroll.storage.entries import guid_hash
from blogroll.storage.models import Entry

from .chromium import DESKTOP, PHONE

pytestmark = pytest.mark.browser

LONG_WORD = "Supercalifragilisticexpialidocious" * 4
WIDE_TABLE = "<table><tr>" + "".join(f"<td>column-number-{n}</td>" for n in range(12)) + "</tr></table>"


def seed(settings: Settings) -> dict[str, int]:
    """Three blogs with a few entries, one of each kind that could break a narrow layout."""
    database = Database(make_engine(settings))
    start = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    ids = {}
    with database.transaction() as session:
        for name, site, description in [
            ("Alpha", "https://alpha.example/", "Notes on gardening and small tools."),
            ("Beta Writes About Very Long Subjects Indeed", "https://beta.example/", ""),
            ("Gamma", None, "Feed only."),
        ]:
            blog = create_blog(
                session,
                NewBlog(
                    name=name,
                    feed_url=f"https://{name.split()[0].lower()}.example/feed.xml",
                    site_url=site,
                    description=description,
                    tags=["python", "web"] if name == "Alpha" else [],
                ),
            )
            ids[name.split()[0]] = blog.id
        posts: list[tuple[str, str, str]] = [
            ("Alpha", "Planting tomatoes on a balcony", "<p>Start with <em>good soil</em>.</p>"),
            ("Beta", f"A title with a very long word: {LONG_WORD}", f"<p>{LONG_WORD}</p>"),
            ("Alpha", "Sharpening a hand plane", f"<pre><code>{'x = 1; ' * 40}</code></pre>"),
            ("Gamma", "Tables in posts", WIDE_TABLE),
            (
                "Beta",
                "An untitled link",
                "<p>See https://example.org/a/very/long/path/" + "segment/" * 20 + "</p>",
            ),
        ]
        for number, (blog_name, title, summary) in enumerate(posts):
            guid = f"https://{blog_name.lower()}.example/posts/{number}"
            session.add(
                Entry(
                    blog_id=ids[blog_name],
                    guid=guid,
                    guid_hash=guid_hash(guid),
                    title=title,
                    link=guid,
                    author="Ann" if blog_name == "Alpha" else "",
                    summary=summary,
                    published_at=start + dt.timedelta(hours=number),
                )
            )
    database.engine.dispose()
    return ids


@pytest.fixture
def blog_ids(sqlite_settings: Settings) -> dict[str, int]:
    """The ids of the three seeded blogs, by the first word of their names."""
    return seed(sqlite_settings)


def test_a_reader_sees_the_blogroll_and_follows_a_blog_to_its_posts(
    live_server: str, blog_ids: dict[str, int], open_page: Callable[..., Any]
) -> None:
    base, ids = live_server, blog_ids
    page = open_page(base + "/")

    assert page.title() == "Blogroll"
    assert page.locator("h1").inner_text() == "Hello from the browser test!"
    assert page.locator("aside.blogroll li > a:first-child").all_inner_texts() == [
        "Alpha",
        "Beta Writes About Very Long Subjects Indeed",
        "Gamma",
    ]
    assert page.locator(".latest .entry h3").all_inner_texts()[:2] == [
        "An untitled link",
        "Tables in posts",
    ]

    page.get_by_role("link", name="Posts from Alpha").click()
    page.wait_for_url(f"{base}/blogs/{ids['Alpha']}")

    assert page.title() == "Alpha · Blogroll"
    assert page.locator("main h1").inner_text() == "Alpha"
    assert page.locator(".entry h3").all_inner_texts() == [
        "Sharpening a hand plane",
        "Planting tomatoes on a balcony",
    ]
    assert page.locator(".entry .summary em").inner_text() == "good soil"
    assert page.locator("a.brand").get_attribute("href") == "/"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_pages_fit_the_screen_without_sideways_scrolling(
    live_server: str,
    blog_ids: dict[str, int],
    open_page: Callable[..., Any],
    viewport: dict[str, int],
    tmp_path: Path,
) -> None:
    base, ids = live_server, blog_ids
    pages = {
        "home": ("/", 200),
        "blog": (f"/blogs/{ids['Beta']}", 200),
        "not-found": ("/blogs/999999", 404),
        "api": ("/api/v1/docs", 200),
    }
    for name, (path, status) in pages.items():
        page = open_page(base + path, viewport=viewport, status=status)
        shot = tmp_path / f"{name}-{viewport['width']}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 0

        widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} is {widths[0]}px wide on a {widths[1]}px screen"
        # The phone layout is one column; from tablet width on, the blogroll sits beside the posts.
        if name == "home":
            latest = page.locator("section.latest").bounding_box()
            blogroll = page.locator("aside.blogroll").bounding_box()
            beside = blogroll["x"] > latest["x"] + latest["width"] - 1
            assert beside == (viewport["width"] >= 768)

    dark = open_page(base + "/", viewport=viewport, dark=True)
    dark.screenshot(path=str(tmp_path / f"home-dark-{viewport['width']}.png"), full_page=True)
    assert dark.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(22, 22, 23)"
