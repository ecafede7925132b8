"""`blogroll` as separate processes (servers, workers), with their output kept for a failing test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BLOGROLL = str(Path(sys.executable).parent / "blogroll")


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # An in-process `serve` in an earlier test may have set PROMETHEUS_MULTIPROC_DIR here: a
        # server of its own must not count into that test's metrics files.
        if not key.startswith("BLOGROLL_") and key not in ("DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(
        BLOGROLL_DATA_DIR=str(tmp_path / "data"),
        BLOGROLL_ALLOW_PRIVATE_FEEDS="true",
        BLOGROLL_FETCH_POLL_INTERVAL="0.2",
        BLOGROLL_GRACEFUL_TIMEOUT="3",
        BLOGROLL_LOG_LEVEL="WARNING",
        # `blogroll run`'s runtime folder (src/blogroll/cli/server.py): a server a test kills cannot
        # remove it, so it goes with the test's folder.
        TMPDIR=str(tmp_path),
    )
    env.update(extra)
    return env


class Processes:
    """Starts `blogroll` commands with their output in a file; kills any left running at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, *args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.folder / f"{args[0]}-{len(self.started)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [BLOGROLL, *args], env=env, cwd=self.folder, stdout=output, stderr=subprocess.STDOUT
            )
        self.started.append((process, log))
        return process

    def output(self, process: subprocess.Popen[bytes]) -> str:
        """What `process` has written so far (standard output and error together)."""
        log = next(log for started, log in self.started if started is process)
        return log.read_text(errors="replace")

    def stop_all(self) -> None:
        for process, log in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            # Shown by pytest only when the test fails.
            print(f"--- {log.name}\n{log.read_text(errors='replace')}")
