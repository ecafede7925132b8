"""Discovery from a site's address: links, common paths, the choice among several feeds, limits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from blogroll.config import Settings
from blogroll.discovery import Candidate, Discovery, NoFeedFound, discover
from blogroll.worker.fetch import GuardedBackend

from .feeds import ATOM_TYPE, JSON_FEED_TYPE, RSS_TYPE, atom, json_feed, page, rss

POSTS = [("Second post", "Tue, 06 Jan 2026 10:00:00 GMT"), ("First post", "Mon, 05 Jan 2026 09:30:00 GMT")]
Serve = Callable[..., str]
Url = Callable[..., str]
NO_FEED_ANYWHERE = "none of /feed, /feed.xml, /rss.xml, /atom.xml, /index.xml is one"


def link(href: str, type_: str = "application/rss+xml", title: str = "") -> str:
    title_attribute = f' title="{title}"' if title else ""
    return f'<link rel="alternate" type="{type_}" href="{href}"{title_attribute}>'


@pytest.mark.parametrize(
    ("link_type", "body", "content_type", "feed_format"),
    [
        ("application/rss+xml", rss("A blog", POSTS), RSS_TYPE, "rss"),
        (
            "application/atom+xml",
            atom("A blog", [("Second post", "2026-01-06T10:00:00Z"), ("First post", "2026-01-05T08:30:00Z")]),
            ATOM_TYPE,
            "atom",
        ),
        (
            "application/feed+json",
            json_feed(
                "A blog", [("Second post", "2026-01-06T10:00:00Z"), ("First post", "2026-01-05T08:30:00Z")]
            ),
            JSON_FEED_TYPE,
            "json",
        ),
    ],
)
def test_a_feed_linked_from_the_page_is_found(
    serve: Serve, settings: Settings, link_type: str, body: bytes, content_type: str, feed_format: str
) -> None:
    feed_url = serve("/the-feed", body, content_type=content_type)
    site = serve("/", page(f"<title>Home page</title>{link('/the-feed', link_type, 'Posts')}"))

    found = discover(site, settings)

    assert found == Discovery(
        address=site,
        feed_url=feed_url,
        feed_format=feed_format,  # type: ignore[arg-type]
        feed_title="A blog",
        page_title="Home page",
        site_url=site,
        latest_titles=("Second post", "First post"),
        candidates=(Candidate(feed_url, "link", "Posts", link_type, outcome="chosen"),),
        reason="the feed the page links",
    )
    assert found.name == "A blog"


def test_a_relative_href_is_resolved_against_the_page(serve: Serve, settings: Settings, url: Url) -> None:
    serve("/blog/feed.xml", rss("A blog", POSTS), content_type=RSS_TYPE)
    site = serve("/blog/posts/hello.html", page(link("../feed.xml")))

    assert discover(site, settings).feed_url == url("/blog/feed.xml")


def test_a_relative_href_is_resolved_against_the_pages_base(
    serve: Serve, settings: Settings, url: Url
) -> None:
    serve("/static/site/feed.xml", rss("A blog", POSTS), content_type=RSS_TYPE)
    # Only the first <base> counts, and it may itself be relative to the page.
    head = '<base href="/static/site/"><base href="/elsewhere/">' + link("feed.xml")
    site = serve("/blog/posts/hello.html", page(head))

    assert discover(site, settings).feed_url == url("/static/site/feed.xml")


def test_the_common_paths_are_tried_in_order_when_the_page_links_no_feed(
    serve: Serve, settings: Settings, url: Url, hits: Counter[str]
) -> None:
    serve("/feed.xml", page(body="Not found, but said politely"))  # a 200 that is no feed
    serve("/rss.xml", rss("A blog", POSTS), content_type=RSS_TYPE)
    site = serve("/", page("<title>Home</title>"))

    found = discover(site, settings)

    assert found.feed_url == url("/rss.xml")
    assert found.reason == "the page links no feed; found at the common path /rss.xml"
    assert found.candidates == (
        Candidate(url("/feed"), "common path", outcome="HTTP 404 Not Found"),
        Candidate(url("/feed.xml"), "common path", outcome="not a feed"),
        Candidate(url("/rss.xml"), "common path", outcome="chosen"),
    )
    assert hits["/atom.xml"] == 0


def test_the_common_paths_are_tried_when_every_linked_feed_fails(
    serve: Serve, settings: Settings, url: Url
) -> None:
    serve("/feed", rss("A blog", POSTS), content_type=RSS_TYPE)
    site = serve("/", page(link("/feeds/retired.xml", title="Old feed")))

    found = discover(site, settings)

    assert found.feed_url == url("/feed")
    assert found.reason == "no feed the page links answered as one; found at the common path /feed"
    assert found.candidates == (
        Candidate(
            url("/feeds/retired.xml"),
            "link",
            "Old feed",
            "application/rss+xml",
            outcome="HTTP 404 Not Found",
        ),
        Candidate(url("/feed"), "common path", outcome="chosen"),
    )


def test_an_address_that_is_a_feed_is_taken_as_the_feed(serve: Serve, settings: Settings) -> None:
    feed_url = serve(
        "/feed.xml", rss("A blog", POSTS, link="https://blog.example.org/"), content_type=RSS_TYPE
    )

    assert discover(feed_url, settings) == Discovery(
        address=feed_url,
        feed_url=feed_url,
        feed_format="rss",
        feed_title="A blog",
        page_title="",
        site_url="https://blog.example.org/",
        latest_titles=("Second post", "First post"),
        candidates=(Candidate(feed_url, "address", outcome="chosen"),),
        reason="the address is itself a feed",
    )


def test_a_feed_served_as_html_is_still_a_feed(serve: Serve, settings: Settings) -> None:
    feed_url = serve("/feed", rss("A blog", POSTS), content_type="text/html; charset=utf-8")

    found = discover(feed_url, settings)

    assert (found.feed_url, found.reason) == (feed_url, "the address is itself a feed")


def test_the_main_feed_wins_over_comments_feeds_linked_before_it(
    serve: Serve, settings: Settings, url: Url, hits: Counter[str]
) -> None:
    for path in ("/comments/feed/", "/feed/", "/2026/01/hello/feed/"):
        serve(path, rss(f"Feed at {path}", POSTS), content_type=RSS_TYPE)
    head = (
        link("/comments/feed/", title="A blog » Comments Feed")
        + link("/feed/", title="A blog » Feed")
        + link("/2026/01/hello/feed/", title="A blog » Hello Kommentare")
    )
    site = serve("/2026/01/hello/", page(head))

    found = discover(site, settings)

    assert found.feed_url == url("/feed/")
    assert found.reason == "the first feed the page links (2 comments feed(s) passed over)"
    assert [(c.url, c.comments, c.outcome) for c in found.candidates] == [
        (url("/comments/feed/"), True, "not tried"),
        (url("/feed/"), False, "chosen"),
        (url("/2026/01/hello/feed/"), True, "not tried"),
    ]
    assert hits["/comments/feed/"] == 0


def test_a_comments_feed_is_known_by_its_query_too(serve: Serve, settings: Settings, url: Url) -> None:
    # WordPress without pretty permalinks: the address says "comments" only in its query.
    serve("/?feed=rss2", rss("A blog", POSTS), content_type=RSS_TYPE)
    site = serve(
        "/", page(link("/?feed=comments-rss2", title="A blog") + link("/?feed=rss2", title="A blog"))
    )

    found = discover(site, settings)

    assert found.feed_url == url("/?feed=rss2")
    assert [c.comments for c in found.candidates] == [True, False]


def test_a_comments_feed_is_taken_only_when_nothing_else_is_found(
    serve: Serve, settings: Settings, url: Url
) -> None:
    serve("/comments/feed/", rss("Comments on A blog", POSTS), content_type=RSS_TYPE)
    site = serve("/", page(link("/comments/feed/", title="Comments")))

    found = discover(site, settings)

    assert found.feed_url == url("/comments/feed/")
    assert found.reason == "only a comments feed was found"
    assert [c.outcome for c in found.candidates] == ["chosen"] + ["HTTP 404 Not Found"] * 5


def test_rss_and_atom_win_over_a_json_feed_linked_first(
    serve: Serve, settings: Settings, url: Url, hits: Counter[str]
) -> None:
    serve("/feed.json", json_feed("A blog", []), content_type=JSON_FEED_TYPE)
    serve("/atom.xml", atom("A blog", []), content_type=ATOM_TYPE)
    site = serve(
        "/", page(link("/feed.json", "application/json") + link("/atom.xml", "application/atom+xml"))
    )

    found = discover(site, settings)

    assert (found.feed_url, found.feed_format) == (url("/atom.xml"), "atom")
    assert (
        found.reason
        == "the first feed the page links (1 JSON feed(s) linked before it come after RSS and Atom)"
    )
    assert hits["/feed.json"] == 0


def test_a_json_feed_is_taken_when_the_others_fail(serve: Serve, settings: Settings, url: Url) -> None:
    items = [("Older", "2026-01-05T08:30:00+01:00"), ("Newer", "2026-01-06T10:00:00Z")]
    serve("/feed.json", json_feed("A JSON blog", items), content_type=JSON_FEED_TYPE)
    site = serve("/", page(link("/rss.xml") + link("/feed.json", "application/feed+json")))

    found = discover(site, settings)

    assert (found.feed_url, found.feed_format) == (url("/feed.json"), "json")
    assert (found.feed_title, found.latest_titles) == ("A JSON blog", ("Newer", "Older"))
    assert found.reason == "the first feed the page links (1 tried before it failed)"


@pytest.mark.parametrize(
    ("feed_title", "page_title", "name"),
    [
        ("The feed's title", "The page's title", "The feed's title"),
        ("", "The page's title", "The page's title"),
    ],
)
def test_the_name_is_the_feeds_title_then_the_pages(
    serve: Serve, settings: Settings, feed_title: str, page_title: str, name: str
) -> None:
    serve("/feed", rss(feed_title, POSTS), content_type=RSS_TYPE)
    site = serve("/", page(f"<title>\n  {page_title}\n</title>{link('/feed')}"))

    assert discover(site, settings).name == name


def test_without_a_title_the_name_is_the_host(serve: Serve, settings: Settings) -> None:
    serve("/feed", rss("", POSTS), content_type=RSS_TYPE)
    site = serve("/", page(link("/feed")))

    assert discover(site, settings).name == "127.0.0.1"


def test_an_svg_title_is_not_the_pages_title(serve: Serve, settings: Settings) -> None:
    serve("/feed", rss("", POSTS), content_type=RSS_TYPE)
    icon = '<svg viewBox="0 0 1 1"><title>Icon</title><svg/></svg>'
    site = serve("/", page(f"{icon}<title>Home</title>{link('/feed')}"))

    assert discover(site, settings).page_title == "Home"


def test_a_malformed_section_does_not_stop_discovery(serve: Serve, settings: Settings, url: Url) -> None:
    serve("/feed.xml", rss("A blog", POSTS), content_type=RSS_TYPE)
    # html.parser raises AssertionError at `<![ ` (Python 3.11 to 3.13.0); what came before is kept.
    site = serve("/", page(link("/feed.xml") + "<![ =>" + link("/later.xml")))

    assert discover(site, settings).feed_url == url("/feed.xml")


def test_the_pages_charset_is_honoured(serve: Serve, settings: Settings) -> None:
    serve("/feed", rss("", POSTS), content_type=RSS_TYPE)
    latin = "<title>Caf\u00e9 cr\u00e8me</title>".encode("iso-8859-1") + link("/feed").encode()
    in_header = serve("/header", latin, content_type="text/html; charset=ISO-8859-1")
    in_meta = serve("/meta", b'<meta charset="iso-8859-1">' + latin, content_type="text/html")

    assert discover(in_header, settings).page_title == "Caf\u00e9 cr\u00e8me"
    assert discover(in_meta, settings).page_title == "Caf\u00e9 cr\u00e8me"


def test_the_latest_titles_are_the_newest_five_undated_first(serve: Serve, settings: Settings) -> None:
    items = [
        ("March", "Sun, 01 Mar 2026 00:00:00 GMT"),
        ("January", "Thu, 01 Jan 2026 00:00:00 GMT"),
        ("Undated", None),
        ("", "Sat, 28 Feb 2026 00:00:00 GMT"),
        ("April", "Wed, 01 Apr 2026 00:00:00 GMT"),
        ("February", "Sun, 01 Feb 2026 00:00:00 GMT"),
        ("December", "Mon, 01 Dec 2025 00:00:00 GMT"),
    ]
    feed_url = serve("/feed", rss("A blog", items), content_type=RSS_TYPE)

    assert discover(feed_url, settings).latest_titles == ("Undated", "April", "March", "February", "January")


def test_nothing_found_names_the_address(serve: Serve, settings: Settings) -> None:
    site = serve("/", page("<title>No feeds here</title>"))

    with pytest.raises(NoFeedFound) as raised:
        discover(site, settings)

    assert str(raised.value) == f"no feed found at {site}: the page links no feed, and {NO_FEED_ANYWHERE}"
    assert (raised.value.error, raised.value.url) == ("no_feed_found", site)
    assert [c.outcome for c in raised.value.candidates] == ["HTTP 404 Not Found"] * 5


def test_nothing_found_when_the_linked_feeds_fail(serve: Serve, settings: Settings) -> None:
    serve("/feed.xml", page(body="an HTML page where the feed was"))
    site = serve("/", page(link("/feed.xml") + link("/atom.xml", "application/atom+xml")))

    with pytest.raises(NoFeedFound) as raised:
        discover(site, settings)

    assert str(raised.value) == (
        f"no feed found at {site}: none of the 2 feed(s) the page links answered as one, "
        f"and {NO_FEED_ANYWHERE}"
    )
    assert [c.outcome for c in raised.value.candidates] == [
        "not a feed",
        "HTTP 404 Not Found",
        "HTTP 404 Not Found",
        "HTTP 404 Not Found",
        "HTTP 404 Not Found",
    ]


def test_a_page_that_cannot_be_fetched_is_named(serve: Serve, settings: Settings) -> None:
    site = serve("/gone", b"", status=410)

    with pytest.raises(NoFeedFound) as raised:
        discover(site, settings)

    assert str(raised.value) == f"no feed found at {site}: the page could not be fetched: HTTP 410 Gone"


def test_an_address_that_is_not_http_is_refused(settings: Settings) -> None:
    with pytest.raises(NoFeedFound) as raised:
        discover("ftp://blog.example.org/", settings)

    assert str(raised.value) == "no feed found at ftp://blog.example.org/: the address is not an http(s) URL"


def test_a_private_address_is_refused_unless_allowed(
    serve: Serve, make_settings: Callable[..., Settings], hits: Counter[str]
) -> None:
    site = serve("/", page(link("/feed")))

    with pytest.raises(NoFeedFound) as raised:
        discover(site, make_settings(allow_private_feeds=False))

    assert str(raised.value) == (
        f"no feed found at {site}: the page could not be fetched: refused: 127.0.0.1 resolves to "
        "127.0.0.1, which is not a public address "
        "(set BLOGROLL_ALLOW_PRIVATE_FEEDS=true to fetch feeds on private networks)"
    )
    assert hits["/"] == 0


def test_a_public_page_cannot_lead_discovery_to_a_private_address(
    serve: Serve,
    make_settings: Callable[..., Settings],
    url: Url,
    fake_internet: GuardedBackend,
) -> None:
    serve("/", page(link(url("/private/feed", "intranet.example"))))
    serve("/redirect", b"", status=302, headers={"Location": url("/", "intranet.example")})
    site = url("/", "blog.example")

    with pytest.raises(NoFeedFound) as raised:
        discover(site, make_settings(allow_private_feeds=False), backend=fake_internet)

    refused = (
        "refused: intranet.example resolves to 10.0.0.5, which is not a public address "
        "(set BLOGROLL_ALLOW_PRIVATE_FEEDS=true to fetch feeds on private networks)"
    )
    assert raised.value.candidates[0].outcome == refused
    with pytest.raises(NoFeedFound) as redirected:
        discover(url("/redirect", "blog.example"), make_settings(), backend=fake_internet)
    assert str(redirected.value).endswith(f"the page could not be fetched: {refused}")


def test_a_page_over_the_size_cap_is_refused(serve: Serve, make_settings: Callable[..., Settings]) -> None:
    site = serve("/", page(link("/feed"), "x" * 2000))

    with pytest.raises(NoFeedFound) as raised:
        discover(site, make_settings(max_feed_bytes=1024))

    assert (
        str(raised.value)
        == f"no feed found at {site}: the page could not be fetched: feed is larger than 1024 bytes"
    )


def test_a_redirected_page_resolves_links_against_where_it_landed(
    serve: Serve, settings: Settings, url: Url
) -> None:
    serve("/new/feed.xml", rss("A blog", POSTS), content_type=RSS_TYPE)
    serve("/new/", page(link("feed.xml")))
    moved = serve("/old", b"", status=301, headers={"Location": "/new/"})
    visiting = serve("/promo", b"", status=302, headers={"Location": "/new/"})

    found = discover(moved, settings)

    assert (found.feed_url, found.site_url) == (url("/new/feed.xml"), url("/new/"))
    # A temporary redirect leaves the site at the address given, as the worker does for feeds.
    assert discover(visiting, settings).site_url == visiting


def test_a_feed_that_moved_for_good_is_stored_at_its_new_address(
    serve: Serve, settings: Settings, url: Url
) -> None:
    serve("/feed/v2.xml", rss("A blog", POSTS), content_type=RSS_TYPE)
    serve("/feed/v1.xml", b"", status=308, headers={"Location": "/feed/v2.xml"})
    serve("/feed/latest.xml", b"", status=307, headers={"Location": "/feed/v2.xml"})
    moved = serve("/moved", page(link("/feed/v1.xml")))
    temporary = serve("/temporary", page(link("/feed/latest.xml")))

    assert discover(moved, settings).feed_url == url("/feed/v2.xml")
    assert discover(temporary, settings).feed_url == url("/feed/latest.xml")


def test_discovery_gives_up_when_its_time_runs_out(
    serve: Serve, make_settings: Callable[..., Settings], hits: Counter[str]
) -> None:
    for path in ("/slow-1", "/slow-2", "/slow-3"):
        serve(path, b"", status=503, delay=0.6)
    site = serve("/", page(link("/slow-1") + link("/slow-2") + link("/slow-3")))

    with pytest.raises(NoFeedFound) as raised:
        discover(site, make_settings(fetch_total_timeout=1.0))

    assert str(raised.value) == (
        f"no feed found at {site}: gave up before trying every candidate: the time allowed ran out"
    )
    assert [c.outcome for c in raised.value.candidates] == [
        "HTTP 503 Service Unavailable",
        "HTTP 503 Service Unavailable",
        "not tried",
    ]
    assert hits["/slow-3"] == 0
