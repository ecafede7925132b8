"""Two identical suggestions at the same moment: one is queued, the other is told it waits already.
On every engine, each request on its own connection and committing, as in production."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from blogroll import create_app
from blogroll.storage.db import Database, get_database, make_engine
from blogroll.storage.models import Submission
from tests.discovery.feeds import page
from tests.helpers.feed_server import FeedServer, Reply
from tests.helpers.settings import make_settings

from .sites import LINK, feed_reply

SUBMIT = "/api/v1/submissions"
# Long enough that both requests are inside discovery together: without the queue's lock both
# would find the queue empty before either stored its submission.
SITE_DELAY = 0.5


def test_two_identical_submissions_at_once_queue_one(
    committed_database: str, feed_server: FeedServer
) -> None:
    feed_server.route("/feed.xml", feed_reply("Ann's notes"))
    site = feed_server.route("/", Reply(body=page(f"<title>Ann</title>{LINK}"), delay=SITE_DELAY))
    settings = make_settings(committed_database, allow_private_feeds=True)
    app = create_app(settings)
    start = threading.Barrier(2, timeout=10)
    answers: list[tuple[int, str]] = []

    def suggest() -> None:
        client = app.test_client()
        start.wait()
        response = client.post(SUBMIT, json={"site_url": site})
        answers.append((response.status_code, (response.json or {}).get("error", "")))

    threads = [threading.Thread(target=suggest) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    get_database(app).engine.dispose()

    assert sorted(answers) == [(202, ""), (409, "already_submitted")]
    database = Database(make_engine(settings))
    with database.read_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 1
    database.engine.dispose()
    # Both fetched the site at once: no database lock is held while discovery waits on the network
    # (on SQLite that would stall every other writer, the feed worker included).
    assert feed_server.hits["/"] == 2
    assert feed_server.most_active == 2
