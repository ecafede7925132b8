"""`blogroll db upgrade`, `run` and `serve`: the schema, and the servers as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from blogroll.storage.migrate import is_current, upgrade
from tests.helpers.ports import free_port
from tests.helpers.prerequisites import require
from tests.helpers.processes import BLOGROLL
from tests.helpers.waiting import wait_until_healthy

from .invoke import Blogroll, closed_port, sqlite_url

START_TIMEOUT = 30.0
# Read at import: the `blogroll` fixture hides the BLOGROLL_* variables from the commands it runs.
POSTGRES_SERVER = os.environ.get("BLOGROLL_TEST_POSTGRES_URL", "")
STOP_TIMEOUT = 30.0


def test_db_upgrade_creates_the_data_folder_and_database_and_can_run_again(
    blogroll: Blogroll, data_dir: Path
) -> None:
    assert not data_dir.exists()

    first = blogroll("db", "upgrade")
    second = blogroll("db", "upgrade")

    assert first.exit_code == second.exit_code == 0
    assert first.output == f"Database is up to date ({sqlite_url(data_dir)}).\n"
    assert second.output == first.output
    engine = create_engine(sqlite_url(data_dir))
    assert is_current(engine)
    engine.dispose()


def test_db_upgrade_wait_gives_up_after_the_wait_with_one_line(
    blogroll: Blogroll, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = closed_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql://blogroll:hunter2@127.0.0.1:{port}/blogroll")
    monkeypatch.setenv("BLOGROLL_DATABASE_CONNECT_TIMEOUT", "1")

    started = time.monotonic()
    result = blogroll("db", "upgrade", "--wait", "2")
    waited = time.monotonic() - started

    assert result.exit_code == 1
    assert 2 <= waited < 15
    assert result.output.startswith(
        "Waiting up to 2 s for the database at postgresql+psycopg://blogroll:***@"
    )
    assert result.stderr.startswith("Error: cannot reach the database at ")
    assert result.stderr.count("\n") == 1
    assert "hunter2" not in result.output + result.stderr


def test_db_upgrade_wait_migrates_once_the_database_answers(
    blogroll: Blogroll, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when a database container is still initialising: the database is created two seconds
    after the command starts, and the command waits for it, then migrates it."""
    server = POSTGRES_SERVER
    require(bool(server), "needs BLOGROLL_TEST_POSTGRES_URL (see scripts/test-databases)")
    name = f"blogroll_wait_{uuid.uuid4().hex[:8]}"
    url = make_url(server).set(database=name)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))

    def create_later() -> None:
        time.sleep(2)
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))

    creator = threading.Thread(target=create_later)
    creator.start()
    try:
        result = blogroll("db", "upgrade", "--wait", "30")
        creator.join()
        assert result.exit_code == 0, result.output + result.stderr
        assert result.output.startswith("Waiting up to 30 s for the database at ")
        assert result.output.endswith("Database is up to date (" + url.render_as_string() + ").\n")
        engine = create_engine(url)
        assert is_current(engine)
        engine.dispose()
    finally:
        creator.join()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_serve_refuses_a_database_that_is_not_upgraded(blogroll: Blogroll, data_dir: Path) -> None:
    result = blogroll("serve")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: the database at {sqlite_url(data_dir)} is not up to date; run `blogroll db upgrade` first\n"
    )


def test_serve_wait_refuses_a_schema_still_old_after_the_wait(blogroll: Blogroll, data_dir: Path) -> None:
    started = time.monotonic()
    result = blogroll("serve", "--wait", "2")
    waited = time.monotonic() - started

    assert result.exit_code == 1
    assert 2 <= waited < 15
    assert result.stdout == "Waiting up to 2 s for the database schema to be up to date...\n"
    assert result.stderr == (
        f"Error: the database at {sqlite_url(data_dir)} is not up to date; run `blogroll db upgrade` first\n"
    )


def test_serve_wait_starts_once_the_schema_is_upgraded_elsewhere(
    blogroll: Blogroll, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a web replica started before the migration job: two seconds later `db upgrade` runs, and
    serve, waiting, starts the server instead of exiting."""
    from blogroll import server

    started: list[float] = []
    monkeypatch.setattr(server.GunicornServer, "run", lambda self: started.append(time.monotonic()))

    def upgrade_later() -> None:
        time.sleep(2)
        data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(sqlite_url(data_dir))
        upgrade(engine)
        engine.dispose()

    upgrader = threading.Thread(target=upgrade_later)
    began = time.monotonic()
    upgrader.start()
    try:
        result = blogroll("serve", "--wait", "30")
    finally:
        upgrader.join()

    assert result.exit_code == 0, result.output
    assert len(started) == 1 and 2 <= started[0] - began < 15
    assert result.stdout.startswith("Waiting up to 30 s for the database schema to be up to date...\n")
    assert result.stderr == ""


def test_the_worker_waits_for_the_schema_too(blogroll: Blogroll, data_dir: Path) -> None:
    result = blogroll("worker", "--wait", "1")
    assert result.exit_code == 1
    assert result.stdout == "Waiting up to 1 s for the database schema to be up to date...\n"
    assert result.stderr == "Error: the database schema is not up to date; run `blogroll db upgrade`\n"


class Server:
    """A `blogroll` server process, its output in files (a full pipe would stall it)."""

    def __init__(self, args: list[str], env: dict[str, str], folder: Path, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.stdout_path = folder / "server.out"
        self.stderr_path = folder / "server.err"
        with self.stdout_path.open("wb") as stdout, self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [BLOGROLL, *args], env={**os.environ, **env}, stdout=stdout, stderr=stderr
            )

    def wait_until_healthy(self) -> None:
        wait_until_healthy(self.base, self.process, self.output, START_TIMEOUT)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base + path, timeout=10)

    def stop(self) -> int:
        """SIGTERM, as Docker and systemd send it; the exit status once it has stopped."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT)

    def output(self) -> str:
        return self.stdout_path.read_text() + self.stderr_path.read_text()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_server(data_dir: Path, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(*args: str, port: int, env: dict[str, str] | None = None) -> Server:
        server = Server(list(args), env or {}, tmp_path, port)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.kill()


def test_blogroll_run_migrates_serves_and_stops_cleanly_on_sigterm(
    start_server: Callable[..., Server], data_dir: Path
) -> None:
    port = free_port()
    server = start_server("run", "--port", str(port), port=port, env={"BLOGROLL_GREETING": "Hello, run!"})

    server.wait_until_healthy()

    home = server.get("/")
    assert home.status_code == 200
    assert home.headers["content-type"] == "text/html; charset=utf-8"
    assert '<h1 class="greeting">Hello, run!</h1>' in home.text
    hello = server.get("/api/v1/")
    assert hello.status_code == 200
    assert hello.json()["message"] == "Hello, run!"
    assert server.get("/readyz").json() == {"status": "ok", "database": "ok"}
    engine = create_engine(sqlite_url(data_dir))
    assert is_current(engine)
    engine.dispose()

    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < STOP_TIMEOUT
    output = server.stdout_path.read_text()
    assert f"Blogroll 0.1.0 on http://127.0.0.1:{port}/ (database: {sqlite_url(data_dir)})" in output
    assert '"GET /healthz HTTP/1.1" 200' in output
    assert "Traceback" not in server.output()


def test_blogroll_serve_serves_an_upgraded_database_with_several_workers(
    blogroll: Blogroll, start_server: Callable[..., Server], data_dir: Path
) -> None:
    blogroll("db", "upgrade")
    blogroll("blogs", "add", "Alpha", "https://alpha.example/feed")
    port = free_port()
    server = start_server(
        "serve",
        port=port,
        env={"BLOGROLL_PORT": str(port), "BLOGROLL_WEB_WORKERS": "2", "BLOGROLL_LOG_LEVEL": "INFO"},
    )

    server.wait_until_healthy()

    assert server.get("/").status_code == 200
    assert [blog["name"] for blog in server.get("/api/v1/blogs").json()["items"]] == ["Alpha"]
    assert server.stop() == 0
    output = server.stdout_path.read_text()
    assert f"Listening at: http://127.0.0.1:{port}" in output  # gunicorn's own log, on stdout too
    assert output.count("Booting worker with pid") == 2
    assert server.stderr_path.read_text() == ""


def test_serve_warns_but_starts_when_the_database_is_down(
    blogroll: Blogroll, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a Compose stack the app may start first; /readyz reports the database until it answers."""
    from blogroll import server

    started: list[str] = []
    monkeypatch.setattr(server.GunicornServer, "run", lambda self: started.append(self.options["bind"]))
    port = closed_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql://blogroll:hunter2@127.0.0.1:{port}/blogroll")
    monkeypatch.setenv("BLOGROLL_PORT", "8123")

    result = blogroll("serve")

    assert result.exit_code == 0
    assert started == ["127.0.0.1:8123"]
    assert result.stderr.startswith(
        "Warning: cannot reach the database at postgresql+psycopg://blogroll:***@"
    )
    assert result.stderr.endswith(" Serving anyway: /readyz tells when the database answers.\n")
    assert "hunter2" not in result.stderr
