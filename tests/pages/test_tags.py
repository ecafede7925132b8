"""Tags are places: `/tags/`, each tag's page (its blogs and their latest posts, paged), its Atom feed,
JSON Feed and OPML; an unknown tag is a 404 page; all cached like the other pages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient

from blogroll.opml import parse_opml
from tests.helpers.html_page import Page, follow_older_links, small_pages
from tests.helpers.json_feed_schema import json_feed_errors

GetPage = Callable[..., Page]
ENTRY_TITLES = ".//ol[@class='entries']/li/h3"
BLOGROLL_SITES = ".//aside[@class='blogroll']//li/a[1]"


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 1, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def tagged(add_blog: Any, add_entry: Any) -> dict[str, Any]:
    """Three blogs: two tagged python (one also node.js), one tagged nothing; a post each."""
    zed = add_blog("Zed", site_url="https://zed.example/", tags=["python", "node.js"])
    amy = add_blog("amy", site_url="https://amy.example/", tags=["python"])
    other = add_blog("Other", site_url="https://other.example/")
    add_entry(zed, "Zed writes", link="https://zed.example/1", published_at=at(9))
    add_entry(amy, "Amy writes", link="https://amy.example/1", published_at=at(10))
    add_entry(other, "Other writes", link="https://other.example/1", published_at=at(11))
    return {"zed": zed, "amy": amy, "other": other}


def test_the_tags_page_lists_every_tag_with_its_number_of_blogs(
    get_page: GetPage, tagged: dict[str, Any]
) -> None:
    page = get_page("/tags/")

    assert page.text(".//title") == "Tags · Blogroll"
    assert page.links(".//ul[@class='tag-list']/li/a") == [
        ("node.js", "/tags/node.js"),
        ("python", "/tags/python"),
    ]
    assert page.texts(".//ul[@class='tag-list']/li/span[@class='count']") == ["1 blog", "2 blogs"]


def test_without_tags_the_tags_page_says_how_to_get_some(get_page: GetPage) -> None:
    assert get_page("/tags/").text(".//p[@class='empty']") == (
        "No tags yet. Give a blog tags when you add or edit it."
    )


def test_a_tag_page_shows_its_blogs_and_only_their_posts(get_page: GetPage, tagged: dict[str, Any]) -> None:
    page = get_page("/tags/python")

    assert page.text(".//title") == "python · Blogroll"
    assert page.text(".//main//h1") == "Tag python"
    assert page.links(BLOGROLL_SITES) == [("amy", "https://amy.example/"), ("Zed", "https://zed.example/")]
    assert page.texts(ENTRY_TITLES) == ["Amy writes", "Zed writes"]
    assert page.links(".//main/p[@class='meta']/a") == [
        ("Atom", "/tags/python.atom"),
        ("JSON Feed", "/tags/python.json"),
        ("OPML", "/tags/python.opml"),
        ("All tags", "/tags/"),
    ]
    # Feed readers find the tag's own feeds after the whole blogroll's.
    alternates = [
        (link.get("type"), link.get("href"))
        for link in page.findall(".//head/link[@rel='alternate']")
        if link.get("type")  # the others are the page in other languages (hreflang)
    ]
    assert alternates == [
        ("application/atom+xml", "/feed.atom"),
        ("application/feed+json", "/feed.json"),
        ("application/atom+xml", "/tags/python.atom"),
        ("application/feed+json", "/tags/python.json"),
    ]


def test_a_tag_with_a_dot_has_its_page_and_its_feeds(
    client: FlaskClient, get_page: GetPage, tagged: Any
) -> None:
    assert get_page("/tags/node.js").texts(ENTRY_TITLES) == ["Zed writes"]
    feed = feedparser.parse(client.get("/tags/node.js.atom").data)
    assert [entry.title for entry in feed.entries] == ["Zed writes"]
    assert [item["title"] for item in json.loads(client.get("/tags/node.js.json").data)["items"]] == [
        "Zed writes"
    ]


@pytest.mark.parametrize("suffix", [".atom", ".json", ".opml"])
def test_a_tag_ending_like_a_feed_has_its_page_at_its_name_and_a_slash(
    client: FlaskClient, get_page: GetPage, add_blog: Any, add_entry: Any, suffix: str
) -> None:
    """`/tags/x.atom` is always the Atom feed of `x`; the tag `x.atom` itself is at `/tags/x.atom/`."""
    plain = add_blog("Plain", site_url="https://plain.example/", tags=["x"])
    odd = add_blog("Odd", site_url="https://odd.example/", tags=[f"x{suffix}"])
    add_entry(plain, "Plain writes", link="https://plain.example/1", published_at=at(9))
    add_entry(odd, "Odd writes", link="https://odd.example/1", published_at=at(10))

    tags = get_page("/tags/").links(".//ul[@class='tag-list']/li/a")
    page = get_page(f"/tags/x{suffix}/")
    formats = {".atom": "Atom", ".json": "JSON Feed", ".opml": "OPML"}

    assert tags == [("x", "/tags/x"), (f"x{suffix}", f"/tags/x{suffix}/")]
    assert page.text(".//main//h1") == f"Tag x{suffix}"
    assert page.texts(ENTRY_TITLES) == ["Odd writes"]
    assert (formats[suffix], f"/tags/x{suffix}{suffix}") in page.links(".//main/p[@class='meta']/a")
    # Without the slash the address is the format of the tag before the suffix.
    response = client.get(f"/tags/x{suffix}")
    assert response.status_code == 200
    assert "Plain" in response.text and "Odd" not in response.text
    own = client.get(f"/tags/x{suffix}{suffix}")
    assert own.status_code == 200
    assert "Odd" in own.text and "Plain" not in own.text
    # Other tags have one address for their page: no second one with a slash.
    assert get_page("/tags/x").texts(ENTRY_TITLES) == ["Plain writes"]
    assert client.get("/tags/x/").status_code == 404


def test_an_older_page_of_a_tag_ending_like_a_feed_keeps_the_slash(
    app: Flask, get_page: GetPage, add_blog: Any, add_entry: Any
) -> None:
    small_pages(app, 1)
    blog = add_blog("Odd", tags=["x.opml"])
    for number in range(2):
        add_entry(blog, f"Post {number}", published_at=at(number))

    pages = follow_older_links(get_page, "/tags/x.opml/")

    assert [page.texts(ENTRY_TITLES) for page in pages] == [["Post 1"], ["Post 0"]]
    assert pages[1].links(".//nav[@class='pager']/a")[0] == ("← Newest posts", "/tags/x.opml/")


def test_a_tag_page_pages_through_its_posts_like_the_home_page(
    app: Flask, get_page: GetPage, add_blog: Any, add_entry: Any
) -> None:
    small_pages(app, 2)
    blog = add_blog("Tagged", tags=["t"])
    untagged = add_blog("Untagged")
    for number in range(5):
        add_entry(blog, f"Post {number}", published_at=at(number))
        add_entry(untagged, f"Elsewhere {number}", published_at=at(number, 30))

    pages = follow_older_links(get_page, "/tags/t")

    assert [page.texts(ENTRY_TITLES) for page in pages] == [
        ["Post 4", "Post 3"],
        ["Post 2", "Post 1"],
        ["Post 0"],
    ]
    assert pages[1].links(".//nav[@class='pager']/a")[0] == ("← Newest posts", "/tags/t")


def test_a_tags_atom_feed_holds_only_its_blogs_entries(client: FlaskClient, tagged: dict[str, Any]) -> None:
    response = client.get("/tags/python.atom")

    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Blogroll: python"
    assert [(link.rel, link.href) for link in feed.feed.links] == [
        ("self", "http://localhost/tags/python.atom"),
        ("alternate", "http://localhost/tags/python"),
        ("blogroll", "http://localhost/blogroll.opml"),
    ]
    assert [entry.title for entry in feed.entries] == ["Amy writes", "Zed writes"]


def test_a_tags_json_feed_is_valid_and_holds_only_its_blogs_entries(
    client: FlaskClient, tagged: dict[str, Any]
) -> None:
    response = client.get("/tags/python.json")

    assert response.mimetype == "application/feed+json"
    document = json.loads(response.data)
    assert json_feed_errors(document) == []
    assert (document["title"], document["feed_url"], document["home_page_url"]) == (
        "Blogroll: python",
        "http://localhost/tags/python.json",
        "http://localhost/tags/python",
    )
    assert [item["title"] for item in document["items"]] == ["Amy writes", "Zed writes"]


def test_a_tags_opml_lists_only_its_blogs(client: FlaskClient, tagged: dict[str, Any]) -> None:
    response = client.get("/tags/python.opml")

    assert response.mimetype == "text/x-opml"
    assert b"<title>Blogroll: python</title>" in response.data
    parsed = parse_opml(response.data)
    assert [(blog.name, blog.feed_url) for blog in parsed.blogs] == [
        ("amy", tagged["amy"].feed_url),
        ("Zed", tagged["zed"].feed_url),
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/tags/nope",
        "/tags/nope.atom",
        "/tags/nope.json",
        "/tags/nope.opml",
        "/tags/Python",
        "/tags/%00",
        "/tags/%20",
    ],
)
def test_an_unknown_tag_is_a_404_page(get_page: GetPage, tagged: dict[str, Any], path: str) -> None:
    page = get_page(path, status=404)

    assert page.text(".//section[@class='error']/h1") == "404 Not Found"
    assert page.text(".//section[@class='error']/p[1]").startswith("There is no tag “")


@pytest.mark.parametrize(
    "path", ["/tags/", "/tags/python", "/tags/python.atom", "/tags/python.json", "/tags/python.opml"]
)
def test_tag_pages_and_feeds_are_cached_like_the_other_pages(
    client: FlaskClient, add_entry: Any, tagged: dict[str, Any], path: str
) -> None:
    first = client.get(path)
    etag = first.headers["ETag"]

    unchanged = client.get(path, headers={"If-None-Match": etag})
    add_entry(tagged["amy"], "Amy again", published_at=at(12))
    tagged["zed"].tags = ["python", "node.js", "rust"]
    add_entry(tagged["zed"], "Zed again", published_at=at(13))
    changed = client.get(path, headers={"If-None-Match": etag})

    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=0, s-maxage=1"
    assert first.headers["X-Accel-Expires"].startswith("@")
    assert (unchanged.status_code, unchanged.data) == (304, b"")
    assert unchanged.headers["X-Accel-Expires"].startswith("@")
    assert changed.status_code == 200


def test_the_well_known_recommendations_are_the_blogroll_opml(
    client: FlaskClient, tagged: dict[str, Any]
) -> None:
    well_known = client.get("/.well-known/recommendations.opml")
    blogroll = client.get("/blogroll.opml")

    assert well_known.status_code == 200
    assert well_known.mimetype == "text/x-opml"
    assert parse_opml(well_known.data) == parse_opml(blogroll.data)
    assert [blog.name for blog in parse_opml(well_known.data).blogs] == ["amy", "Other", "Zed"]
