"""Waiting for something outside the test (a thread, a process, a container) with a bound on the time."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
import pytest

T = TypeVar("T")


def wait_until(check: Callable[[], T | None], *, timeout: float, what: str, every: float = 0.5) -> T:
    """Polls `check` until it returns something truthy, and returns that; fails the test saying `what`
    did not happen. An HTTP or OS error from `check` counts as "not yet" (a server still starting)."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = check()
        except (httpx.HTTPError, OSError) as error:
            result, last_error = None, error
        if result:
            return result
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}{detail}", pytrace=False)
        time.sleep(every)


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
