"""Helpers for tests that start a real `blogroll` server process on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import httpx


def free_port() -> int:
    """A port nothing listens on at 127.0.0.1 right now (connections to it are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_until_healthy(
    base: str, process: subprocess.Popen[bytes], output: Callable[[], str], timeout: float = 30.0
) -> None:
    """Waits for `/healthz` to answer 200; fails at once, with the server's output, if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited: {output()}"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"no answer on /healthz within {timeout}s: {output()}")
