"""The worker finds each blog's icon on its site (the icon the page links, else /favicon.ico), keeps it
only if it is a small raster image fetched through the SSRF guard, and stores it; an icon that cannot
be had is recorded quietly and never touches the feed's fetch state."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import update

from blogroll.storage.blogs import update_blog
from blogroll.storage.models import MAX_ICON_BYTES, Blog, utcnow
from blogroll.worker.icons import RECHECK, RETRY, icon_digest
from tests.helpers.feed_server import FeedServer, Reply
from tests.helpers.icons import GIF, HTML_PAGE, SVG, ico, page, png

from .fake_internet import PUBLIC_ADDRESS, FakeInternet
from .feeds import RSS20, RSS_TYPE
from .harness import Harness
from .icons import PAGES, saved_page

HTML = {"Content-Type": "text/html; charset=utf-8"}
PNG = {"Content-Type": "image/png"}


@pytest.fixture(autouse=True)
def icons_on(harness: Harness) -> None:
    harness.configure(fetch_icons=True)


def serve_blog(feed_server: FeedServer, home: Reply | None = None, host: str = "127.0.0.1") -> str:
    """A feed at /feed.xml and, if given, the site's home page at /; returns the feed's URL."""
    if home is not None:
        feed_server.route("/", home)
    return feed_server.route("/feed.xml", Reply(body=RSS20, headers=RSS_TYPE), host=host)


def assert_next_check(blog: Blog, wait: dt.timedelta, since: dt.datetime) -> None:
    assert blog.icon_check_at is not None
    # Whole seconds on MariaDB; the jitter is 10% either way.
    assert since + wait * 0.9 - dt.timedelta(seconds=1) <= blog.icon_check_at <= utcnow() + wait * 1.1


def make_icon_due(harness: Harness, blog_id: int) -> None:
    """A week has passed: the blog's icon is due again (and its feed, so that it is claimed)."""
    with harness.database.transaction() as session:
        session.execute(update(Blog).where(Blog.id == blog_id).values(icon_check_at=utcnow()))
    harness.make_due(blog_id)


def test_the_icon_a_page_links_is_stored(harness: Harness, feed_server: FeedServer) -> None:
    icon = png(32)
    feed_server.route("/img/icon-32.png", Reply(body=icon, headers=PNG))
    feed_server.route("/img/icon-16.png", Reply(body=png(16), headers=PNG))
    home = page(
        '<link rel="icon" type="image/png" sizes="16x16" href="/img/icon-16.png">',
        '<link rel="icon" type="image/png" sizes="32x32" href="img/icon-32.png">',
    )
    blog_id = harness.add_blog(
        serve_blog(feed_server, Reply(body=home, headers=HTML)), site_url=feed_server.url("/")
    )
    before = utcnow()

    report = harness.fetch()

    assert report.count("stored") == 1
    stored = harness.icon(blog_id)
    assert stored is not None
    assert (stored.data, stored.content_type) == (icon, "image/png")
    assert stored.source_url == feed_server.url("/img/icon-32.png")
    assert stored.last_error is None
    assert stored.fetched_at is not None and stored.fetched_at >= before - dt.timedelta(seconds=1)
    blog = harness.blog(blog_id)
    assert blog.icon_digest == icon_digest(icon)
    assert_next_check(blog, RECHECK, before)
    assert feed_server.hits["/img/icon-16.png"] == 0
    assert feed_server.hits["/favicon.ico"] == 0
    [asked] = feed_server.headers_of("/img/icon-32.png")
    assert asked["accept"].startswith("image/png, image/x-icon")
    assert len(harness.entries(blog_id)) == 2


def test_without_an_icon_link_favicon_ico_at_the_site_root_is_taken(
    harness: Harness, feed_server: FeedServer
) -> None:
    icon = ico(png(32))
    feed_server.route("/favicon.ico", Reply(body=icon, headers={"Content-Type": "image/vnd.microsoft.icon"}))
    # No site address: the root of the feed's site is the page looked at.
    feed_server.route("/", Reply(body=page('<link rel="stylesheet" href="/style.css">'), headers=HTML))
    blog_id = harness.add_blog(feed_server.route("/blog/feed.xml", Reply(body=RSS20, headers=RSS_TYPE)))

    harness.fetch()

    stored = harness.icon(blog_id)
    assert stored is not None
    assert (stored.data, stored.content_type) == (icon, "image/x-icon")
    assert stored.source_url == feed_server.url("/favicon.ico")
    assert harness.blog(blog_id).icon_digest == icon_digest(icon)
    assert feed_server.hits["/"] == 1


def test_a_site_page_that_fails_still_leaves_favicon_ico(harness: Harness, feed_server: FeedServer) -> None:
    feed_server.route("/favicon.ico", Reply(body=GIF, headers={"Content-Type": "image/gif"}))
    blog_id = harness.add_blog(serve_blog(feed_server, Reply(status=404, body=b"gone")))

    harness.fetch()

    stored = harness.icon(blog_id)
    assert stored is not None and stored.content_type == "image/gif"


def test_a_heavy_page_is_read_only_as_far_as_its_head(harness: Harness, feed_server: FeedServer) -> None:
    """A home page of megabytes (inline scripts, a long body) still gives the icon its head links;
    a link past the first 256 KiB is not read."""
    icon = png(32)
    feed_server.route("/early.png", Reply(body=icon, headers=PNG))
    script = "<script>" + "var x = 1;" * 40_000 + "</script>"
    home = page(
        '<link rel="icon" sizes="48x48" href="/early.png">',
        script,
        '<link rel="icon" sizes="32x32" href="/late.png">',
    )
    blog_id = harness.add_blog(
        serve_blog(feed_server, Reply(body=home + b"<p>more</p>" * 200_000, headers=HTML))
    )

    harness.fetch()

    stored = harness.icon(blog_id)
    assert stored is not None and stored.data == icon
    assert feed_server.hits["/late.png"] == 0


def test_icon_checks_are_counted_by_outcome(harness: Harness, feed_server: FeedServer) -> None:
    def checks(outcome: str) -> float:
        return REGISTRY.get_sample_value("blogroll_icon_checks_total", {"outcome": outcome}) or 0.0

    before = {outcome: checks(outcome) for outcome in ("found", "none", "unreachable")}
    feed_server.route("/a/", Reply(body=page('<link rel="icon" href="/a.png">'), headers=HTML))
    feed_server.route("/a.png", Reply(body=png(), headers=PNG))
    feed_server.route("/b/", Reply(body=page('<link rel="icon" href="/b.png">'), headers=HTML))
    feed_server.route("/b.png", Reply(status=503))
    feed = serve_blog(feed_server, Reply(body=page(), headers=HTML))
    harness.add_blog(feed, site_url=feed_server.url("/a/"))
    harness.add_blog(
        feed_server.route("/b.xml", Reply(body=RSS20, headers=RSS_TYPE)), site_url=feed_server.url("/b/")
    )
    harness.add_blog(feed_server.route("/c.xml", Reply(body=RSS20, headers=RSS_TYPE)))

    harness.fetch()

    after = {outcome: checks(outcome) - before[outcome] for outcome in before}
    assert after == {"found": 1, "none": 1, "unreachable": 1}


def test_a_linked_icon_that_fails_falls_back_to_the_next(harness: Harness, feed_server: FeedServer) -> None:
    icon = png(48, shade=9)
    feed_server.route("/icon-48.png", Reply(body=icon, headers=PNG))
    home = page(
        '<link rel="icon" sizes="32x32" href="/missing-32.png">',
        '<link rel="icon" sizes="48x48" href="/icon-48.png">',
    )
    blog_id = harness.add_blog(serve_blog(feed_server, Reply(body=home, headers=HTML)))

    harness.fetch()

    stored = harness.icon(blog_id)
    assert stored is not None and stored.data == icon
    assert feed_server.hits["/missing-32.png"] == 1


def test_a_web_page_served_as_favicon_ico_is_no_icon(harness: Harness, feed_server: FeedServer) -> None:
    """Many servers answer any address with their home page, favicon.ico included."""
    feed_server.route("/favicon.ico", Reply(body=HTML_PAGE, headers=HTML))
    blog_id = harness.add_blog(serve_blog(feed_server, Reply(body=HTML_PAGE, headers=HTML)))
    before = utcnow()

    harness.fetch()

    stored = harness.icon(blog_id)
    assert stored is not None
    assert (stored.data, stored.content_type, stored.source_url) == (None, None, None)
    assert stored.last_error == (
        f"no usable icon: {feed_server.url('/favicon.ico')}: "
        "not a PNG, ICO, GIF, JPEG or WebP image (served as text/html)"
    )
    blog = harness.blog(blog_id)
    assert blog.icon_digest is None
    assert_next_check(blog, RECHECK, before)
    # The feed's own state says nothing of it.
    assert (blog.last_status, blog.last_error, blog.consecutive_errors) == (200, None, 0)


def test_svg_is_refused_by_its_type_and_by_its_bytes(harness: Harness, feed_server: FeedServer) -> None:
    feed_server.route("/icon.svg", Reply(body=SVG, headers={"Content-Type": "image/svg+xml"}))
    feed_server.route("/favicon.ico", Reply(body=SVG, headers={"Content-Type": "image/x-icon"}))
    home = page('<link rel="icon" type="image/svg+xml" href="/icon.svg">')
    blog_id = harness.add_blog(serve_blog(feed_server, Reply(body=home, headers=HTML)))

    harness.fetch()

    assert feed_server.hits["/icon.svg"] == 0
    stored = harness.icon(blog_id)
    assert stored is not None and stored.data is None
    assert stored.last_error is not None and "not a PNG, ICO, GIF, JPEG or WebP image" in stored.last_error
    assert harness.blog(blog_id).icon_digest is None


@pytest.mark.parametrize("endless", [False, True], ids=["declared", "streamed"])
def test_an_icon_over_the_size_cap_is_refused(
    harness: Harness, feed_server: FeedServer, endless: bool
) -> None:
    big = png(32) + b"\x00" * MAX_ICON_BYTES
    feed_server.route("/big.png", Reply(body=big, headers=PNG, endless=endless))
    home = page('<link rel="icon" href="/big.png">')
    blog_id = harness.add_blog(serve_blog(feed_server, Reply(body=home, headers=HTML)))

    harness.fetch()

    stored = harness.icon(blog_id)
    assert stored is not None and stored.data is None
    assert stored.last_error == (
        f"no usable icon: {feed_server.url('/big.png')}: larger than {MAX_ICON_BYTES} bytes; "
        f"{feed_server.url('/favicon.ico')}: HTTP 404 Not Found"
    )


def test_an_icon_of_exactly_the_size_cap_is_kept(harness: Harness, feed_server: FeedServer) -> None:
    icon = png(32)
    icon += b"\x00" * (MAX_ICON_BYTES - len(icon))
    feed_server.route("/favicon.ico", Reply(body=icon, headers=PNG))
    blog_id = harness.add_blog(serve_blog(feed_server))

    harness.fetch()

    stored = harness.icon(blog_id)
    assert stored is not None and stored.data == icon


def test_private_addresses_are_refused_for_icons(harness: Harness, feed_server: FeedServer) -> None:
    """A public blog whose page links an icon on the intranet, and whose favicon.ico redirects to
    loopback: neither is asked for."""
    internet = FakeInternet({"blog.example.com": [PUBLIC_ADDRESS], "intranet.example.com": ["10.1.2.3"]})
    feed_server.route("/secret.png", Reply(body=png(), headers=PNG))
    intranet_icon = f"http://intranet.example.com:{feed_server.port}/secret.png"
    loopback_icon = feed_server.url("/secret.png")
    feed_server.route("/favicon.ico", Reply(status=302, headers={"Location": loopback_icon}))
    home = page(f'<link rel="icon" href="{intranet_icon}">')
    feed_url = serve_blog(feed_server, Reply(body=home, headers=HTML), host="blog.example.com")
    blog_id = harness.add_blog(feed_url)
    harness.configure(fetch_icons=True, allow_private_feeds=False)

    harness.fetch(backend=internet)

    assert harness.blog(blog_id).last_status == 200
    assert feed_server.hits["/secret.png"] == 0
    assert feed_server.hits["/favicon.ico"] == 1
    stored = harness.icon(blog_id)
    assert stored is not None and stored.data is None
    assert stored.last_error is not None
    assert f"{intranet_icon}: refused: intranet.example.com resolves to 10.1.2.3" in stored.last_error
    assert "refused: 127.0.0.1 resolves to 127.0.0.1" in stored.last_error


def test_with_private_feeds_off_nothing_on_loopback_is_asked(
    harness: Harness, feed_server: FeedServer
) -> None:
    feed_server.route("/favicon.ico", Reply(body=png(), headers=PNG))
    blog_id = harness.add_blog(serve_blog(feed_server, Reply(body=page(), headers=HTML)))
    harness.configure(fetch_icons=True, allow_private_feeds=False)

    harness.fetch()

    assert sum(feed_server.hits.values()) == 0
    stored = harness.icon(blog_id)
    assert stored is not None and stored.data is None
    assert stored.last_error is not None and stored.last_error.startswith(
        f"no usable icon: {feed_server.url('/')}: refused: 127.0.0.1 resolves to 127.0.0.1"
    )


def test_icons_are_looked_for_weekly_not_at_every_fetch(harness: Harness, feed_server: FeedServer) -> None:
    feed_server.route("/favicon.ico", Reply(body=png(), headers=PNG))
    blog_id = harness.add_blog(serve_blog(feed_server))

    harness.fetch()
    harness.fetch(blog_id)

    assert feed_server.hits["/feed.xml"] == 2
    assert feed_server.hits["/favicon.ico"] == 1


def test_an_unreachable_site_keeps_its_icon_and_is_asked_again_in_a_day(
    harness: Harness, feed_server: FeedServer
) -> None:
    icon = png(32)
    feed_server.route("/favicon.ico", Reply(body=icon, headers=PNG))
    blog_id = harness.add_blog(serve_blog(feed_server))
    harness.fetch()
    first = harness.icon(blog_id)
    assert first is not None and first.data == icon

    make_icon_due(harness, blog_id)
    feed_server.route("/", Reply(status=503, body=b"busy"))
    feed_server.route("/favicon.ico", Reply(status=503, body=b"busy"))
    before = utcnow()
    harness.fetch()

    kept = harness.icon(blog_id)
    assert kept is not None and kept.data == icon and kept.fetched_at == first.fetched_at
    assert kept.last_error is not None and "HTTP 503 Service Unavailable" in kept.last_error
    blog = harness.blog(blog_id)
    assert blog.icon_digest == icon_digest(icon)
    assert_next_check(blog, RETRY, before)

    # The site answers again, and has no icon any more.
    make_icon_due(harness, blog_id)
    feed_server.route("/", Reply(body=page(), headers=HTML))
    feed_server.route("/favicon.ico", Reply(status=404, body=b"none"))
    before = utcnow()
    harness.fetch()

    gone = harness.icon(blog_id)
    assert gone is not None and gone.data is None
    blog = harness.blog(blog_id)
    assert blog.icon_digest is None
    assert_next_check(blog, RECHECK, before)
    assert blog.last_error is None


def test_a_new_site_address_has_its_icon_looked_for_at_the_next_fetch(
    harness: Harness, feed_server: FeedServer
) -> None:
    feed_server.route("/favicon.ico", Reply(body=png(32), headers=PNG))
    blog_id = harness.add_blog(serve_blog(feed_server))
    harness.fetch()
    new_icon = png(32, shade=200)
    feed_server.route("/new/", Reply(body=page('<link rel="icon" href="/new/icon.png">'), headers=HTML))
    feed_server.route("/new/icon.png", Reply(body=new_icon, headers=PNG))

    with harness.database.transaction() as session:
        blog = session.get(Blog, blog_id)
        assert blog is not None
        update_blog(session, blog, {"site_url": feed_server.url("/new/")})
    harness.fetch(blog_id)

    assert harness.blog(blog_id).icon_digest == icon_digest(new_icon)


def test_icons_count_in_the_per_host_limit(harness: Harness, feed_server: FeedServer) -> None:
    feed_server.route("/favicon.ico", Reply(body=png(), headers=PNG, delay=0.2))
    feed_server.route("/", Reply(body=page(), headers=HTML, delay=0.1))
    for n in range(3):
        harness.add_blog(feed_server.route(f"/{n}/feed.xml", Reply(body=RSS20, headers=RSS_TYPE, delay=0.1)))
    harness.configure(fetch_icons=True, fetch_per_host=1)

    report = harness.fetch()

    assert report.count("stored") == 3
    assert feed_server.hits["/favicon.ico"] == 3
    assert feed_server.most_active == 1


@pytest.mark.parametrize(
    ("name", "origin", "icon_path", "content_type"),
    [
        (
            "wordpress-post-midonet.html",
            "https://blog.midonet.org",
            "/wp-content/uploads/2014/11/cropped-512pxMidoMark-5466cc4e_site_icon1-32x32.png",
            "image/png",
        ),
        (
            "ghost-post-firstround.html",
            "https://review.firstround.com",
            "/content/images/size/w256h256/format/png/2024/03/First-Round-icon-blk.svg",
            "image/png",
        ),
        ("ghost-home-willvillanueva.html", "http://www.willvillanueva.com", "/favicon.ico", "image/x-icon"),
    ],
)
def test_real_pages_lead_to_their_icon(
    harness: Harness, feed_server: FeedServer, name: str, origin: str, icon_path: str, content_type: str
) -> None:
    body = saved_page(PAGES / name, (origin,), feed_server.url(""))
    icon = png(32) if content_type == "image/png" else ico(png(32))
    feed_server.route(icon_path, Reply(body=icon, headers={"Content-Type": "application/octet-stream"}))
    blog_id = harness.add_blog(serve_blog(feed_server, Reply(body=body, headers=HTML)))

    harness.fetch()

    stored = harness.icon(blog_id)
    assert stored is not None
    assert (stored.data, stored.content_type) == (icon, content_type)
    assert stored.source_url == feed_server.url(icon_path)
