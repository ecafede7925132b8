"""The `blogroll` command, as an operator types it: each run on a data folder of its own.

Most tests call the command in-process through click's CliRunner, where an unexpected exception fails
the test with its traceback. The servers, `--help` and one start-up error run the real executable.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from pydantic import TypeAdapter
from sqlalchemy import create_engine

from blogroll import create_app
from blogroll.cli import main
from blogroll.config import load_settings
from blogroll.opml import parse_opml
from blogroll.schemas import Tag
from blogroll.storage.blogs import NewBlog
from blogroll.storage.migrate import is_current
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until_healthy

BLOGROLL = str(Path(sys.executable).with_name("blogroll"))
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0

Blogroll = Callable[..., Result]


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh data folder in BLOGROLL_DATA_DIR, and no setting leaking in from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(("BLOGROLL_", "DATABASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no `.env` of the checkout is read
    data = tmp_path / "data"
    monkeypatch.setenv("BLOGROLL_DATA_DIR", str(data))
    monkeypatch.setenv("BLOGROLL_LOG_LEVEL", "WARNING")
    return data


@pytest.fixture
def blogroll(data_dir: Path) -> Blogroll:
    """`blogroll("blogs", "list")` runs the command in-process and returns click's result."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        result = runner.invoke(main, list(args), input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a bug, not a readable error: show its traceback
        return result

    return run


@pytest.fixture
def migrated(blogroll: Blogroll) -> None:
    assert blogroll("db", "upgrade").exit_code == 0


def database_file(data_dir: Path) -> Path:
    return data_dir / "blogroll.db"


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{database_file(data_dir)}"


closed_port = free_port


# --- db upgrade ---------------------------------------------------------------------------------


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


def test_commands_on_a_database_without_tables_say_to_upgrade(blogroll: Blogroll, data_dir: Path) -> None:
    result = blogroll("blogs", "list")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: the database at {sqlite_url(data_dir)} has no Blogroll tables yet; "
        "run `blogroll db upgrade`\n"
    )


# --- blogs --------------------------------------------------------------------------------------


def test_blogs_add_then_list_alphabetically(blogroll: Blogroll, migrated: None) -> None:
    added = [
        blogroll("blogs", "add", "Zeta Notes", "https://zeta.example/feed.xml"),
        blogroll(
            "blogs",
            "add",
            "alpha log",
            "https://alpha.example/atom",
            "--site-url",
            "https://alpha.example/",
            "--description",
            "Notes.",
            "--tag",
            "Python",
            "--tag",
            "web",
        ),
    ]

    assert [result.exit_code for result in added] == [0, 0]
    assert [result.output for result in added] == [
        "Added blog 1: Zeta Notes (https://zeta.example/feed.xml)\n",
        "Added blog 2: alpha log (https://alpha.example/atom)\n",
    ]
    listed = blogroll("blogs", "list")
    assert listed.exit_code == 0
    assert listed.output == (
        "    2  alpha log  https://alpha.example/atom\n    1  Zeta Notes  https://zeta.example/feed.xml\n"
    )


def test_blogs_list_json_has_the_api_shape(blogroll: Blogroll, migrated: None) -> None:
    blogroll("blogs", "add", "Alpha", "https://alpha.example/feed", "--site-url", "https://alpha.example/")
    blogroll("blogs", "add", "Beta", "https://beta.example/feed", "--tag", "Web", "--tag", "python")

    result = blogroll("blogs", "list", "--json")

    assert result.exit_code == 0
    blogs = json.loads(result.output)
    assert [
        (blog["id"], blog["name"], blog["site_url"], blog["feed_url"], blog["tags"]) for blog in blogs
    ] == [
        (1, "Alpha", "https://alpha.example/", "https://alpha.example/feed", []),
        (2, "Beta", None, "https://beta.example/feed", ["python", "web"]),
    ]
    assert list(blogs[0]) == [
        "id",
        "name",
        "site_url",
        "feed_url",
        "description",
        "tags",
        "created_at",
        "updated_at",
        "fetch",
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", blogs[0]["created_at"])
    assert blogs[0]["fetch"]["enabled"] is True
    assert blogs[0]["fetch"]["last_fetched_at"] is None


def test_blogs_list_of_an_empty_blogroll_says_how_to_add_one(blogroll: Blogroll, migrated: None) -> None:
    assert blogroll("blogs", "list").output == (
        "No blogs yet; add one with `blogroll blogs add NAME FEED_URL`.\n"
    )
    assert blogroll("blogs", "list", "--json").output == "[]\n"


def test_a_feed_already_in_the_blogroll_is_refused(blogroll: Blogroll, migrated: None) -> None:
    blogroll("blogs", "add", "Alpha", "https://alpha.example/feed")

    result = blogroll("blogs", "add", "Another name", "https://alpha.example/feed")

    assert result.exit_code == 1
    assert result.output == "Error: a blog with feed_url https://alpha.example/feed already exists\n"
    assert blogroll("blogs", "list").output == "    1  Alpha  https://alpha.example/feed\n"


def test_two_blogs_may_share_a_name(blogroll: Blogroll, migrated: None) -> None:
    """Only feeds are unique: two people may well call their blogs "Notes"."""
    assert blogroll("blogs", "add", "Notes", "https://ann.example/feed").exit_code == 0
    assert blogroll("blogs", "add", "Notes", "https://bob.example/feed").exit_code == 0
    assert blogroll("blogs", "list").output == (
        "    1  Notes  https://ann.example/feed\n    2  Notes  https://bob.example/feed\n"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["Alpha", "not a url"],
            "Error: feed_url: Input should be a valid URL, relative URL without a base\n",
        ),
        (["Alpha", "ftp://alpha.example/feed"], "Error: feed_url: URL scheme should be 'http' or 'https'\n"),
        (["Alpha", "javascript:alert(1)"], "Error: feed_url: URL scheme should be 'http' or 'https'\n"),
        (
            ["Alpha", "https://alpha.example/feed", "--site-url", "file:///etc/passwd"],
            "Error: site_url: URL scheme should be 'http' or 'https'\n",
        ),
        (["   ", "https://alpha.example/feed"], "Error: name: String should have at least 1 character\n"),
        (
            ["Alpha", "https://alpha.example/feed", "--tag", "no/slashes"],
            f"Error: tags.0: String should match pattern '{TypeAdapter(Tag).json_schema()['pattern']}'\n",
        ),
    ],
)
def test_invalid_blogs_are_refused_in_one_readable_line(
    blogroll: Blogroll, migrated: None, arguments: list[str], message: str
) -> None:
    result = blogroll("blogs", "add", *arguments)
    assert result.exit_code == 1
    assert result.output == message
    assert blogroll("blogs", "list", "--json").output == "[]\n"


OPML = """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0">
  <head><title>Friends</title></head>
  <body>
    <outline text="Alpha" xmlUrl="https://alpha.example/feed" htmlUrl="https://alpha.example/"/>
    <outline text="Tech">
      <outline text="Beta" xmlUrl="https://beta.example/feed" category="python"/>
    </outline>
  </body>
</opml>
"""


def test_blogs_import_adds_new_feeds_once_and_export_gives_them_back(
    blogroll: Blogroll, migrated: None, tmp_path: Path
) -> None:
    source = tmp_path / "friends.opml"
    source.write_text(OPML)

    first = blogroll("blogs", "import", str(source))
    again = blogroll("blogs", "import", str(source))
    exported = blogroll("blogs", "export")

    assert first.exit_code == again.exit_code == exported.exit_code == 0
    assert first.output == "Imported 2 blog(s); skipped 0 already known.\n"
    assert again.output == "Imported 0 blog(s); skipped 2 already known.\n"
    assert parse_opml(exported.stdout_bytes) == [
        NewBlog(
            name="Alpha", feed_url="https://alpha.example/feed", site_url="https://alpha.example/", tags=[]
        ),
        NewBlog(name="Beta", feed_url="https://beta.example/feed", tags=["python", "tech"]),
    ]


def test_blogs_import_reads_stdin_and_export_writes_a_file(
    blogroll: Blogroll, migrated: None, tmp_path: Path
) -> None:
    assert blogroll("blogs", "import", "-", input=OPML).output == (
        "Imported 2 blog(s); skipped 0 already known.\n"
    )

    target = tmp_path / "out.opml"
    result = blogroll("blogs", "export", str(target))

    assert result.exit_code == 0
    assert result.output == ""
    assert [blog.name for blog in parse_opml(target.read_bytes())] == ["Alpha", "Beta"]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<opml version="2.0"><body><outline text="&lol2;" xmlUrl="https://lol.example/feed"/></body></opml>
"""

INVALID_OUTLINES = """<opml version="2.0"><body>
  <outline text="Good" xmlUrl="https://good.example/feed"/>
  <outline text="Bad" xmlUrl="ftp://bad.example/feed"/>
</body></opml>
"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            BILLION_LAUGHS,
            "Error: cannot import {file}: the file declares a DTD; "
            "Blogroll refuses DTDs, so entities cannot be expanded\n",
        ),
        (
            "<opml><body>",
            "Error: cannot import {file}: the file is not well-formed XML (line 1, column 12)\n",
        ),
        (
            "<html><body/></html>",
            "Error: cannot import {file}: not an OPML file: the root element must be <opml>\n",
        ),
        (
            INVALID_OUTLINES,
            "Error: cannot import {file}: 1 outline(s) are not valid; nothing was imported\n"
            "  Bad: feed_url: URL scheme should be 'http' or 'https'\n",
        ),
    ],
)
def test_blogs_import_of_a_bad_file_explains_and_changes_nothing(
    blogroll: Blogroll, migrated: None, tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "bad.opml"
    source.write_text(content)

    result = blogroll("blogs", "import", str(source))

    assert result.exit_code == 1
    assert result.output == message.format(file=source)
    assert blogroll("blogs", "list", "--json").output == "[]\n"


def test_blogs_import_of_a_missing_file_is_a_usage_error(blogroll: Blogroll, migrated: None) -> None:
    result = blogroll("blogs", "import", "missing.opml")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for 'FILE': 'missing.opml': No such file or directory"
    )


# --- tokens -------------------------------------------------------------------------------------


def create_token(blogroll: Blogroll, name: str) -> str:
    result = blogroll("tokens", "create", "--name", name)
    assert result.exit_code == 0
    assert result.stderr == f"Token {name!r} created. Copy it now: it cannot be shown again.\n"
    return result.stdout.strip()


def test_tokens_create_prints_the_token_once_and_stores_only_its_hash(
    blogroll: Blogroll, migrated: None, data_dir: Path
) -> None:
    result = blogroll("tokens", "create", "--name", "ci")

    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert re.fullmatch(r"blr_[A-Za-z0-9_-]{43}", token)
    with sqlite3.connect(database_file(data_dir)) as connection:
        rows = connection.execute("SELECT name, token_hash FROM api_tokens").fetchall()
    connection.close()
    assert rows == [("ci", hashlib.sha256(token.encode()).hexdigest())]
    for stored in data_dir.iterdir():  # the database and its write-ahead log
        assert token.encode() not in stored.read_bytes()


def test_tokens_names_are_unique_and_not_empty(blogroll: Blogroll, migrated: None) -> None:
    create_token(blogroll, "ci")

    taken = blogroll("tokens", "create", "--name", "ci")
    empty = blogroll("tokens", "create", "--name", "  ")

    assert (taken.exit_code, empty.exit_code) == (1, 1)
    assert taken.output == "Error: a token named 'ci' already exists; pick another name or revoke it first\n"
    assert empty.output == "Error: --name must be 1 to 100 characters\n"


def test_tokens_list_shows_names_and_dates_but_never_tokens(blogroll: Blogroll, migrated: None) -> None:
    assert blogroll("tokens", "list").output == (
        "No tokens; create one with `blogroll tokens create --name NAME`.\n"
    )
    first = create_token(blogroll, "ci")
    create_token(blogroll, "laptop")

    listed = blogroll("tokens", "list").output

    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    assert re.fullmatch(
        rf"   1  ci  created {stamp}  last used never\n   2  laptop  created {stamp}  last used never\n",
        listed,
    )
    assert first not in listed


def test_a_revoked_token_gets_401_from_the_api(blogroll: Blogroll, migrated: None) -> None:
    token = create_token(blogroll, "ci")
    app = create_app(load_settings())  # the same settings the command used
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    created = client.post(
        "/api/v1/blogs", json={"name": "A", "feed_url": "https://a.example/feed"}, headers=headers
    )
    assert created.status_code == 201
    assert re.search(r"last used \d{4}-\d\d-\d\d \d\d:\d\d\n", blogroll("tokens", "list").output)

    revoked = blogroll("tokens", "revoke", "ci")
    assert revoked.exit_code == 0
    assert revoked.output == "Revoked token 'ci'.\n"

    refused = client.post(
        "/api/v1/blogs", json={"name": "B", "feed_url": "https://b.example/feed"}, headers=headers
    )
    assert refused.status_code == 401
    assert refused.json == {
        "error": "unauthorized",
        "message": "the token is not valid (it may have been revoked)",
        "details": None,
    }
    assert (
        blogroll("tokens", "list").output
        == "No tokens; create one with `blogroll tokens create --name NAME`.\n"
    )
    from blogroll.storage.db import get_database

    get_database(app).engine.dispose()


def test_tokens_revoke_by_id_and_unknown_names(blogroll: Blogroll, migrated: None) -> None:
    create_token(blogroll, "ci")

    assert blogroll("tokens", "revoke", "1").output == "Revoked token 'ci'.\n"
    unknown = blogroll("tokens", "revoke", "ci")
    assert unknown.exit_code == 1
    assert unknown.output == "Error: there is no token named 'ci'\n"


# --- start-up errors, as the operator sees them -------------------------------------------------


def run_blogroll(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real `blogroll` executable, in the current (cleaned) environment plus `env`."""
    return subprocess.run(
        [BLOGROLL, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_one_line_error(result: Result, *parts: str) -> None:
    """Exit status 1, nothing on stdout, and one line on stderr that holds each of `parts`."""
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    for part in parts:
        assert part in result.stderr


def test_help_needs_no_settings(data_dir: Path) -> None:
    result = run_blogroll("--help", env={"BLOGROLL_PORT": "not-a-port", "DATABASE_URL_FILE": "/nonexistent"})
    assert result.returncode == 0
    assert "Usage: blogroll [OPTIONS] COMMAND [ARGS]..." in result.stdout
    for command in ("run", "serve", "db", "blogs", "tokens"):
        assert re.search(rf"^  {command} ", result.stdout, re.MULTILINE), command


def test_the_real_executable_reports_a_missing_setting_in_one_line(data_dir: Path) -> None:
    result = run_blogroll("serve", env={"BLOGROLL_ENV": "production"})
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: invalid settings: DATABASE_URL is required when BLOGROLL_ENV=production "
        "(set it, or DATABASE_URL_FILE, to your database server's URL)\n"
    )


def test_an_unreadable_database_url_file_is_one_line(
    blogroll: Blogroll, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-secret"
    monkeypatch.setenv("DATABASE_URL_FILE", str(missing))
    assert_one_line_error(
        blogroll("blogs", "list"), f"DATABASE_URL_FILE={missing}", "No such file or directory"
    )


def test_an_unreadable_password_file_is_one_line(
    blogroll: Blogroll, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BLOGROLL_DATABASE_PASSWORD_FILE", str(tmp_path))  # a folder, not a file
    assert_one_line_error(
        blogroll("db", "upgrade"), f"BLOGROLL_DATABASE_PASSWORD_FILE={tmp_path}", "Is a directory"
    )


@pytest.mark.parametrize(
    ("env", "parts"),
    [
        ({"BLOGROLL_PORT": "eighty"}, ["BLOGROLL_PORT", "integer"]),
        ({"BLOGROLL_PAGE_SIZE": "0"}, ["BLOGROLL_PAGE_SIZE", "greater than or equal to 1"]),
        ({"BLOGROLL_LOG_LEVEL": "LOUD"}, ["BLOGROLL_LOG_LEVEL", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"]),
        ({"BLOGROLL_ENV": "staging"}, ["BLOGROLL_ENV", "'development' or 'production'"]),
        ({"DATABASE_URL": "not a url"}, ["DATABASE_URL", "sqlite:///", "postgresql://", "mysql://"]),
        (
            {"DATABASE_URL": "oracle://scott:tiger@db/orcl"},
            ["DATABASE_URL", "sqlite:///", "postgresql://", "mysql://"],
        ),
    ],
)
def test_invalid_settings_are_one_line_naming_the_setting(
    blogroll: Blogroll, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], parts: list[str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = blogroll("blogs", "list")
    assert_one_line_error(result, *parts)
    assert "tiger" not in result.stderr


@pytest.mark.parametrize(
    ("scheme", "driver"), [("postgresql", "postgresql+psycopg"), ("mysql", "mysql+pymysql")]
)
def test_a_database_server_that_is_down_is_one_line_without_the_password(
    blogroll: Blogroll, monkeypatch: pytest.MonkeyPatch, scheme: str, driver: str
) -> None:
    port = closed_port()
    monkeypatch.setenv("DATABASE_URL", f"{scheme}://blogroll:hunter2@127.0.0.1:{port}/blogroll")
    monkeypatch.setenv("BLOGROLL_DATABASE_CONNECT_TIMEOUT", "2")

    result = blogroll("blogs", "list")

    assert_one_line_error(result, "Connection refused")
    assert result.stderr.startswith(
        f"Error: cannot reach the database at {driver}://blogroll:***@127.0.0.1:{port}/"
    )
    assert result.stderr.endswith("; is it running, and are the URL and password right?\n")
    assert "hunter2" not in result.stderr


def test_serve_refuses_a_database_that_is_not_upgraded(blogroll: Blogroll, data_dir: Path) -> None:
    result = blogroll("serve")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: the database at {sqlite_url(data_dir)} is not up to date; run `blogroll db upgrade` first\n"
    )


# --- the servers --------------------------------------------------------------------------------


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
