"""Fixtures of the `blogroll` command tests: each run on a data folder of its own.

Most tests call the command in-process through click's CliRunner, where an unexpected exception fails
the test with its traceback. The servers, `--help` and one start-up error run the real executable.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from blogroll.cli import main

from .invoke import Blogroll


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
