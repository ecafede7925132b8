"""The hostile-input tests' fixture: a live `blogroll run` server, seeded with awkward rows."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from blogroll.sanitize import sanitize_html
from blogroll.storage import db
from blogroll.storage.blogs import NewBlog, create_blog
from blogroll.storage.entries import guid_hash
from blogroll.storage.models import Entry
from tests.helpers.live_server import LiveServer
from tests.helpers.ports import free_port
from tests.helpers.settings import make_settings
from tests.helpers.waiting import wait_until_healthy

BLOGROLL = str(Path(sys.executable).with_name("blogroll"))
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


def _clean_environment(data_dir: Path) -> dict[str, str]:
    """This machine's environment without any Blogroll setting, plus a fresh data folder."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("BLOGROLL_", "DATABASE_URL"))
    }
    env.update(
        BLOGROLL_DATA_DIR=str(data_dir),
        BLOGROLL_LOG_LEVEL="WARNING",
        # The fuzzer adds blogs with made-up feed URLs; nothing may try to fetch them.
        BLOGROLL_EMBEDDED_WORKER="false",
    )
    return env


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real server (gunicorn, as `blogroll run` starts it), for what only a real server shows."""
    folder = tmp_path_factory.mktemp("live")
    env = _clean_environment(folder / "data")
    subprocess.run([BLOGROLL, "db", "upgrade"], env=env, cwd=folder, check=True, capture_output=True)
    created = subprocess.run(
        [BLOGROLL, "tokens", "create", "--name", "security-tests"],
        env=env,
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    )
    token = created.stdout.strip()
    _seed(folder / "data")
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [BLOGROLL, "run", "--port", str(port)], env=env, cwd=folder, stdout=output, stderr=output
        )
    server = LiveServer(base=f"http://127.0.0.1:{port}", token=token, process=process, log=log)
    try:
        wait_until_healthy(server.base, server.process, server.output, START_TIMEOUT)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _seed(data_dir: Path) -> None:
    """A blog with entries (no worker runs here), so the fuzzer also reads real, awkward rows."""
    import datetime as dt

    settings = make_settings(data_dir=data_dir)
    database = db.Database(db.make_engine(settings))
    with database.transaction() as session:
        blog = create_blog(
            session,
            NewBlog(
                name="Ünïcødé <b>&amp;</b> '\"", feed_url="https://seed.example/feed", tags=["python", "c++"]
            ),
        )
        session.flush()
        for number in range(1, 4):
            guid = f"https://seed.example/posts/{number}"
            session.add(
                Entry(
                    blog_id=blog.id,
                    guid=guid,
                    guid_hash=guid_hash(guid),
                    title=f"Post {number} <script>alert(1)</script>",
                    link=guid if number != 2 else None,
                    author="Ann O'Nymous" if number != 3 else "",
                    summary=sanitize_html("<p>Hello <em>there</em></p><script>x</script>"),
                    published_at=dt.datetime(2026, 1, number, tzinfo=dt.UTC),
                )
            )
    database.engine.dispose()
