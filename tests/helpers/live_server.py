"""A real `blogroll run` server process on 127.0.0.1, as the `live_server` fixture starts it
(tests/security/conftest.py), for what only a real server shows."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class LiveServer:
    """`blogroll run` on its own SQLite data folder, with a write token made by the CLI."""

    base: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def output(self) -> str:
        return self.log.read_text(errors="replace")
