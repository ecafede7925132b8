"""Suggesting a blog through the API (no token) and working the queue with one: the feed is found
first, nothing shows publicly until a keeper approves, and abuse is bounded (409, 429, 503, 413)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from blogroll.storage.models import Blog, Submission
from tests.discovery.feeds import page
from tests.helpers.feed_server import FeedServer, Reply

from .sites import feed_reply

Headers = dict[str, str]
SUBMIT = "/api/v1/submissions"


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_submission_finds_the_feed_and_waits(
    public: FlaskClient, site: str, feed_server: FeedServer, session: Session, conforms: Callable[..., None]
) -> None:
    response = public.post(SUBMIT, json={"site_url": site, "note": "Ann writes well", "contact": "ann@x.org"})

    assert response.status_code == 202, response.text
    conforms(response, "post", SUBMIT)
    body: dict[str, Any] = response.json or {}
    assert body["status"] == "pending"
    assert body["site_url"] == site
    assert body["name"] == "Ann's notes"
    assert body["feed_url"] == feed_server.url("/feed.xml")
    assert body["discovery"]["latest_titles"] == ["Newest post", "Older post"]
    assert body["discovery"]["feed_format"] == "rss"
    assert set(body) == {"id", "status", "site_url", "name", "feed_url", "discovery", "created_at"}
    stored = session.get(Submission, body["id"])
    assert stored is not None
    assert (stored.status, stored.contact, stored.note) == ("pending", "ann@x.org", "Ann writes well")
    assert stored.client_address == "127.0.0.1"
    assert _count(session, Blog) == 0


def test_a_pending_submission_appears_nowhere_public(public: FlaskClient, site: str) -> None:
    assert public.post(SUBMIT, json={"site_url": site}).status_code == 202

    assert public.get("/api/v1/blogs").json["items"] == []
    for path in ("/", "/blogroll.opml", "/feed.atom"):
        response = public.get(path)
        assert response.status_code == 200
        assert "Ann" not in response.text, path
        assert "feed.xml" not in response.text, path
    assert public.get(SUBMIT).status_code == 401


def test_approving_adds_the_blog_which_then_shows_publicly(
    public: FlaskClient, site: str, auth: Headers, conforms: Callable[..., None], session: Session
) -> None:
    submission_id = public.post(SUBMIT, json={"site_url": site}).json["id"]

    queue = public.get(SUBMIT, headers=auth)
    assert queue.status_code == 200
    conforms(queue, "get", SUBMIT)
    assert [item["id"] for item in queue.json["items"]] == [submission_id]
    assert queue.json["items"][0]["client_address"] == "127.0.0.1"

    path = f"{SUBMIT}/{submission_id}/approve"
    response = public.post(path, headers=auth, json={"tags": ["Python"]})

    assert response.status_code == 201, response.text
    conforms(response, "post", "/api/v1/submissions/{submission_id}/approve")
    blog = response.json
    assert (blog["name"], blog["site_url"], blog["tags"]) == ("Ann's notes", site, ["python"])
    assert [item["id"] for item in public.get("/api/v1/blogs").json["items"]] == [blog["id"]]
    assert "Ann&#39;s notes" in public.get("/").text
    assert public.get(SUBMIT, headers=auth).json["items"] == []
    decided = public.get(f"{SUBMIT}?status=approved", headers=auth).json["items"][0]
    assert (decided["blog_id"], decided["decided_by"]) == (blog["id"], "token tests")
    again = public.post(path, headers=auth)
    assert (again.status_code, again.json["error"]) == (409, "already_decided")
    assert _count(session, Blog) == 1


def test_approving_needs_no_body(public: FlaskClient, site: str, auth: Headers) -> None:
    submission_id = public.post(SUBMIT, json={"site_url": site}).json["id"]

    response = public.post(f"{SUBMIT}/{submission_id}/approve", headers=auth)

    assert response.status_code == 201, response.text
    assert response.json["tags"] == []


def test_rejecting_keeps_the_reason_and_adds_nothing(
    public: FlaskClient, site: str, auth: Headers, conforms: Callable[..., None], session: Session
) -> None:
    submission_id = public.post(SUBMIT, json={"site_url": site}).json["id"]
    path = f"{SUBMIT}/{submission_id}/reject"

    assert public.post(path, headers=auth, json={}).status_code == 422
    # The document's maxLength (500) counts the reason as sent, surrounding white space too.
    padded = public.post(path, headers=auth, json={"reason": "  " + "x" * 499})
    assert padded.status_code == 422, padded.text
    assert [error["field"] for error in padded.json["details"]] == ["reason"]
    response = public.post(path, headers=auth, json={"reason": "not a blog"})

    assert response.status_code == 200, response.text
    conforms(response, "post", "/api/v1/submissions/{submission_id}/reject")
    assert (response.json["status"], response.json["reject_reason"]) == ("rejected", "not a blog")
    assert _count(session, Blog) == 0
    assert public.get("/api/v1/blogs").json["items"] == []
    missing = public.post(f"{SUBMIT}/424242/reject", headers=auth, json={"reason": "x"})
    assert missing.status_code == 404
    conforms(missing, "post", "/api/v1/submissions/{submission_id}/reject")


def test_deciding_needs_a_token(public: FlaskClient, site: str, session: Session) -> None:
    submission_id = public.post(SUBMIT, json={"site_url": site}).json["id"]

    assert public.post(f"{SUBMIT}/{submission_id}/approve").status_code == 401
    assert public.post(f"{SUBMIT}/{submission_id}/reject", json={"reason": "x"}).status_code == 401
    assert _count(session, Blog) == 0


def test_a_blog_already_in_the_roll_is_refused(
    public: FlaskClient, site: str, feed_server: FeedServer, add_blog: Any, session: Session
) -> None:
    existing = add_blog("Ann", feed_url=feed_server.url("/feed.xml"))

    response = public.post(SUBMIT, json={"site_url": site})

    assert response.status_code == 409
    assert response.json["error"] == "already_in_blogroll"
    assert response.json["details"] == {"blog_id": existing.id}
    assert _count(session, Submission) == 0


def test_a_blog_already_waiting_is_refused(
    public: FlaskClient, site: str, feed_server: FeedServer, session: Session, conforms: Callable[..., None]
) -> None:
    assert public.post(SUBMIT, json={"site_url": site}).status_code == 202

    same_site = public.post(SUBMIT, json={"site_url": site})
    # The same feed, reached from another address of the site.
    same_feed = public.post(SUBMIT, json={"site_url": feed_server.url("/feed.xml")})

    for response in (same_site, same_feed):
        assert response.status_code == 409, response.text
        assert response.json["error"] == "already_submitted"
        conforms(response, "post", SUBMIT)
    assert _count(session, Submission) == 1


def test_one_address_submits_a_few_an_hour(
    fetching_app: Callable[..., Flask],
    feed_server: FeedServer,
    site: str,
    session: Session,
    conforms: Callable[..., None],
) -> None:
    client = fetching_app(submissions_per_hour=2).test_client()
    for number in (1, 2):
        feed_server.route(
            f"/{number}/feed.xml", feed_reply(f"Blog {number}", link=f"https://b{number}.example/")
        )
        assert (
            client.post(SUBMIT, json={"site_url": feed_server.url(f"/{number}/feed.xml")}).status_code == 202
        )

    response = client.post(SUBMIT, json={"site_url": site})

    assert response.status_code == 429
    assert response.json["error"] == "too_many_submissions"
    assert 3500 <= int(response.headers["Retry-After"]) <= 3600
    conforms(response, "post", SUBMIT)
    assert _count(session, Submission) == 2
    other = client.post(SUBMIT, json={"site_url": site}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 202


def test_a_full_queue_refuses_more(
    fetching_app: Callable[..., Flask], site: str, add_submission: Any, session: Session
) -> None:
    add_submission()
    client = fetching_app(submission_queue_limit=1).test_client()

    response = client.post(SUBMIT, json={"site_url": site})

    assert response.status_code == 503
    assert response.json["error"] == "queue_full"
    assert response.headers["Retry-After"] == "3600"
    assert _count(session, Submission) == 1


def test_a_private_address_is_refused_as_the_worker_refuses_it(
    client: FlaskClient, site: str, feed_server: FeedServer, session: Session
) -> None:
    """The default app does not fetch from loopback, where the fixture server is."""
    response = client.post(SUBMIT, json={"site_url": site})

    assert response.status_code == 422
    assert response.json["error"] == "address_refused"
    assert response.json["message"] == f"refused: {site} is not on the public internet"
    assert "BLOGROLL_" not in response.text
    assert feed_server.headers_of("/") == []
    assert _count(session, Submission) == 0


def test_a_site_without_a_feed_is_refused(
    public: FlaskClient, feed_server: FeedServer, session: Session
) -> None:
    url = feed_server.route("/nofeed/", Reply(body=page("<title>Nothing</title>")))

    response = public.post(SUBMIT, json={"site_url": url})

    assert response.status_code == 422
    assert response.json["error"] == "no_feed_found"
    assert _count(session, Submission) == 0


def test_invalid_and_oversized_bodies_are_refused(
    fetching_app: Callable[..., Flask], session: Session, conforms: Callable[..., None]
) -> None:
    client = fetching_app(max_body_bytes=1024).test_client()

    missing = client.post(SUBMIT, json={"name": "No address"})
    unknown = client.post(SUBMIT, json={"site_url": "https://example.org/", "extra": 1})
    large = client.post(SUBMIT, json={"site_url": "https://example.org/", "note": "x" * 2000})
    text = client.post(SUBMIT, data="site_url=x", content_type="text/plain")

    assert (missing.status_code, unknown.status_code, large.status_code, text.status_code) == (
        422,
        422,
        413,
        415,
    )
    for response in (missing, unknown, large, text):
        conforms(response, "post", SUBMIT)
    assert _count(session, Submission) == 0


def test_the_api_answers_in_english_whatever_the_browser_asks(
    public: FlaskClient, site: str, feed_server: FeedServer, add_blog: Any
) -> None:
    add_blog("Ann", feed_url=feed_server.url("/feed.xml"))

    response = public.post(SUBMIT, json={"site_url": site}, headers={"Accept-Language": "es"})

    assert response.status_code == 409
    assert response.json["message"] == "this blog is already in the blogroll, as Ann"
