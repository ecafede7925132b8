"""Submission fixtures: a site with a feed on the fixture server, an app that may fetch it, a keeper."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from blogroll.api.docs import openapi_document
from blogroll.storage.models import Submission
from tests.discovery.feeds import page
from tests.helpers.feed_server import FeedServer, Reply
from tests.helpers.openapi import conformance_check

from .sites import LINK, feed_reply


@pytest.fixture
def site(feed_server: FeedServer) -> str:
    """A site whose page links its RSS feed at /feed.xml."""
    feed_server.route("/feed.xml", feed_reply("Ann's notes"))
    return feed_server.route("/", Reply(body=page(f"<title>Ann</title>{LINK}")))


@pytest.fixture
def fetching_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    """`fetching_app(submissions_per_hour=2)`: an app that may fetch from loopback (the fixture server)."""

    def make(**overrides: Any) -> Flask:
        return make_app(allow_private_feeds=True, **overrides)

    return make


@pytest.fixture
def public(fetching_app: Callable[..., Flask]) -> FlaskClient:
    """A stranger's client (no token, no account) on an app that may fetch from the fixture server."""
    return fetching_app().test_client()


@pytest.fixture
def add_submission(session: Session) -> Callable[..., Submission]:
    """Puts a pending submission straight into storage: `add_submission(name="Ann")`."""
    counter = iter(range(1, 10_000))

    def add(**fields: Any) -> Submission:
        number = next(counter)
        found = fields.pop("found", {})
        fields.setdefault("site_url", f"https://site{number}.example.org/")
        fields.setdefault("feed_url", f"https://site{number}.example.org/feed.xml")
        fields.setdefault("name", f"Site {number}")
        fields.setdefault("client_address", "192.0.2.1")
        discovery = {
            "feed_url": fields["feed_url"],
            "feed_format": "rss",
            "feed_title": fields["name"],
            "latest_titles": ["A post"],
            "reason": "the feed the page links",
        } | found
        submission = Submission(status="pending", discovery=json.dumps(discovery), **fields)
        session.add(submission)
        session.commit()
        return submission

    return add


@pytest.fixture
def conforms() -> Callable[[TestResponse, str, str], None]:
    """`conforms(response, "post", "/api/v1/submissions")`: documented status, documented body."""
    return conformance_check(openapi_document())
