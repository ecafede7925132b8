"""Before a command does any work: `--help` without settings, and each settings or database problem
in one line, as the operator sees it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result

from tests.helpers.processes import BLOGROLL

from .invoke import Blogroll, closed_port, sqlite_url


def test_commands_on_a_database_without_tables_say_to_upgrade(blogroll: Blogroll, data_dir: Path) -> None:
    result = blogroll("blogs", "list")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: the database at {sqlite_url(data_dir)} has no Blogroll tables yet; "
        "run `blogroll db upgrade`\n"
    )


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


def test_the_worker_refuses_a_database_that_is_not_upgraded(data_dir: Path) -> None:
    result = run_blogroll("fetch", "--once", env={})
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "Error: the database schema is not up to date; run `blogroll db upgrade`\n"


def test_help_needs_no_settings(data_dir: Path) -> None:
    result = run_blogroll("--help", env={"BLOGROLL_PORT": "not-a-port", "DATABASE_URL_FILE": "/nonexistent"})
    assert result.returncode == 0
    assert "Usage: blogroll [OPTIONS] COMMAND [ARGS]..." in result.stdout
    for command in ("run", "serve", "db", "blogs", "tokens"):
        assert re.search(rf"^  {command} ", result.stdout, re.MULTILINE), command


def test_help_lists_every_command(data_dir: Path) -> None:
    result = run_blogroll("--help", env={})
    assert result.returncode == 0
    _, commands = result.stdout.split("\nCommands:\n")
    assert re.findall(r"^  (\S+) ", commands, re.MULTILINE) == [
        "backup",
        "blogs",
        "db",
        "entries",
        "fetch",
        "restore",
        "run",
        "serve",
        "tokens",
        "users",
        "worker",
    ]


# What only some commands need: with them loaded, `--help` took 2.6 s of CPU instead of 0.4 s.
HEAVY_LIBRARIES = ("alembic", "feedparser", "gunicorn", "httpx", "pydantic", "sqlalchemy")


def test_help_imports_none_of_the_heavy_libraries(data_dir: Path) -> None:
    """The commands import them when they run. Checked by name, since a timing would flake."""
    script = (
        "import sys\n"
        "from blogroll.cli import main\n"
        "main(['--help'], prog_name='blogroll', standalone_mode=False)\n"
        f"print(sorted(name for name in {HEAVY_LIBRARIES!r} if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: blogroll [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert result.stdout.splitlines()[-1] == "[]"


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
