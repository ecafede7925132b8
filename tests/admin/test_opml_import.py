"""OPML import from the admin pages: a file uploaded or fetched from its address, imported by the
same function as the API's, and a report of what became of each outline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from blogroll.storage.models import Blog, User
from tests.helpers.feed_server import FeedServer, Reply

from .forms import form_token, sign_in
from .opml_files import KNOWN_FEED, MIXED, field_errors, from_address, real_file, section, upload

OPML_TYPE = {"Content-Type": "text/x-opml"}


@pytest.fixture
def fetching(make_app: Callable[..., Flask], keeper: User) -> Callable[..., FlaskClient]:
    """`fetching(**settings)`: the keeper, signed in to an app that may fetch from loopback (where the
    fixture server is), with some settings changed."""

    def signed_in(**overrides: Any) -> FlaskClient:
        client = make_app(allow_private_feeds=True, **overrides).test_client()
        sign_in(client)
        return client

    return signed_in


def _names(session: Session) -> list[str]:
    return list(session.scalars(select(Blog.name).order_by(Blog.id)))


def test_the_admin_pages_link_to_import_and_export(browser: FlaskClient) -> None:
    page = browser.get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/import">Import OPML</a>' in page
    assert '<a href="/blogroll.opml">Export OPML</a>' in page
    form = browser.get("/admin/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form
    assert '<label for="file">OPML file</label>' in form
    assert '<label for="url">Address of an OPML file</label>' in form


def test_a_real_file_is_imported_and_reported(browser: FlaskClient, session: Session) -> None:
    response = upload(browser, real_file("planet-serenity.opml"), "feeds.opml")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Imported feeds.opml</h1>" in page
    assert '<p id="summary">Added 3, already in the blogroll 1, refused 0.</p>' in page
    assert section(page, "added") == [
        "awesomekling.github.io serenity devs https://awesomekling.github.io/feed.xml",
        "bjg.io serenity devs https://bjg.io/feed.xml",
        "adkaster.github.io serenity devs https://adkaster.github.io/feed.xml",
    ]
    assert section(page, "skipped") == [
        "awesomekling.github.io: given earlier in this file https://awesomekling.github.io/feed.xml"
    ]
    assert _names(session) == ["awesomekling.github.io", "bjg.io", "adkaster.github.io"]
    first = session.scalars(select(Blog).order_by(Blog.id)).first()
    assert first is not None
    assert f'<a href="/admin/blogs/{first.id}/edit">awesomekling.github.io</a>' in page


def test_every_outline_is_reported_added_skipped_refused_or_noted(
    browser: FlaskClient, add_blog: Any, session: Session
) -> None:
    known = add_blog("Known", feed_url=KNOWN_FEED)

    page = upload(browser, MIXED).get_data(as_text=True)

    assert '<p id="summary">Added 2, already in the blogroll 2, refused 1.</p>' in page
    assert section(page, "added") == [
        "Snake News tech https://snake.example/feed",
        "Odd Site tech https://odd.example/feed",
    ]
    assert section(page, "skipped") == [
        f"Known Again: already there as Known {KNOWN_FEED}",
        "Snake Twice: given earlier in this file https://snake.example/feed",
    ]
    assert f'already there as <a href="/admin/blogs/{known.id}/edit">Known</a>' in page
    assert section(page, "refused") == [
        "Gopher Hole: the feed address (xmlUrl) must be a web address starting with http:// or https:// "
        "gopher://hole.example/feed"
    ]
    assert section(page, "notes") == [
        "Odd Site: htmlUrl left out: the site address (htmlUrl) must be a web address starting with "
        "http:// or https://"
    ]
    assert _names(session) == ["Known", "Snake News", "Odd Site"]


def test_importing_the_same_file_again_adds_nothing(browser: FlaskClient, session: Session) -> None:
    upload(browser, real_file("linux-podcasts.opml"))
    page = upload(browser, real_file("linux-podcasts.opml")).get_data(as_text=True)

    assert '<p id="summary">Added 0, already in the blogroll 9, refused 0.</p>' in page
    assert '<p class="empty">No new feeds.</p>' in page
    assert len(_names(session)) == 9


def test_a_file_that_is_not_opml_is_a_form_error(browser: FlaskClient, storage: Any) -> None:
    token = form_token(browser, "/admin/import")
    before = storage()
    response = upload(browser, b"<html><body>not a blogroll</body></html>", token=token)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_errors(page, "file") == [
        "The file cannot be imported: not an OPML file: the root element must be <opml>"
    ]
    assert 'aria-describedby="file-help file-errors"' in page
    assert storage() == before


def test_no_file_chosen_is_a_form_error(browser: FlaskClient, storage: Any) -> None:
    token = form_token(browser, "/admin/import")
    before = storage()
    response = upload(browser, b"", filename="", token=token)

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "file") == ["Choose an OPML file to import."]
    assert storage() == before


def test_a_file_over_the_size_limit_is_a_form_error(
    make_app: Callable[..., Flask], keeper: User, storage: Any
) -> None:
    client = make_app(max_body_bytes=4096).test_client()
    sign_in(client)
    token = form_token(client, "/admin/import")
    before = storage()

    response = upload(client, real_file("erikdietrich-feedly.opml"), token=token)  # 26.9 KB

    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert field_errors(page, "file") == ["The file is larger than 4,096 bytes, the most an import may be."]
    assert "Signed in as keeper" in page
    assert storage() == before


def test_a_file_is_imported_from_its_address(
    fetching: Callable[..., FlaskClient], feed_server: FeedServer, session: Session
) -> None:
    browser = fetching()
    url = feed_server.route("/blogroll.opml", Reply(body=real_file("plenary-japan.opml"), headers=OPML_TYPE))

    response = from_address(browser, url)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"<h1>Imported {url}</h1>" in page
    assert '<p id="summary">Added 8, already in the blogroll 0, refused 0.</p>' in page
    assert section(page, "added")[0] == (
        "Japan Times latest articles japan https://www.japantimes.co.jp/feed/topstories/"
    )
    assert len(_names(session)) == 8
    assert feed_server.hits["/blogroll.opml"] == 1


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(status=404, body=b"gone"), "The server answered HTTP 404 Not Found."),
        (
            Reply(body=b"plain text, not XML"),
            "The file cannot be imported: the file is not well-formed XML (line 1, column 0)",
        ),
        (Reply(body=b"x" * 5000), "The file is larger than 4,096 bytes, the most an import may be."),
        (Reply(body=b"late", delay=3.0), "The server took longer than 1 s to send the file."),
    ],
    ids=["404", "not-opml", "too-large", "too-slow"],
)
def test_a_file_that_cannot_be_fetched_is_a_form_error(
    fetching: Callable[..., FlaskClient], feed_server: FeedServer, storage: Any, reply: Reply, message: str
) -> None:
    browser = fetching(max_body_bytes=4096, fetch_total_timeout=1.0, fetch_read_timeout=1.0)
    url = feed_server.route("/blogroll.opml", reply)
    token = form_token(browser, "/admin/import")
    before = storage()

    response = from_address(browser, url, token=token)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_errors(page, "url") == [message]
    assert f'value="{url}"' in page  # the address stays in the field, to correct it
    assert storage() == before


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Give the address of the OPML file."),
        (
            "ftp://files.example.org/blogroll.opml",
            "Give the file's address, starting with http:// or https://.",
        ),
        ("blogroll.opml", "Give the file's address, starting with http:// or https://."),
    ],
)
def test_an_address_that_is_not_a_web_address_is_a_form_error(
    browser: FlaskClient, storage: Any, url: str, message: str
) -> None:
    token = form_token(browser, "/admin/import")
    before = storage()
    response = from_address(browser, url, token=token)

    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "url") == [message]
    assert storage() == before


def test_the_api_and_the_admin_page_import_alike(
    browser: FlaskClient, client: FlaskClient, auth: dict[str, str], session: Session
) -> None:
    """One import path: what the page reports is what the API answers for the same file."""
    page = upload(browser, MIXED).get_data(as_text=True)
    added = _names(session)
    for blog in session.scalars(select(Blog)):
        session.delete(blog)
    session.commit()

    answer = client.post("/api/v1/blogs/import", data=MIXED, content_type="text/x-opml", headers=auth).json

    assert [item["name"] for item in answer["items"]] == added
    assert answer["skipped"] == 1  # nothing was known yet: only the repeat within the file
    assert [f"{r['title']}: {r['reason']} {r['xml_url']}" for r in answer["refused"]] == section(
        page, "refused"
    )
