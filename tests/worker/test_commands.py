"""The worker from the outside: `blogroll fetch`, `blogroll worker`, `blogroll run`, and the refresh API."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from blogroll import create_app, logs
from blogroll.cli import main
from blogroll.storage.models import Blog, utcnow
from blogroll.storage.tokens import create_token
from tests.helpers.feed_server import FeedServer, Reply
from tests.helpers.ports import free_port
from tests.helpers.processes import BLOGROLL, Processes, server_env
from tests.helpers.waiting import wait_until

from .feeds import RSS20, rss
from .harness import Harness


@pytest.fixture
def cli(harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`cli("fetch", "--once")` runs the command on the test database and returns click's result."""
    monkeypatch.chdir(tmp_path)  # no developer's .env
    # Logging's one handler is made before click swaps stdout, so it never writes to a closed stream.
    logs.configure("WARNING")
    env = {
        "DATABASE_URL": harness.database_url,
        "BLOGROLL_ALLOW_PRIVATE_FEEDS": "true",
        "BLOGROLL_LOG_LEVEL": "WARNING",
        "BLOGROLL_FETCH_READ_TIMEOUT": "2",
    }

    def invoke(*args: str) -> Any:
        return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)

    return invoke


def schedule_later(harness: Harness, blog_id: int) -> None:
    with harness.database.transaction() as session:
        later = utcnow().replace(year=2100)
        session.execute(update(Blog).where(Blog.id == blog_id).values(next_fetch_at=later))


def test_fetch_once_fetches_only_the_due_blogs(harness: Harness, feed_server: FeedServer, cli: Any) -> None:
    due = harness.add_blog(feed_server.route("/due.xml", Reply(body=RSS20)))
    later = harness.add_blog(feed_server.route("/later.xml", Reply(body=RSS20)))
    schedule_later(harness, later)

    result = cli("fetch", "--once")

    assert result.exit_code == 0, result.output
    assert result.output == "Fetched 1 blog(s): 2 new entries, 0 updated, 0 not modified, 0 failed.\n"
    assert (feed_server.hits["/due.xml"], feed_server.hits["/later.xml"]) == (1, 0)
    assert len(harness.entries(due)) == 2


def test_fetch_fetches_every_enabled_blog_now(harness: Harness, feed_server: FeedServer, cli: Any) -> None:
    later = harness.add_blog(feed_server.route("/later.xml", Reply(body=RSS20)))
    schedule_later(harness, later)
    disabled = harness.add_blog(feed_server.route("/disabled.xml", Reply(body=RSS20)))
    with harness.database.transaction() as session:
        session.execute(update(Blog).where(Blog.id == disabled).values(enabled=False))

    result = cli("fetch")

    assert result.exit_code == 0, result.output
    assert (feed_server.hits["/later.xml"], feed_server.hits["/disabled.xml"]) == (1, 0)


def test_fetch_one_blog_says_what_went_wrong(harness: Harness, feed_server: FeedServer, cli: Any) -> None:
    good = harness.add_blog(feed_server.route("/good.xml", Reply(body=RSS20)))
    bad = harness.add_blog(feed_server.route("/bad.xml", Reply(status=404)))

    ok = cli("fetch", "--blog", str(good))
    failed = cli("fetch", "--blog", str(bad))
    missing = cli("fetch", "--blog", "999999")

    assert ok.exit_code == 0
    assert (feed_server.hits["/good.xml"], feed_server.hits["/bad.xml"]) == (1, 1)
    assert failed.exit_code == 1
    assert failed.output.endswith(f"Error: blog {bad}: HTTP 404 Not Found\n")
    assert missing.exit_code == 1
    assert "there is no blog with id 999999" in missing.output


def test_refresh_makes_a_blog_due_for_the_worker(harness: Harness, feed_server: FeedServer) -> None:
    feed = {"reply": Reply(body=rss(("one", "One")))}
    blog_id = harness.add_blog(feed_server.route("/feed.xml", lambda _headers: feed["reply"]))
    harness.fetch()
    feed["reply"] = Reply(body=rss(("two", "Two"), ("one", "One")))
    assert harness.fetch().outcomes == [], "not due yet"
    with harness.database.transaction() as session:
        _row, token = create_token(session, "refresher")
    app = create_app(harness.settings)
    client = app.test_client()

    response = client.post(f"/api/v1/blogs/{blog_id}/refresh", headers={"Authorization": f"Bearer {token}"})
    harness.fetch()
    shown = client.get(f"/api/v1/blogs/{blog_id}").get_json()
    app.extensions["blogroll.database"].engine.dispose()

    assert response.status_code == 202
    assert [entry.title for entry in harness.entries(blog_id)] == ["Two", "One"]
    assert shown["fetch"]["last_status"] == 200
    assert shown["fetch"]["last_error"] is None
    assert shown["fetch"]["consecutive_errors"] == 0


def test_refresh_re_enables_a_gone_blog(harness: Harness, feed_server: FeedServer) -> None:
    blog_id = harness.add_blog(feed_server.route("/feed.xml", Reply(status=410)))
    harness.fetch()
    with harness.database.transaction() as session:
        _row, token = create_token(session, "refresher")
    app = create_app(harness.settings)
    feed_server.route("/feed.xml", Reply(body=RSS20))

    gone = app.test_client().get(f"/api/v1/blogs/{blog_id}").get_json()
    app.test_client().post(f"/api/v1/blogs/{blog_id}/refresh", headers={"Authorization": f"Bearer {token}"})
    harness.fetch()
    app.extensions["blogroll.database"].engine.dispose()

    assert (gone["fetch"]["enabled"], gone["fetch"]["last_status"]) == (False, 410)
    assert harness.blog(blog_id).enabled is True
    assert len(harness.entries(blog_id)) == 2


@pytest.mark.parametrize("parse_processes", ["0", "1"])
def test_the_worker_stops_cleanly_on_sigterm(
    harness: Harness, feed_server: FeedServer, tmp_path: Path, processes: Processes, parse_processes: str
) -> None:
    """With its parse pool too (BLOGROLL_PARSE_PROCESSES=1): closing it does not hang the exit."""
    quick = harness.add_blog(feed_server.route("/quick.xml", Reply(body=RSS20)))
    slow = harness.add_blog(feed_server.route("/slow.xml", Reply(body=RSS20, delay=30)))
    env = server_env(
        tmp_path,
        DATABASE_URL=harness.database_url,
        BLOGROLL_FETCH_READ_TIMEOUT="60",
        BLOGROLL_PARSE_PROCESSES=parse_processes,
    )
    worker = processes.start("worker", env=env)
    assert wait_until(
        lambda: len(harness.entries(quick)) == 2, timeout=30, every=0.05, what="the quick blog's entries"
    )
    assert feed_server.wait_for_request("/slow.xml", timeout=30)

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=30) == 0
    blog = harness.blog(slow)
    assert (blog.claimed_until, blog.last_fetched_at, blog.consecutive_errors) == (None, None, 0)
    assert harness.entries(slow) == []


def test_blogroll_run_shows_entries_from_a_feed_on_its_own(
    feed_server: FeedServer, tmp_path: Path, processes: Processes
) -> None:
    feed_url = feed_server.route("/feed.xml", Reply(body=RSS20))
    port = free_port()
    env = server_env(tmp_path, BLOGROLL_PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    server = processes.start("run", env=env)

    def answers(path: str) -> httpx.Response | None:
        try:
            return httpx.get(base + path, timeout=5, trust_env=False)
        except httpx.TransportError:
            return None

    def titles() -> list[str]:
        response = answers("/api/v1/entries")
        return [item["title"] for item in response.json()["items"]] if response else []

    assert wait_until(
        lambda: (answers("/healthz") or httpx.Response(599)).status_code == 200,
        timeout=60,
        every=0.05,
        what="/healthz",
    )
    subprocess.run(
        [BLOGROLL, "blogs", "add", "Fixture blog", feed_url], env=env, cwd=tmp_path, check=True, timeout=60
    )
    assert wait_until(
        lambda: titles() == ["Second post", "First post"], timeout=60, every=0.05, what="both entries"
    )

    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0
