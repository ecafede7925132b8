"""The dev loop's pieces that the e2e dev tests and bench/devloop.py share: the copy of the project that
they may edit, the view an edit adds, and how long until an edit shows."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from tests.helpers.compose_stack import ROOT, Stack
from tests.helpers.waiting import wait_until

PROJECT_FILES = [
    "Dockerfile",
    ".dockerignore",
    "compose.yaml",
    "compose.override.yaml",
    "pyproject.toml",
    "uv.lock",
    "README.md",
]
PROJECT_FOLDERS = ["src", "deploy"]
# An edit must show within this many seconds (measured: about 2 s).
RELOAD_LIMIT = 30
# The view the tests add to the health blueprint (any module with a `bp` would do), then change.
PROBE_VIEW = """

@bp.get("/e2e-reload")
def e2e_reload() -> dict[str, str]:
    return {{"marker": "{marker}"}}
"""


def copy_project(target: Path) -> Path:
    """What it takes to build the image and run both compose stacks, copied to `target` (so the copy's
    source can be edited without ever touching the real src/)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, target / name)
    for name in PROJECT_FOLDERS:
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def seconds_until(check: Callable[[], bool], *, what: str) -> float:
    """Seconds from now until `check()` holds (polled every 0.1 s)."""
    started = time.monotonic()
    wait_until(check, timeout=RELOAD_LIMIT, what=what, every=0.1)
    return time.monotonic() - started


def marker(stack: Stack) -> str | None:
    """The marker the probe view answers with, or None while it is not there."""
    response = stack.http.get("/e2e-reload")
    if response.status_code != 200:
        return None
    value: str = response.json()["marker"]
    return value
