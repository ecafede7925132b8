"""The fault tests' stacks: each its own Compose project (`blogroll-faults-...`) on a free 127.0.0.1 port
with its own image tag, always removed with `down -v`; the scripts under test run against it, and
measured figures (recovery seconds, error counts) are printed at the end of the run ("fault figures")."""

from __future__ import annotations

import os
import subprocess
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.helpers.compose_stack import (
    FIXTURE_FEED_URL,
    ROOT,
    Figures,
    Stack,
    production_files,
    running_stack,
)

FAULTS_DIR = Path(__file__).resolve().parent
# Its own image tag, so a fault run never replaces the image an e2e run is using at the same time.
IMAGE = "blogroll-faults"
# The fixture feed of the e2e `feeds` service; its server ignores the query, so `?n=...` gives each
# blog its own feed URL with the same three entries.
FEED_URL = FIXTURE_FEED_URL

# Printed at the end of the run by tests/faults/conftest.py.
figures = Figures("fault figures", "faults")
record_figure = figures.record

# The two databases of the Compose stack (compose.yaml, + compose.mariadb.yaml). A test that takes the
# `database` fixture runs on both; `@pytest.mark.parametrize("database", [...], indirect=True)` narrows it.
DATABASES = ("postgresql", "mariadb")
# Run in the `db` container, each succeeds once that database accepts connections (its health check).
DATABASE_ACCEPTS = {
    "postgresql": ("pg_isready", "-h", "127.0.0.1"),
    "mariadb": ("healthcheck.sh", "--connect", "--innodb_initialized"),
}


# For a test of a module whose stack takes `database` that says nothing about the database.
POSTGRESQL_ONLY = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


def database_of(stack: Stack) -> str:
    """Which database `stack` runs: MariaDB when its files include compose.mariadb.yaml."""
    return "mariadb" if ROOT / "compose.mariadb.yaml" in stack.files else "postgresql"


def database_accepts(stack: Stack) -> bool:
    """True when the stack's database accepts connections now (its own client, inside `db`)."""
    command = DATABASE_ACCEPTS[database_of(stack)]
    return bool(stack.compose("exec", "-T", "db", *command, check=False).returncode == 0)


def stack_files(variant: str, *extra: Path) -> list[Path]:
    """The production files (+ MariaDB) + the e2e additions (fixture feeds) + any fault additions."""
    return [*production_files(variant), *extra]


def fault_stack(name: str, variant: str = "postgresql", *extra: Path) -> AbstractContextManager[Stack]:
    """A context manager: a running fault stack from a clean state, always removed with its volumes."""
    return running_stack(
        f"blogroll-faults-{name}", stack_files(variant, *extra), label=f"faults {name}", image=IMAGE
    )


def compose_environment(stack: Stack) -> dict[str, str]:
    """The environment that points plain `docker compose` (as in scripts/backup) at `stack`."""
    env = stack.environment()
    env["COMPOSE_PROJECT_NAME"] = stack.project
    env["COMPOSE_FILE"] = os.pathsep.join(str(path) for path in stack.files)
    return env


def run_script(
    stack: Stack, *args: str, check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Runs one of scripts/ against `stack`; with `check`, fails the test when it exits non-zero."""
    result = subprocess.run(
        [str(ROOT / "scripts" / args[0]), *args[1:]],
        cwd=ROOT,
        env=compose_environment(stack),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert not check or result.returncode == 0, (
        f"scripts/{args[0]} exited with {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result
