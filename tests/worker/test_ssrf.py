"""Server-side request forgery: with BLOGROLL_ALLOW_PRIVATE_FEEDS off, the worker connects only to
public addresses, whatever the feed URL says and wherever its redirects point."""

from __future__ import annotations

import pytest

from blogroll.worker.fetch import is_public_address
from tests.helpers.feed_server import FeedServer, Reply

from .fake_internet import PUBLIC_ADDRESS, FakeInternet
from .feeds import RSS20
from .harness import Harness


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("127.1.2.3", False),
        ("::1", False),
        ("10.0.0.8", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("224.0.0.251", False),
        ("ff02::1", False),
        ("0.0.0.0", False),
        ("255.255.255.255", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
    ],
)
def test_only_public_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


@pytest.fixture
def internet() -> FakeInternet:
    return FakeInternet(
        {
            "feeds.example.com": [PUBLIC_ADDRESS],
            "metadata.example.com": ["169.254.169.254"],
            "intranet.example.com": ["10.1.2.3"],
            "rebinding.example.com": [PUBLIC_ADDRESS, "127.0.0.1"],
        }
    )


def test_a_loopback_feed_is_refused_without_a_request(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/feed.xml", Reply(body=RSS20)))
    harness.configure(allow_private_feeds=False)

    harness.fetch()

    assert feed_server.hits["/feed.xml"] == 0
    blog = harness.blog(blog_id)
    assert blog.last_status is None
    assert blog.last_error == (
        "refused: 127.0.0.1 resolves to 127.0.0.1, which is not a public address "
        "(set BLOGROLL_ALLOW_PRIVATE_FEEDS=true to fetch feeds on private networks)"
    )
    assert blog.consecutive_errors == 1
    assert harness.entries(blog_id) == []


def test_a_public_host_is_fetched(harness: Harness, feed_server: FeedServer, internet: FakeInternet) -> None:
    blog_id = harness.add_blog(feed_server.route("/feed.xml", Reply(body=RSS20), host="feeds.example.com"))
    harness.configure(allow_private_feeds=False)

    harness.fetch(backend=internet)

    assert harness.blog(blog_id).last_status == 200
    assert len(harness.entries(blog_id)) == 2
    [headers] = feed_server.headers_of("/feed.xml")
    assert headers["host"] == f"feeds.example.com:{feed_server.port}"


def test_a_public_host_redirecting_to_a_private_address_is_refused(
    harness: Harness, feed_server: FeedServer, internet: FakeInternet
) -> None:
    feed_server.route("/secret.xml", Reply(body=RSS20))
    redirect = Reply(status=302, headers={"Location": feed_server.url("/secret.xml")})
    blog_id = harness.add_blog(feed_server.route("/feed.xml", redirect, host="feeds.example.com"))
    harness.configure(allow_private_feeds=False)

    harness.fetch(backend=internet)

    assert feed_server.hits["/feed.xml"] == 1
    assert feed_server.hits["/secret.xml"] == 0
    blog = harness.blog(blog_id)
    assert blog.last_error is not None
    assert blog.last_error.startswith("refused: 127.0.0.1 resolves to 127.0.0.1")
    assert harness.entries(blog_id) == []


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("metadata.example.com", "169.254.169.254"),
        ("intranet.example.com", "10.1.2.3"),
        ("rebinding.example.com", "127.0.0.1"),
    ],
)
def test_a_redirect_to_a_name_with_a_private_address_is_refused(
    harness: Harness, feed_server: FeedServer, internet: FakeInternet, host: str, address: str
) -> None:
    target = f"http://{host}/latest/meta-data/"
    redirect = Reply(status=301, headers={"Location": target})
    blog_id = harness.add_blog(feed_server.route("/feed.xml", redirect, host="feeds.example.com"))
    harness.configure(allow_private_feeds=False)

    harness.fetch(backend=internet)

    blog = harness.blog(blog_id)
    assert blog.last_error is not None
    assert blog.last_error.startswith(f"refused: {host} resolves to {address}")
    assert blog.feed_url == feed_server.url("/feed.xml", host="feeds.example.com")


def test_private_feeds_are_fetched_when_allowed(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/feed.xml", Reply(body=RSS20)))
    harness.configure(allow_private_feeds=True)

    harness.fetch()

    assert harness.blog(blog_id).last_status == 200
