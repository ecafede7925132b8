"""How these tests call `blogroll`, and where its data lands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.helpers.ports import free_port

# `blogroll("blogs", "list")`: the `blogroll` fixture runs the command in-process.
Blogroll = Callable[..., Result]


def database_file(data_dir: Path) -> Path:
    return data_dir / "blogroll.db"


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{database_file(data_dir)}"


# A port nothing listens on, so a connection to it is refused at once.
closed_port = free_port
