"""Adding a blog by its site address in the admin pages: Find feed previews what was found, Save
stores exactly what the preview showed, and a failure is shown beside the field it concerns."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from blogroll.storage.models import Blog, User
from tests.discovery.feeds import RSS_TYPE, page, rss
from tests.helpers.feed_server import FeedServer, Reply

from .forms import csrf_token, form_token, sign_in

POSTS = [
    ("Older post", "Mon, 05 Jan 2026 09:30:00 GMT"),
    ("Newest <post>", "Tue, 06 Jan 2026 10:00:00 GMT"),
]
LINK = '<link rel="alternate" type="application/rss+xml" href="/feed.xml" title="Posts">'


@pytest.fixture
def browser(make_app: Callable[..., Flask], keeper: User) -> FlaskClient:
    """The keeper, signed in to an app that may fetch from loopback, where the fixture server is."""
    client = make_app(allow_private_feeds=True).test_client()
    sign_in(client)
    return client


@pytest.fixture
def site(feed_server: FeedServer) -> str:
    """A site whose page links its RSS feed at /feed.xml."""
    feed_server.route("/feed.xml", Reply(body=rss("Ann's notes", POSTS), headers={"Content-Type": RSS_TYPE}))
    return feed_server.route("/", Reply(body=page(f"<title>Ann</title>{LINK}")))


def _hidden_fields(preview: str) -> dict[str, str]:
    """The fields the preview's Save form posts, as a browser would send them."""
    fields = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', preview)
    return {name: html.unescape(value) for name, value in fields} | {"csrf_token": csrf_token(preview)}


def test_find_feed_previews_and_save_stores_what_was_previewed(
    browser: FlaskClient, site: str, feed_server: FeedServer, session: Session, storage: Any
) -> None:
    feed = feed_server.url("/feed.xml")
    token = form_token(browser, "/admin/blogs/new")
    before = storage()

    preview = browser.post(
        "/admin/blogs/new", data={"csrf_token": token, "site_url": site, "tags": "Python, web"}
    )

    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    assert "<h1>Add Ann&#39;s notes?</h1>" in shown
    assert f'<dd><a href="{feed}" rel="noreferrer">{feed}</a> (RSS)</dd>' in shown
    assert '<dd id="reason">the feed the page links</dd>' in shown
    assert "<dt>Feed title</dt>\n  <dd>Ann&#39;s notes</dd>" in shown
    assert '<ol id="latest-titles"><li>Newest &lt;post&gt;</li><li>Older post</li></ol>' in shown
    assert storage() == before
    fields = _hidden_fields(shown)
    assert {name: value for name, value in fields.items() if name != "csrf_token"} == {
        "name": "Ann's notes",
        "feed_url": feed,
        "site_url": site,
        "description": "",
        "tags": "python, web",
    }

    saved = browser.post("/admin/blogs/new", data=fields | {"step": "save"})

    assert saved.status_code == 302
    blog = session.scalars(select(Blog)).one()
    assert (blog.name, blog.feed_url, blog.site_url, blog.tags, blog.enabled) == (
        "Ann's notes",
        feed,
        site,
        ["python", "web"],
        True,
    )
    assert "Added Ann&#39;s notes." in browser.get("/admin/").get_data(as_text=True)


def test_a_paused_blog_stays_paused_through_the_preview(
    browser: FlaskClient, site: str, session: Session
) -> None:
    token = form_token(browser, "/admin/blogs/new")
    preview = browser.post(
        "/admin/blogs/new", data={"csrf_token": token, "site_url": site, "name": "Ann", "paused": "y"}
    )
    fields = _hidden_fields(preview.get_data(as_text=True))
    assert (fields["name"], fields["paused"]) == ("Ann", "y")

    assert browser.post("/admin/blogs/new", data=fields).status_code == 302
    blog = session.scalars(select(Blog)).one()
    assert (blog.name, blog.enabled) == ("Ann", False)


def test_find_feed_with_a_feed_and_a_name_previews_the_feed(
    browser: FlaskClient, site: str, feed_server: FeedServer, storage: Any
) -> None:
    feed = feed_server.url("/feed.xml")
    token = form_token(browser, "/admin/blogs/new")
    before = storage()

    preview = browser.post(
        "/admin/blogs/new", data={"csrf_token": token, "feed_url": feed, "name": "Mine", "step": "find"}
    )

    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    assert '<dd id="reason">the address is itself a feed</dd>' in shown
    assert _hidden_fields(shown)["name"] == "Mine"
    assert storage() == before


def test_no_feed_found_is_shown_beside_the_site_address(
    browser: FlaskClient, feed_server: FeedServer, storage: Any
) -> None:
    site = feed_server.route("/", Reply(body=page("<title>Nothing here</title>")))
    token = form_token(browser, "/admin/blogs/new")
    before = storage()

    response = browser.post("/admin/blogs/new", data={"csrf_token": token, "site_url": site})

    assert response.status_code == 422
    shown = response.get_data(as_text=True)
    assert 'aria-describedby="site_url-errors"' in shown
    assert (
        f'<ul class="errors" id="site_url-errors"><li>no feed found at {site}: the page links no feed, '
        "and none of /feed, /feed.xml, /rss.xml, /atom.xml, /index.xml is one</li></ul>"
    ) in shown
    assert f'value="{site}"' in shown
    assert storage() == before


def test_a_private_site_is_refused_when_not_allowed(
    app: Flask, keeper: User, site: str, feed_server: FeedServer, storage: Any
) -> None:
    client = app.test_client()
    sign_in(client)
    token = form_token(client, "/admin/blogs/new")
    before = storage()

    response = client.post("/admin/blogs/new", data={"csrf_token": token, "site_url": site})

    assert response.status_code == 422
    assert re.search(
        rf'id="site_url-errors"><li>no feed found at {re.escape(site)}: the page could not be fetched: ',
        response.get_data(as_text=True),
    )
    assert feed_server.hits == {}
    assert storage() == before


def test_no_address_at_all_is_shown_beside_both_address_fields(browser: FlaskClient, storage: Any) -> None:
    token = form_token(browser, "/admin/blogs/new")
    before = storage()

    response = browser.post("/admin/blogs/new", data={"csrf_token": token, "name": "Ann"})

    assert response.status_code == 422
    shown = response.get_data(as_text=True)
    message = "Give the feed address, or the site address for Blogroll to find the site&#39;s feed."
    for field in ("feed_url", "site_url"):
        assert f'<ul class="errors" id="{field}-errors"><li>{message}</li></ul>' in shown
    assert storage() == before


def test_the_preview_save_form_needs_its_csrf_token(browser: FlaskClient, site: str, storage: Any) -> None:
    token = form_token(browser, "/admin/blogs/new")
    preview = browser.post("/admin/blogs/new", data={"csrf_token": token, "site_url": site})
    fields = _hidden_fields(preview.get_data(as_text=True))
    before = storage()

    response = browser.post("/admin/blogs/new", data=fields | {"csrf_token": "forged"})

    assert response.status_code == 400
    assert storage() == before


def test_the_preview_warns_that_the_feed_is_in_the_blogroll_and_saving_says_so(
    browser: FlaskClient, site: str, feed_server: FeedServer, add_blog: Any, storage: Any
) -> None:
    existing = add_blog("Ann, added before", feed_url=feed_server.url("/feed.xml"))
    token = form_token(browser, "/admin/blogs/new")

    preview = browser.post("/admin/blogs/new", data={"csrf_token": token, "site_url": site})

    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    edit = f"/admin/blogs/{existing.id}/edit"
    assert (
        '<div class="alert" role="alert" id="same-feed">\n'
        f'  <p>This feed is already in the blogroll, as <a href="{edit}">Ann, added before</a>.</p>'
    ) in shown
    assert 'value="save"' not in shown  # no Save button for what cannot be saved
    before = storage()

    # Saved all the same (an old tab, a second keeper): the form says why, beside the feed address.
    saved = browser.post("/admin/blogs/new", data=_hidden_fields(shown) | {"step": "save"})

    assert saved.status_code == 422
    page = saved.get_data(as_text=True)
    assert (
        '<ul class="errors" id="feed_url-errors"><li>Another blog already has this feed address.</li></ul>'
        in page
    )
    assert f'<p>This feed is already in the blogroll, as <a href="{edit}">Ann, added before</a>.</p>' in page
    assert storage() == before


def test_the_preview_notes_a_blog_with_the_same_site(
    browser: FlaskClient, site: str, add_blog: Any, session: Session
) -> None:
    other = add_blog("Ann's comments", feed_url="https://comments.example.org/feed", site_url=site)
    token = form_token(browser, "/admin/blogs/new")

    shown = browser.post("/admin/blogs/new", data={"csrf_token": token, "site_url": site}).get_data(
        as_text=True
    )

    assert 'id="same-feed"' not in shown
    assert (
        "<p>A blog with this site address is already in the blogroll:\n"
        f'  <a href="/admin/blogs/{other.id}/edit">Ann&#39;s comments</a> (https://comments.example.org/feed).</p>'
    ) in shown
    # Another feed of the same site may be wanted: Save is offered, and saves.
    assert '<button type="submit" name="step" value="save">Save</button>' in shown
    assert browser.post("/admin/blogs/new", data=_hidden_fields(shown) | {"step": "save"}).status_code == 302
    assert len(session.scalars(select(Blog)).all()) == 2
