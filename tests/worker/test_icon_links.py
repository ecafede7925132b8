"""Which icon the worker asks for first, read from real pages (tests/worker/pages/README.md) and from
the tricky cases they suggest; and which bytes count as an image."""

from __future__ import annotations

from pathlib import Path

import pytest

from blogroll.worker.icons import ranked_icon_links, sniff_image
from tests.helpers.icons import CURSOR_START, GIF, HTML_PAGE, JPEG_START, SVG, WEBP_START, ico, page, png

from .icons import DISCOVERY_PAGES, PAGES

MIDONET = "https://blog.midonet.org/wp-content/uploads/2014/11/cropped-512pxMidoMark-5466cc4e_site_icon1"


@pytest.mark.parametrize(
    ("path", "page_url", "ranked"),
    [
        pytest.param(
            PAGES / "wordpress-post-midonet.html",
            "https://blog.midonet.org/midonet-5-0-0-release/",
            [f"{MIDONET}-32x32.png", f"{MIDONET}-192x192.png", f"{MIDONET}-180x180.png"],
            id="wordpress-site-icon",
        ),
        pytest.param(
            PAGES / "ghost-home-willvillanueva.html",
            "http://www.willvillanueva.com/",
            [
                "http://www.willvillanueva.com/favicon.ico",
                "http://www.willvillanueva.com/apple-touch-icon-precomposed.png",
            ],
            id="ghost-shortcut-icon",
        ),
        pytest.param(
            PAGES / "ghost-post-firstround.html",
            "https://review.firstround.com/why-most-startups-dont-get-press/",
            [
                "https://review.firstround.com/content/images/size/w256h256/format/png/2024/03/"
                "First-Round-icon-blk.svg"
            ],
            id="ghost-png-at-an-svg-address",
        ),
        pytest.param(
            DISCOVERY_PAGES / "indieweb-home-q4re.html",
            "https://q4.re/",
            [
                "https://q4.re/assets/icons/favicon-32x32.png",
                "https://q4.re/assets/icons/favicon.ico",
                "https://q4.re/assets/icons/favicon-16x16.png",
                "https://q4.re/assets/icons/apple-touch-icon.png",
            ],
            id="realfavicongenerator",
        ),
        pytest.param(
            DISCOVERY_PAGES / "blogger-post-flesler.html",
            "http://flesler.blogspot.com/2007/10/jqueryscrollto.html",
            ["http://flesler.blogspot.co.uk/favicon.ico"],
            id="blogger-icon-on-another-host",
        ),
    ],
)
def test_real_pages_rank_their_icons(path: Path, page_url: str, ranked: list[str]) -> None:
    text = path.read_text(encoding="utf-8")
    assert ranked_icon_links(text, page_url) == ranked


SITE = "https://blog.example/"


@pytest.mark.parametrize(
    ("links", "ranked"),
    [
        pytest.param(
            [
                '<link rel="icon" type="image/png" sizes="16x16" href="/i16.png">',
                '<link rel="icon" type="image/png" sizes="96x96" href="/i96.png">',
                '<link rel="icon" type="image/png" sizes="64x64" href="/i64.png">',
                '<link rel="icon" type="image/png" sizes="48x48" href="/i48.png">',
            ],
            ["i48.png", "i64.png", "i16.png", "i96.png"],
            id="nearest-above-32-first-then-smaller-then-larger",
        ),
        pytest.param(
            [
                '<link rel="icon" type="image/svg+xml" href="/favicon.svg">',
                '<link rel="icon" href="/logo.svg">',
                '<link rel="mask-icon" href="/pinned.svg" color="#000">',
                '<link rel="apple-touch-icon" href="/apple.png">',
            ],
            ["apple.png"],
            id="svg-by-type-or-address-and-mask-icon-left-out",
        ),
        pytest.param(
            [
                '<link rel="icon" href="/favicon.ico" sizes="any">',
                '<link rel="icon" href="/favicon.svg" type="image/svg+xml">',
                '<link rel="apple-touch-icon" href="/apple-touch-icon.png">',
            ],
            ["favicon.ico", "apple-touch-icon.png"],
            id="sizes-any-is-unsized",
        ),
        pytest.param(
            ['<LINK REL="SHORTCUT ICON" HREF="/Favicon.ICO">'],
            ["Favicon.ICO"],
            id="upper-case",
        ),
        pytest.param(
            [
                '<link rel="icon" href="/favicon.ico" sizes="16x16 32x32 48x48">',
                '<link rel="icon" href="/a.png">',
            ],
            ["favicon.ico", "a.png"],
            id="an-ico-holding-32",
        ),
        pytest.param(
            [
                '<link rel="icon" href="data:,">',
                '<link rel="icon" href="javascript:alert(1)">',
                '<link rel="icon" href="">',
            ],
            [],
            id="no-web-address",
        ),
        pytest.param(
            [
                '<link rel="icon" href="//cdn.example.net/i.png">',
                '<link rel="shortcut icon" href="//cdn.example.net/i.png">',
            ],
            ["https://cdn.example.net/i.png"],
            id="protocol-relative-once",
        ),
        pytest.param(
            [
                '<link rel="apple-touch-icon" sizes="57x57" href="/a57.png">',
                '<link rel="apple-touch-icon" sizes="180x180" href="/a180.png">',
                '<link rel="apple-touch-icon" href="/a.png">',
            ],
            ["a57.png", "a180.png", "a.png"],
            id="touch-icons-smallest-first",
        ),
    ],
)
def test_icon_links_are_ranked(links: list[str], ranked: list[str]) -> None:
    found = ranked_icon_links(page(*links).decode(), SITE)
    assert found == [address if "//" in address else SITE + address for address in ranked]


def test_base_href_resolves_icon_links() -> None:
    body = page('<link rel="icon" href="img/icon.png">', base="https://static.example/blog/")
    assert ranked_icon_links(body.decode(), SITE) == ["https://static.example/blog/img/icon.png"]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (png(), "image/png"),
        (ico(png()), "image/x-icon"),
        (GIF, "image/gif"),
        (JPEG_START, "image/jpeg"),
        (WEBP_START, "image/webp"),
        (SVG, None),
        (b"<?xml version='1.0'?>" + SVG, None),
        (HTML_PAGE, None),
        (CURSOR_START, None),
        (b"\x00\x00\x01\x00\x00\x00", None),
        (b"", None),
    ],
)
def test_only_raster_images_are_images(data: bytes, content_type: str | None) -> None:
    assert sniff_image(data) == content_type
