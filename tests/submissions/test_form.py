"""The public /submit form: no account, CSRF-protected, a honeypot for robots, the API's checks, and
both languages."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from blogroll.storage.models import Submission
from tests.admin.forms import form_token
from tests.helpers.feed_server import FeedServer
from tests.helpers.html_page import Page


def _submissions(session: Session) -> list[Submission]:
    return list(session.scalars(select(Submission)))


def test_the_form_queues_the_blog_with_its_feed(
    public: FlaskClient, site: str, feed_server: FeedServer, session: Session
) -> None:
    token = form_token(public, "/submit")

    response = public.post(
        "/submit", data={"csrf_token": token, "site_url": site, "note": "Great posts", "contact": "me@x.org"}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/submit/thanks"
    thanks = public.get("/submit/thanks")
    assert "Your suggestion waits for a keeper." in thanks.text
    [stored] = _submissions(session)
    assert (stored.status, stored.name, stored.feed_url) == (
        "pending",
        "Ann's notes",
        feed_server.url("/feed.xml"),
    )
    assert (stored.note, stored.contact) == ("Great posts", "me@x.org")


def test_the_form_is_not_cached_and_linked_from_every_page(public: FlaskClient) -> None:
    response = public.get("/submit")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    Page(response.text, "/submit")
    assert 'href="/submit">Suggest a blog</a>' in public.get("/").text


def test_a_filled_honeypot_looks_like_success_but_stores_nothing(
    public: FlaskClient, site: str, feed_server: FeedServer, session: Session
) -> None:
    token = form_token(public, "/submit")

    response = public.post("/submit", data={"csrf_token": token, "site_url": site, "homepage": "http://spam"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/submit/thanks"
    assert _submissions(session) == []
    assert feed_server.headers_of("/") == []


def test_a_post_without_its_csrf_token_is_refused(public: FlaskClient, site: str, session: Session) -> None:
    form_token(public, "/submit")

    response = public.post("/submit", data={"site_url": site})

    assert response.status_code == 400
    assert _submissions(session) == []


def test_errors_are_shown_beside_the_field_and_nothing_is_stored(
    public: FlaskClient, session: Session
) -> None:
    token = form_token(public, "/submit")

    response = public.post("/submit", data={"csrf_token": token, "site_url": "not a url"})

    assert response.status_code == 422
    page = response.text
    assert 'aria-invalid="true"' in page
    assert "Site address" in page
    assert _submissions(session) == []


def test_a_blog_already_listed_is_named_with_a_link(
    public: FlaskClient, site: str, feed_server: FeedServer, add_blog: Any
) -> None:
    blog = add_blog("Ann <listed>", feed_url=feed_server.url("/feed.xml"))
    token = form_token(public, "/submit")

    response = public.post("/submit", data={"csrf_token": token, "site_url": site})

    assert response.status_code == 409
    assert "This blog is already in the blogroll, as Ann &lt;listed&gt;" in response.text
    assert f'<a href="/blogs/{blog.id}">Ann &lt;listed&gt;</a>' in response.text


def test_the_form_speaks_spanish(
    public: FlaskClient, site: str, feed_server: FeedServer, add_blog: Any
) -> None:
    spanish = {"Accept-Language": "es"}
    response = public.get("/submit", headers=spanish)

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "es"
    page = response.text
    for text in (
        "Sugiere un blog",
        "Dirección del sitio",
        "Nota para quienes mantienen",
        "Sugerir este blog",
    ):
        assert text in page, text
    add_blog("Ann", feed_url=feed_server.url("/feed.xml"))
    token = form_token(public, "/submit")
    refused = public.post("/submit", data={"csrf_token": token, "site_url": site}, headers=spanish)
    assert refused.status_code == 409
    assert "Este blog ya está en el blogroll, como Ann" in refused.text
