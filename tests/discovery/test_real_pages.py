"""Discovery on real pages saved from public repositories (tests/discovery/pages/README.md), served
from the fixture server with their site's origin pointed at it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from blogroll.config import Settings
from blogroll.discovery import Candidate, NoFeedFound, discover

from .feeds import ATOM_TYPE, JSON_FEED_TYPE, RSS_TYPE, atom, json_feed, rss

Serve = Callable[..., str]
ServePage = Callable[[str, str, tuple[str, ...]], str]
Url = Callable[..., str]
POSTS = [("Second post", "Tue, 06 Jan 2026 10:00:00 GMT"), ("First post", "Mon, 05 Jan 2026 09:30:00 GMT")]


def test_a_wordpress_post_leads_to_the_blogs_feed_not_its_comments(
    serve: Serve, serve_page: ServePage, settings: Settings, url: Url, hits: Counter[str]
) -> None:
    post = "/ecmascript/javascript-the-core-2nd-edition/"
    for path in ("/feed/", "/comments/feed/", f"{post}feed/"):
        serve(path, rss(f"Dmitry Soshnikov {path}", POSTS), content_type=RSS_TYPE)
    site = serve_page("wordpress-post-dmitrysoshnikov.html", post, ("https://dmitrysoshnikov.com",))

    found = discover(site, settings)

    assert found.feed_url == url("/feed/")
    assert found.page_title == "JavaScript. The Core: 2nd Edition \u2013 Dmitry Soshnikov"
    assert found.name == "Dmitry Soshnikov /feed/"
    assert found.reason == "the first feed the page links (2 comments feed(s) passed over)"
    # The oEmbed alternates (application/json+oembed, text/xml+oembed) are not feeds.
    assert found.candidates == (
        Candidate(
            url("/feed/"), "link", "Dmitry Soshnikov \u00bb Feed", "application/rss+xml", outcome="chosen"
        ),
        Candidate(
            url("/comments/feed/"),
            "link",
            "Dmitry Soshnikov \u00bb Comments Feed",
            "application/rss+xml",
            True,
        ),
        Candidate(
            url(f"{post}feed/"),
            "link",
            "Dmitry Soshnikov \u00bb JavaScript. The Core: 2nd Edition Comments Feed",
            "application/rss+xml",
            True,
        ),
    )
    assert hits["/comments/feed/"] == 0


def test_a_blogger_post_passes_over_its_comments_feed_by_its_address(
    serve: Serve, serve_page: ServePage, settings: Settings, url: Url
) -> None:
    serve(
        "/feeds/posts/default",
        atom("Ariel Flesler", [("jQuery.ScrollTo", "2007-10-18T12:00:00Z")]),
        content_type=ATOM_TYPE,
    )
    site = serve_page(
        "blogger-post-flesler.html", "/2007/10/jqueryscrollto.html", ("http://flesler.blogspot.com",)
    )

    found = discover(site, settings)

    assert (found.feed_url, found.feed_format, found.name) == (
        url("/feeds/posts/default"),
        "atom",
        "Ariel Flesler",
    )
    assert found.page_title == "Ariel Flesler: jQuery.ScrollTo"
    assert found.latest_titles == ("jQuery.ScrollTo",)
    # rel="service.post" is Blogger's posting API, not a feed; the per-post comments feed has the
    # blog's own title, and only its address says what it is.
    assert [(c.url, c.title, c.comments, c.outcome) for c in found.candidates] == [
        (url("/feeds/posts/default"), "Ariel Flesler - Atom", False, "chosen"),
        (url("/feeds/posts/default?alt=rss"), "Ariel Flesler - RSS", False, "not tried"),
        (url("/feeds/8211605211968606133/comments/default"), "Ariel Flesler - Atom", True, "not tried"),
    ]


GRANARY = "/url?input=html&output={}&url=https://q4.re"


def test_an_indieweb_home_page_leads_to_feeds_on_another_host(
    serve: Serve, serve_page: ServePage, settings: Settings, url: Url
) -> None:
    serve(
        GRANARY.format("atom"),
        atom("Arne Govaerts", [("A note", "2026-01-06T10:00:00Z")]),
        content_type=ATOM_TYPE,
    )
    site = serve_page("indieweb-home-q4re.html", "/", ("https://granary.io",))

    found = discover(site, settings)

    assert (found.feed_url, found.feed_format) == (url(GRANARY.format("atom")), "atom")
    assert (found.name, found.site_url) == ("Arne Govaerts", site)
    assert [(c.type, c.outcome) for c in found.candidates] == [
        ("application/atom+xml", "chosen"),
        ("application/rss+xml", "not tried"),
        ("application/json", "not tried"),
    ]


def test_the_indieweb_json_feed_is_taken_when_atom_and_rss_fail(
    serve: Serve, serve_page: ServePage, settings: Settings, url: Url
) -> None:
    items = [("A note", "2026-01-06T10:00:00Z")]
    serve(GRANARY.format("jsonfeed"), json_feed("Arne Govaerts", items), content_type=JSON_FEED_TYPE)
    site = serve_page("indieweb-home-q4re.html", "/", ("https://granary.io",))

    found = discover(site, settings)

    assert (found.feed_url, found.feed_format) == (url(GRANARY.format("jsonfeed")), "json")
    assert found.reason == "the first feed the page links (2 tried before it failed)"


@pytest.mark.parametrize(("feed_title", "name"), [("Envision", "Envision"), ("", "127.0.0.1")])
def test_a_wordpress_page_without_a_title_is_named_by_its_feed_then_its_host(
    serve: Serve, serve_page: ServePage, settings: Settings, url: Url, feed_title: str, name: str
) -> None:
    serve("/feed/", rss(feed_title, POSTS), content_type=RSS_TYPE)
    path = "/login-full-page-video-background/"
    site = serve_page("wordpress-page-envision.html", path, ("http://envision.wptation.com",))

    found = discover(site, settings)

    assert (found.feed_url, found.page_title, found.name) == (url("/feed/"), "", name)
    assert [c.comments for c in found.candidates] == [False, True, True]


def test_a_wordpress_page_whose_feeds_are_gone_finds_nothing(
    serve_page: ServePage, settings: Settings
) -> None:
    site = serve_page("wordpress-page-envision.html", "/", ("http://envision.wptation.com",))

    with pytest.raises(NoFeedFound) as raised:
        discover(site, settings)

    assert str(raised.value) == (
        f"no feed found at {site}: none of the 3 feed(s) the page links answered as one, "
        "and none of /feed, /feed.xml, /rss.xml, /atom.xml, /index.xml is one"
    )
    # The three linked feeds (the comments feeds last of all) and the five common paths, each tried.
    assert [c.outcome for c in raised.value.candidates] == ["HTTP 404 Not Found"] * 8
