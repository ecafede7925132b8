"""prepare_blog, the step the API, the CLI and the admin pages share: what it fetches, and the
limits it holds to while a client waits."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest

from blogroll.config import Settings
from blogroll.discovery import Discovery, NoFeedFound
from blogroll.new_blogs import DISCOVERY_WAIT, default_name, prepare_blog
from blogroll.schemas import BlogCreate
from blogroll.storage.blogs import NewBlog

from .feeds import RSS_TYPE, rss

Serve = Callable[..., str]


def test_a_feed_and_a_name_are_stored_as_given_without_a_fetch(
    settings: Settings, hits: Counter[str], url: Callable[..., str]
) -> None:
    given = BlogCreate.model_validate({"name": "Ann", "feed_url": url("/feed"), "tags": ["Web"]})

    prepared = prepare_blog(given, settings)

    assert prepared == type(prepared)(NewBlog("Ann", url("/feed"), None, "", ["web"]), None)
    assert hits == Counter()


def test_a_waiting_client_waits_at_most_the_discovery_wait_for_a_read(
    make_settings: Callable[..., Settings], serve: Serve
) -> None:
    slow = serve("/", rss("Slow", []), content_type=RSS_TYPE, delay=DISCOVERY_WAIT + 2)
    settings = make_settings(fetch_read_timeout=20.0, fetch_total_timeout=60.0)
    started = time.monotonic()

    with pytest.raises(NoFeedFound) as refused:
        prepare_blog(BlogCreate.model_validate({"site_url": slow}), settings)

    assert time.monotonic() - started < DISCOVERY_WAIT + 1.5
    assert refused.value.reason.startswith("the page could not be fetched: ")


def _found(feed_title: str, page_title: str = "") -> Discovery:
    return Discovery(
        address="https://ann.example/",
        feed_url="https://ann.example/feed",
        feed_format="rss",
        feed_title=feed_title,
        page_title=page_title,
        site_url="https://ann.example/",
        latest_titles=(),
        candidates=(),
        reason="",
    )


@pytest.mark.parametrize(
    ("feed_title", "page_title", "name"),
    [
        ("Ann's notes", "Home", "Ann's notes"),
        ("", "Home", "Home"),
        ("", "", "ann.example"),
        ("x" * 250, "", "x" * 200),
        ("Tab\tand\x00nul\x07bell", "", "Tab and nul bell"),
        ("\ufffe\x01", "", "ann.example"),
        (("word " * 50).strip(), "", ("word " * 40).strip()),
    ],
)
def test_a_discovered_name_is_made_storable(feed_title: str, page_title: str, name: str) -> None:
    assert default_name(_found(feed_title, page_title)) == name
