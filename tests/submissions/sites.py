"""What the fixture server serves for submissions: a blog's posts and the feed that lists them."""

from __future__ import annotations

from tests.discovery.feeds import RSS_TYPE, rss
from tests.helpers.feed_server import Reply

POSTS = [
    ("Older post", "Mon, 05 Jan 2026 09:30:00 GMT"),
    ("Newest post", "Tue, 06 Jan 2026 10:00:00 GMT"),
]
LINK = '<link rel="alternate" type="application/rss+xml" href="/feed.xml" title="Posts">'


def feed_reply(title: str, *, link: str = "https://blog.example.org/") -> Reply:
    return Reply(body=rss(title, POSTS, link=link), headers={"Content-Type": RSS_TYPE})
