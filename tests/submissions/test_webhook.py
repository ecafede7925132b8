"""The submission webhook: each new submission POSTs a small JSON event to the keepers' URL, from a
background thread, through the feed worker's guard; the visitor's answer never waits for it, and a
failing hook loses nothing."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from pydantic import SecretStr
from sqlalchemy.orm import Session

from blogroll.storage.models import Submission
from blogroll.webhooks import announce_submission, get_webhook
from tests.admin.forms import form_token
from tests.helpers.feed_server import FeedServer, Reply
from tests.helpers.ports import free_port

SUBMIT = "/api/v1/submissions"
HOOK = "/hooks/T0KEN-hunter2"  # the path holds the hook's secret, as Slack's and others' do
VISITOR = {"REMOTE_ADDR": "198.51.100.7"}
# A hook that hangs for HANG seconds is given up on after HANG_TIMEOUT; the visitor's answer comes
# within ANSWER_BOUND, shorter than that timeout, so it cannot have waited for the hook at all
# (discovery on loopback takes milliseconds).
HANG = 10.0
HANG_TIMEOUT = 2.5
ANSWER_BOUND = 1.5
WAIT = 10.0


@pytest.fixture
def hooked(fetching_app: Callable[..., Flask], feed_server: FeedServer) -> Callable[..., Flask]:
    """`hooked(Reply(204))`: an app whose webhook is `HOOK` on the fixture server, answering so."""

    def make(reply: Reply, **overrides: Any) -> Flask:
        feed_server.route(HOOK, reply)
        overrides.setdefault("submission_webhook_timeout", 1.0)
        return fetching_app(submission_webhook_url=SecretStr(feed_server.url(HOOK)), **overrides)

    return make


def _delivered(app: Flask) -> None:
    webhook = get_webhook(app)
    assert webhook is not None
    assert webhook.wait(WAIT), "the webhook's events were not all sent in time"


def test_each_new_submission_posts_its_event_without_the_submitters_contact(
    hooked: Callable[..., Flask], site: str, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    app = hooked(Reply(204))
    client = app.test_client()
    given = {"site_url": site, "note": "Ann writes well", "contact": "ann@example.net"}

    with caplog.at_level(logging.INFO, logger="blogroll.webhooks"):
        response = client.post(SUBMIT, json=given, environ_base=VISITOR)
        assert response.status_code == 202
        _delivered(app)

    receipt: dict[str, Any] = response.json or {}
    [body] = feed_server.bodies_of(HOOK)
    assert json.loads(body) == {
        "type": "submission.created",
        "id": receipt["id"],
        "created_at": receipt["created_at"],
        "site_url": site,
        "name": "Ann's notes",
        "feed_url": feed_server.url("/feed.xml"),
        "discovery": {
            "feed_format": "rss",
            "feed_title": "Ann's notes",
            "reason": receipt["discovery"]["reason"],
            "latest_titles": ["Newest post", "Older post"],
        },
        "admin_url": f"http://localhost/admin/submissions#submission-{receipt['id']}",
    }
    for private in (b"ann@example.net", b"198.51.100.7", b"Ann writes well"):
        assert private not in body
    [headers] = feed_server.headers_of(HOOK)
    assert headers["content-type"] == "application/json"
    assert headers["x-blogroll-event"] == "submission.created"
    # The log names the hook by its host only: the token in its path stays out of the logs.
    assert f"submission webhook to http://127.0.0.1:{feed_server.port} took submission" in caplog.text
    assert "hunter2" not in caplog.text


def test_the_form_announces_too_and_refused_submissions_do_not(
    hooked: Callable[..., Flask], site: str, feed_server: FeedServer
) -> None:
    app = hooked(Reply(200))
    client = app.test_client()
    token = form_token(client, "/submit")

    assert client.post("/submit", data={"csrf_token": token, "site_url": site}).status_code == 303
    assert client.post("/submit", data={"csrf_token": token, "site_url": site}).status_code == 409
    assert client.post(SUBMIT, json={"site_url": site}).status_code == 409
    honeypot = {"csrf_token": token, "site_url": site + "other", "homepage": "http://spam.example"}
    assert client.post("/submit", data=honeypot).status_code == 303
    _delivered(app)

    [body] = feed_server.bodies_of(HOOK)
    assert json.loads(body)["site_url"] == site


def test_a_webhook_on_a_private_address_is_refused_and_logged(
    make_app: Callable[..., Flask],
    feed_server: FeedServer,
    add_submission: Callable[..., Submission],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without BLOGROLL_ALLOW_PRIVATE_FEEDS the hook on 127.0.0.1 is never connected to."""
    feed_server.route(HOOK, Reply(204))
    app = make_app(allow_private_feeds=False, submission_webhook_url=SecretStr(feed_server.url(HOOK)))
    submission = add_submission(name="Ann")

    with caplog.at_level(logging.WARNING, logger="blogroll.webhooks"), app.test_request_context("/submit"):
        announce_submission(submission)
        _delivered(app)

    assert feed_server.hits[HOOK] == 0
    assert (
        f"submission webhook to http://127.0.0.1:{feed_server.port} not sent: refused: 127.0.0.1 resolves "
        "to 127.0.0.1, which is not a public address"
    ) in caplog.text
    assert "hunter2" not in caplog.text


def test_a_hanging_webhook_does_not_delay_the_answer(
    hooked: Callable[..., Flask], site: str, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    app = hooked(Reply(204, delay=HANG), submission_webhook_timeout=HANG_TIMEOUT)
    client = app.test_client()

    with caplog.at_level(logging.WARNING, logger="blogroll.webhooks"):
        started = time.monotonic()
        response = client.post(SUBMIT, json={"site_url": site})
        answered = time.monotonic() - started
        _delivered(app)
        gave_up = time.monotonic() - started

    assert response.status_code == 202
    assert answered < ANSWER_BOUND
    assert gave_up < HANG / 2  # the hook's own timeout, not the hook, ended the wait
    assert f"submission webhook to http://127.0.0.1:{feed_server.port} timed out" in caplog.text


@pytest.mark.parametrize("reply", [Reply(500, b"oops"), Reply(302, headers={"Location": "/elsewhere"})])
def test_a_failing_webhook_loses_no_submission(
    hooked: Callable[..., Flask],
    site: str,
    feed_server: FeedServer,
    session: Session,
    caplog: pytest.LogCaptureFixture,
    reply: Reply,
) -> None:
    app = hooked(reply)

    with caplog.at_level(logging.WARNING, logger="blogroll.webhooks"):
        response = app.test_client().post(SUBMIT, json={"site_url": site})
        _delivered(app)

    assert response.status_code == 202
    stored = session.get(Submission, (response.json or {})["id"])
    assert stored is not None and stored.status == "pending"
    assert f"answered HTTP {reply.status}" in caplog.text
    assert feed_server.hits["/elsewhere"] == 0  # redirects are not followed


def test_without_the_setting_nothing_is_sent(public: Any, site: str, feed_server: FeedServer) -> None:
    assert public.post(SUBMIT, json={"site_url": site}).status_code == 202
    assert feed_server.posted == []


def test_a_webhook_nobody_listens_on_loses_no_submission_and_logs_no_token(
    fetching_app: Callable[..., Flask], site: str, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    app = fetching_app(submission_webhook_url=SecretStr(f"http://127.0.0.1:{port}{HOOK}?key=hunter2"))

    with caplog.at_level(logging.WARNING, logger="blogroll.webhooks"):
        response = app.test_client().post(SUBMIT, json={"site_url": site})
        _delivered(app)

    assert response.status_code == 202
    assert session.get(Submission, (response.json or {})["id"]) is not None
    assert f"submission webhook to http://127.0.0.1:{port} failed: " in caplog.text
    assert "hunter2" not in caplog.text
