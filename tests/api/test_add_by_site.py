"""POST /api/v1/blogs with a site's address alone: the feed found on the fixture server, its name
from the feed's or the page's title, and the documented 422s when nothing can be found."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blogroll.storage.models import NAME_LENGTH
from tests.discovery.feeds import JSON_FEED_TYPE, RSS_TYPE, json_feed, page, rss
from tests.helpers.feed_server import FeedServer, Reply

Headers = dict[str, str]
POSTS = [("Second post", "Tue, 06 Jan 2026 10:00:00 GMT"), ("First post", "Mon, 05 Jan 2026 09:30:00 GMT")]
HTML = "text/html; charset=utf-8"
NO_FEED_ANYWHERE = "none of /feed, /feed.xml, /rss.xml, /atom.xml, /index.xml is one"


@pytest.fixture
def discovering(make_app: Callable[..., Flask]) -> FlaskClient:
    """A client of an app that may fetch from loopback, where the fixture server answers."""
    return make_app(allow_private_feeds=True).test_client()


def serve(server: FeedServer, path: str, body: bytes, content_type: str = HTML, status: int = 200) -> str:
    return server.route(path, Reply(status, body, {"Content-Type": content_type}))


def feed_link(href: str, link_type: str = "application/rss+xml") -> str:
    return f'<link rel="alternate" type="{link_type}" href="{href}">'


def test_a_site_address_is_enough_and_the_name_is_the_feeds_title(
    discovering: FlaskClient, auth: Headers, feed_server: FeedServer, conforms: Callable[..., None]
) -> None:
    feed = serve(feed_server, "/blog/rss.xml", rss("Ann's notes", POSTS), RSS_TYPE)
    site = serve(feed_server, "/blog/", page(f"<title>Home | Ann</title>{feed_link('rss.xml')}"))

    response = discovering.post("/api/v1/blogs", json={"site_url": site, "tags": ["Python"]}, headers=auth)

    assert response.status_code == 201, response.get_data(as_text=True)
    conforms(response, "post", "/api/v1/blogs")
    blog = response.json
    assert (blog["name"], blog["feed_url"], blog["site_url"], blog["tags"]) == (
        "Ann's notes",
        feed,
        site,
        ["python"],
    )
    assert response.headers["Location"] == f"http://localhost/api/v1/blogs/{blog['id']}"


def test_without_a_feed_title_the_name_is_the_pages_title(
    discovering: FlaskClient, auth: Headers, feed_server: FeedServer
) -> None:
    feed = serve(feed_server, "/feed", rss("", POSTS), RSS_TYPE)
    site = serve(feed_server, "/", page("<title>\n  Bob's   Blog </title>"))

    response = discovering.post("/api/v1/blogs", json={"site_url": site}, headers=auth)

    assert response.status_code == 201, response.get_data(as_text=True)
    assert (response.json["name"], response.json["feed_url"]) == ("Bob's Blog", feed)


def test_a_name_given_is_kept(discovering: FlaskClient, auth: Headers, feed_server: FeedServer) -> None:
    serve(feed_server, "/rss.xml", rss("Feed title", POSTS), RSS_TYPE)
    site = serve(feed_server, "/", page(feed_link("/rss.xml")))

    response = discovering.post("/api/v1/blogs", json={"site_url": site, "name": "Mine"}, headers=auth)

    assert response.status_code == 201
    assert response.json["name"] == "Mine"


def test_a_site_url_that_is_a_feed_is_taken_as_the_feed(
    discovering: FlaskClient, auth: Headers, feed_server: FeedServer
) -> None:
    feed = serve(feed_server, "/atom", rss("Carol", POSTS, link="https://carol.example/"), RSS_TYPE)

    response = discovering.post("/api/v1/blogs", json={"site_url": feed}, headers=auth)

    assert response.status_code == 201
    assert (response.json["name"], response.json["feed_url"], response.json["site_url"]) == (
        "Carol",
        feed,
        "https://carol.example/",
    )


def test_a_feed_without_a_name_is_fetched_for_its_title(
    discovering: FlaskClient, auth: Headers, feed_server: FeedServer
) -> None:
    feed = serve(feed_server, "/feed.xml", rss("Dan's feed", POSTS, link="https://dan.example/"), RSS_TYPE)

    response = discovering.post("/api/v1/blogs", json={"feed_url": feed}, headers=auth)

    assert response.status_code == 201
    assert (response.json["name"], response.json["feed_url"], response.json["site_url"]) == (
        "Dan's feed",
        feed,
        "https://dan.example/",
    )


def test_a_too_long_title_is_cut_to_the_longest_name(
    discovering: FlaskClient, auth: Headers, feed_server: FeedServer
) -> None:
    feed = serve(feed_server, "/feed", rss("Long " + "x" * 300, POSTS), RSS_TYPE)

    response = discovering.post("/api/v1/blogs", json={"site_url": feed}, headers=auth)

    assert response.status_code == 201
    assert response.json["name"] == ("Long " + "x" * 300)[:NAME_LENGTH]


def _no_feed(response: Any, expect_error: Callable[..., Any], address: str) -> dict[str, Any]:
    error: dict[str, Any] = expect_error(response, 422, "no_feed_found")
    assert error["message"].startswith(f"no feed found at {address}: ")
    assert error["details"]["url"] == address
    return error


def test_nothing_found_is_a_422_naming_the_address(
    discovering: FlaskClient,
    auth: Headers,
    feed_server: FeedServer,
    expect_error: Callable[..., Any],
    storage: Callable[[], Any],
    conforms: Callable[..., None],
) -> None:
    site = serve(feed_server, "/", page("<title>No feeds here</title>"))
    before = storage()

    response = discovering.post("/api/v1/blogs", json={"site_url": site}, headers=auth)

    error = _no_feed(response, expect_error, site)
    assert error["message"] == f"no feed found at {site}: the page links no feed, and {NO_FEED_ANYWHERE}"
    assert error["details"]["reason"] == f"the page links no feed, and {NO_FEED_ANYWHERE}"
    outcomes = [candidate["outcome"] for candidate in error["details"]["candidates"]]
    assert outcomes == ["HTTP 404 Not Found"] * 5
    conforms(response, "post", "/api/v1/blogs")
    assert storage() == before


def test_a_feed_url_that_is_a_page_is_refused(
    discovering: FlaskClient, auth: Headers, feed_server: FeedServer, expect_error: Callable[..., Any]
) -> None:
    serve(feed_server, "/rss.xml", rss("Feed title", POSTS), RSS_TYPE)
    site = serve(feed_server, "/", page(feed_link("/rss.xml")))

    response = discovering.post("/api/v1/blogs", json={"feed_url": site}, headers=auth)

    error = _no_feed(response, expect_error, site)
    assert error["details"]["reason"] == (
        "it is a web page, not a feed; give it as site_url for Blogroll to find the page's feed"
    )


def test_a_json_feed_is_taken_like_rss_and_atom(
    discovering: FlaskClient, auth: Headers, feed_server: FeedServer
) -> None:
    body = json_feed("Jay", [("Post", "2026-01-06T10:00:00Z")], home_page_url="https://jay.example/")
    feed = serve(feed_server, "/feed.json", body, JSON_FEED_TYPE)
    site = serve(feed_server, "/", page(feed_link("/feed.json", JSON_FEED_TYPE)))

    response = discovering.post("/api/v1/blogs", json={"site_url": site}, headers=auth)

    assert response.status_code == 201, response.get_data(as_text=True)
    assert (response.json["name"], response.json["feed_url"], response.json["site_url"]) == (
        "Jay",
        feed,
        site,
    )


def test_a_private_address_is_refused_when_not_allowed(
    client: FlaskClient,
    auth: Headers,
    feed_server: FeedServer,
    expect_error: Callable[..., Any],
    storage: Callable[[], Any],
) -> None:
    feed = serve(feed_server, "/feed", rss("Private", POSTS), RSS_TYPE)
    before = storage()

    response = client.post("/api/v1/blogs", json={"site_url": feed}, headers=auth)

    error = _no_feed(response, expect_error, feed)
    assert error["details"]["reason"].startswith("the page could not be fetched: ")
    assert "127.0.0.1" in error["details"]["reason"]
    assert feed_server.hits == {}
    assert storage() == before


@pytest.mark.parametrize("body", [{}, {"name": "x"}, {"name": "x", "site_url": None}, {"tags": ["a"]}])
def test_neither_feed_url_nor_site_url_is_a_422_naming_both(
    client: FlaskClient, auth: Headers, expect_error: Callable[..., Any], body: dict[str, Any]
) -> None:
    response = client.post("/api/v1/blogs", json=body, headers=auth)

    error = expect_error(response, 422, "validation_failed")
    message = "give feed_url, or site_url for Blogroll to find the site's feed"
    assert error["details"] == [
        {"field": "feed_url", "message": message, "type": "missing"},
        {"field": "site_url", "message": message, "type": "missing"},
    ]


def test_the_document_requires_feed_url_or_site_url(document: dict[str, Any]) -> None:
    from jsonschema import Draft202012Validator

    schema = {**document["components"]["schemas"]["BlogCreate"], "$defs": document["components"]["schemas"]}
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"site_url": "https://a.example/"})
    assert validator.is_valid({"feed_url": "https://a.example/feed"})
    assert validator.is_valid({"name": "A", "feed_url": "https://a.example/feed"})
    for body in ({}, {"name": "A"}, {"site_url": None}, {"name": "A", "feed_url": None}):
        assert not validator.is_valid(body), body
    operation = document["paths"]["/api/v1/blogs"]["post"]
    assert "no_feed_found" in operation["responses"]["422"]["description"]
    assert "site_url" in operation["description"]
